"""booth.session: the transition table, timeouts, shot-list progression, best frame and near-duplicates.

Pure code, nothing mocked: time is the ``now`` the tests pass in.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from booth import session as s
from booth import settings_check, shot_lists
from booth.best_frame import Candidate, combined_score, is_near_duplicate, score_parts
from booth.config import ConfigError, SessionSettings, Settings, validate
from booth.looks import load as load_looks
from booth.session import State, Trigger
from booth.shot_lists import LOOKS, LookPlan

#: The session's parameters as the booth's default settings give them (the one home of the defaults).
DEFAULTS = s.SessionConfig.from_settings(SessionSettings())


def cand(look: str = "approachable", score: float = 0.8, *, t: float = 0.0, lm=None, **kw) -> Candidate:
    fields = dict(engaged=True, eye_openness=1.0, sharpness=300.0, face_size=0.35)
    fields.update(kw)
    scores = kw.pop("scores", None) or {**{x: 0.1 for x in LOOKS}, look: score}
    fields.pop("scores", None)
    return Candidate(look=look, look_score=score, landmarks=lm, scores=scores, timestamp=t, **fields)


def config(name: str = "commercial", shots: int = 2, seconds: float = 10.0) -> s.SessionConfig:
    return dataclasses.replace(DEFAULTS, shot_list=shot_lists.resolve(name, None, shots, seconds))


def shooting(cfg: s.SessionConfig) -> s.Session:
    """A machine past consent and baseline, on the first look of ``cfg``'s shot list at time 0."""
    m = s.Session(cfg, now=0.0)
    for trigger in (Trigger.START, Trigger.CONSENT, Trigger.BASELINE_DONE):
        m.handle(trigger, 0.0)
    return m


def machine_in(state: State) -> s.Session:
    """A machine driven by its public inputs into ``state``."""
    m = s.Session(dataclasses.replace(DEFAULTS, shot_list=(LookPlan("intense", 1, 10.0),)), now=0.0)
    path = {
        State.IDLE: [],
        State.WELCOME: [Trigger.START],
        State.BASELINE: [Trigger.START, Trigger.CONSENT],
        State.SHOOTING: [Trigger.START, Trigger.CONSENT, Trigger.BASELINE_DONE],
        State.DELIVERED: [
            Trigger.START,
            Trigger.CONSENT,
            Trigger.BASELINE_DONE,
            Trigger.LOOKS_DONE,
            Trigger.FINISH,
        ],
        State.REVIEW: [Trigger.START, Trigger.CONSENT, Trigger.BASELINE_DONE, Trigger.LOOKS_DONE],
        State.EXPIRED: [Trigger.START, Trigger.TIMEOUT],
        State.ABORTED: [Trigger.START, Trigger.ABORT],
        State.FAULT: [Trigger.START, Trigger.FAULT],
    }[state]
    for trigger in path:
        m.handle(trigger, 0.0)
    assert m.state is state
    return m


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("trigger", list(Trigger))
def test_every_state_and_trigger_follows_the_table(state: State, trigger: Trigger) -> None:
    m = machine_in(state)
    actions = m.handle(trigger, 1.0)
    target = s.TRANSITIONS.get((state, trigger))
    if target is None:
        assert m.state is state
        assert [type(a) for a in actions] == [s.Ignored]
    else:
        expected = State.WELCOME if target == s.RESUME else target  # the fault came from welcome
        assert m.state is expected
        changes = [a for a in actions if isinstance(a, s.StateChanged)]
        assert changes[0].old is state and changes[0].trigger is trigger
    assert all(a.message for a in actions)


def test_every_state_is_reachable_and_can_get_back_to_idle() -> None:
    targets = {t for t in s.TRANSITIONS.values() if t != s.RESUME}
    assert targets | {State.IDLE} == set(State)
    for state in State:
        if state is State.IDLE:
            continue
        moves = {t for (src, _), t in s.TRANSITIONS.items() if src is state}
        assert moves, state


def test_nothing_is_stored_before_consent() -> None:
    m = s.Session(config(), now=0.0)
    before = m.handle(Trigger.START, 0.0) + m.handle(Trigger.DECLINE, 1.0)
    before += m.handle(Trigger.START, 2.0) + m.tick(100.0)  # welcome timed out
    assert m.state is State.EXPIRED
    assert not [a for a in before if isinstance(a, s.OpenSession | s.SaveCandidate)]
    ended = [a for a in before if isinstance(a, s.SessionEnded)]
    assert ended and not ended[0].stored
    rejected = m.offer(cand(), 101.0)
    assert [type(a) for a in rejected] == [s.CandidateRejected] and rejected[0].reason == "not shooting"
    m.handle(Trigger.START, 102.0)
    opened = [a for a in m.handle(Trigger.CONSENT, 103.0) if isinstance(a, s.OpenSession)]
    assert opened and opened[0].shot_list == ("approachable", "confident") and m.opened


@pytest.mark.parametrize(
    ("state", "limit", "outcome"),
    [
        (State.WELCOME, 60.0, State.EXPIRED),
        (State.REVIEW, 90.0, State.DELIVERED),
    ],
)
def test_state_timeouts(state: State, limit: float, outcome: State) -> None:
    m = machine_in(state)  # entered at t=0
    assert m.tick(limit - 0.01) == [] and m.state is state
    actions = m.tick(limit)
    assert m.state is outcome
    assert any(isinstance(a, s.SessionEnded) and a.outcome is outcome for a in actions)
    m.tick(limit + 7.9)
    assert m.state is outcome
    m.tick(limit + 8.0)  # end screen over
    assert m.state is State.IDLE and not m.opened


def test_no_rest_face_in_time_shoots_on_rather_than_sending_the_sitter_away() -> None:
    m = machine_in(State.BASELINE)
    limit = m.config.timeouts[State.BASELINE]
    assert m.state_remaining(limit - 2.0) == pytest.approx(2.0)
    actions = m.tick(limit)
    assert m.state is State.SHOOTING
    changed = [a for a in actions if isinstance(a, s.StateChanged)]
    assert changed[0].old is State.BASELINE and changed[0].trigger is Trigger.TIMEOUT


def test_sitter_walking_away_mid_shoot_expires_cleanly() -> None:
    m = shooting(config("full range", shots=3, seconds=100.0))
    m.face_seen(15.0)
    assert m.tick(34.9) == []  # 20 s without a face counts from the last one seen
    actions = m.tick(35.0)
    assert m.state is State.EXPIRED
    finished = [a for a in actions if isinstance(a, s.LookFinished)]
    assert finished[0].reason == "ended" and finished[0].look == "confident"
    ended = next(a for a in actions if isinstance(a, s.SessionEnded))
    assert ended.stored and "kept" in ended.message


def test_shot_list_progression_by_shots_and_by_time_budget() -> None:
    m = s.Session(config("commercial", shots=2, seconds=10.0), now=0.0)
    m.handle(Trigger.START, 0.0)
    m.handle(Trigger.CONSENT, 0.0)
    started = [a for a in m.handle(Trigger.BASELINE_DONE, 1.0) if isinstance(a, s.LookStarted)]
    assert (started[0].look, started[0].index, started[0].total) == ("approachable", 0, 2)
    assert [type(a) for a in m.offer(cand("confident"), 2.0)] == [s.CandidateRejected]  # not this look yet
    assert [type(a) for a in m.offer(cand(score=0.6, t=2.0), 2.0)] == [s.SaveCandidate]
    actions = m.offer(cand(score=0.9, t=3.0), 3.0)
    assert [type(a) for a in actions] == [s.SaveCandidate, s.LookFinished, s.LookStarted]
    assert actions[1].reason == "shots" and actions[1].best.look_score == 0.9
    assert actions[2].look == "confident" and m.current_look.look == "confident"
    assert m.look_remaining(8.0) == pytest.approx(5.0)
    m.face_seen(12.0)
    assert m.tick(12.9) == []
    actions = m.tick(13.0)  # confident's 10 s are spent with nothing kept: move on, and say so
    finished = actions[0]
    assert isinstance(finished, s.LookFinished) and finished.reason == "time" and finished.kept == 0
    assert "Moving on from confident after 10 s" in finished.message
    assert m.state is State.REVIEW
    review = next(a for a in actions if isinstance(a, s.ReviewReady))
    assert set(review.best) == {"approachable"} and review.best["approachable"].look_score == 0.9
    m.handle(Trigger.FINISH, 20.0)
    assert m.state is State.DELIVERED


def test_fault_pauses_the_look_and_resumes_it() -> None:
    m = shooting(config("commercial", shots=2, seconds=10.0))
    m.offer(cand(t=4.0), 4.0)
    m.handle(Trigger.FAULT, 6.0)
    assert m.state is State.FAULT and m.tick(20.0) == []
    assert m.progress(20.0).look_seconds_left == pytest.approx(4.0)  # frozen while paused, not gone
    actions = m.handle(Trigger.RECOVER, 26.0)  # 20 s of fault
    assert m.state is State.SHOOTING and m.current_look.look == "approachable"
    assert any(isinstance(a, s.LookStarted) for a in actions)
    assert m.look_remaining(26.0) == pytest.approx(4.0)  # the 4 s left before the fault
    assert len(m.kept("approachable")) == 1
    m.handle(Trigger.FAULT, 27.0)
    actions = m.tick(57.0)  # the fault did not clear in 30 s
    assert m.state is State.ABORTED
    assert [a.reason for a in actions if isinstance(a, s.LookFinished)] == ["ended"]


def test_combined_score_is_documented_weighted_mean() -> None:
    p = DEFAULTS.score
    perfect = cand(score=1.0, sharpness=1e9, face_size=0.5)
    assert combined_score(perfect, p) == pytest.approx(1.0)
    parts = score_parts(cand(sharpness=150.0, face_size=0.175), p)
    assert parts["sharpness"] == pytest.approx(1 - math.exp(-1)) and parts["face_size"] == pytest.approx(0.5)
    assert score_parts(cand(sharpness=0.0), p)["sharpness"] == 0.0
    base = cand(score=0.8)
    assert combined_score(base, p) > combined_score(cand(score=0.8, engaged=False), p)
    assert combined_score(base, p) > combined_score(cand(score=0.8, eye_openness=0.1), p)
    assert combined_score(base, p) > combined_score(cand(score=0.8, sharpness=20.0), p)
    assert combined_score(base, p) > combined_score(cand(score=0.8, face_size=0.1), p)
    # A slightly better look does not beat a disengaged gaze; a much sharper frame matters less than the look.
    assert combined_score(cand(score=0.9, engaged=False), p) < combined_score(cand(score=0.8), p)
    assert combined_score(cand(score=0.5, sharpness=1e6), p) < combined_score(
        cand(score=0.8, sharpness=150), p
    )


def test_best_frame_is_chosen_by_combined_score_not_look_score_alone() -> None:
    m = shooting(config("commercial", shots=3, seconds=10.0))
    rng = np.random.default_rng(1)  # three different faces, so none is a near-duplicate
    blink = cand(score=0.95, eye_openness=0.0, t=1.0, lm=_face(rng))
    good = cand(score=0.85, t=2.0, lm=_face(rng))
    blurry = cand(score=0.86, sharpness=5.0, engaged=False, t=3.0, lm=_face(rng))
    flags = [m.offer(c, c.timestamp)[0].best_so_far for c in (blink, good, blurry)]
    assert flags == [True, True, False]
    assert m.best()["approachable"] is good


def _face(rng: np.random.Generator) -> np.ndarray:
    return np.column_stack(
        [rng.uniform(200, 400, 478), rng.uniform(150, 400, 478), rng.uniform(-20, 20, 478)]
    )


def test_near_duplicates_are_not_kept_twice() -> None:
    rng = np.random.default_rng(0)
    lm = _face(rng)
    moved = lm * 1.2 + [30.0, -12.0, 0.0]  # same expression, sitter leaned in and shifted
    expression = lm.copy()
    expression[:100, 1] += 15.0  # a different mouth/brow shape
    m = shooting(config("commercial", shots=3, seconds=10.0))
    assert isinstance(m.offer(cand(score=0.8, lm=lm), 1.0)[0], s.SaveCandidate)
    dup = m.offer(cand(score=0.81, lm=moved), 2.0)[0]
    assert isinstance(dup, s.CandidateRejected) and dup.reason == "near duplicate"
    assert isinstance(m.offer(cand(score=0.8, lm=expression), 3.0)[0], s.SaveCandidate)
    assert isinstance(
        m.offer(cand(score=0.6, lm=moved), 4.0)[0], s.SaveCandidate
    )  # scores differ: a variation
    assert len(m.kept("approachable")) == 3
    a, b = cand(lm=None), cand(lm=None)
    assert is_near_duplicate(a, b, 0.01, 0.05)
    assert not is_near_duplicate(a, cand("confident"), 0.01, 0.05)


def test_shot_lists_presets_custom_and_budgets() -> None:
    assert [p.look for p in shot_lists.resolve("theatrical", None, 3, 25.0)] == [
        "intense",
        "vulnerable",
        "playful",
    ]
    assert [p.look for p in shot_lists.resolve("full range", None, 3, 25.0)] == list(LOOKS) and len(
        LOOKS
    ) == 5
    settings = validate(
        {
            "session": {
                "shot_list": "solo",
                "custom_shot_lists": {"solo": ["intense", "playful"]},
                "shots_per_look": 4,
                "look_seconds": 12,
                "per_look": {"playful": {"shots": 1, "seconds": 5}},
            }
        }
    )
    cfg = s.SessionConfig.from_settings(settings.session)
    assert cfg.shot_list == (LookPlan("intense", 4, 12.0), LookPlan("playful", 1, 5.0))
    assert cfg.timeouts[State.SHOOTING] == settings.session.absent_timeout
    with pytest.raises(ConfigError, match="unknown shot list 'nope'"):
        settings_check.check(validate({"session": {"shot_list": "nope"}}), load_looks())
    with pytest.raises(ConfigError, match="is empty"):
        validate({"session": {"custom_shot_lists": {"x": []}}})
    with pytest.raises(KeyError):
        shot_lists.resolve("nope", None, 3, 25.0)
    assert s.SessionConfig.from_settings(Settings().session).shot_list_name == "full range"


def test_the_session_is_the_one_source_of_target_progress_and_counts() -> None:
    m = s.Session(config("commercial", shots=2, seconds=10.0), now=0.0)
    assert m.target_look == "approachable" and m.progress().look_index is None
    for trigger in (Trigger.START, Trigger.CONSENT):
        m.handle(trigger, 0.0)
    assert m.progress().look_index is None  # the baseline comes before the first look
    m.handle(Trigger.BASELINE_DONE, 0.0)
    progress = m.progress(0.0)
    assert (progress.looks, progress.look_index) == (("approachable", "confident"), 0)
    assert progress.kept == {"approachable": 0, "confident": 0}
    assert [p.state for p in progress.plan] == [s.LookState.CURRENT, s.LookState.NEXT]
    m.offer(cand(score=0.8), 1.0)
    assert m.progress().shots_kept == 1
    m.tick(11.0)  # the first look's 10 s ran out
    assert m.target_look == "confident" and m.progress().look_index == 1
    m.tick(21.0)
    assert m.state is State.REVIEW and m.progress().look_index == 1 and m.progress().shots_kept == 1
    m.handle(Trigger.FINISH, 22.0)
    m.handle(Trigger.RESET, 23.0)
    assert (
        m.progress().shots_kept == 0 and m.progress().look_index is None and m.target_look == "approachable"
    )


def test_a_stopped_look_stays_where_it_was_on_the_end_screen() -> None:
    m = shooting(config("commercial", shots=2, seconds=10.0))
    m.handle(Trigger.ABORT, 1.0)
    assert m.state is State.ABORTED and m.progress().look_index == 0 and m.target_look == "approachable"


def test_a_candidate_the_caller_could_not_store_no_longer_counts() -> None:
    m = shooting(config("commercial", shots=2, seconds=10.0))
    kept = cand(score=0.8)
    m.offer(kept, 1.0)
    m.withdraw(kept)
    assert m.progress().shots_kept == 0 and m.best() == {}


def test_photos_kept_still_count_when_the_shot_list_changes_on_the_end_screen() -> None:
    m = shooting(config("commercial", shots=2, seconds=10.0))
    m.offer(cand(score=0.8), 1.0)
    m.handle(Trigger.ABORT, 2.0)
    m.config = config("theatrical")  # the operator saved another shot list meanwhile
    assert m.progress().shots_kept == 1


def test_a_look_that_got_no_photo_is_missed_not_ticked() -> None:
    m = shooting(config("commercial", shots=2, seconds=10.0))  # approachable, then confident
    m.tick(10.0)  # approachable's time ran out with nothing kept
    m.offer(cand("confident", score=0.8), 11.0)
    plan = m.progress(11.0).plan
    assert [(p.look, p.state, p.missed_because) for p in plan] == [
        ("approachable", s.LookState.MISSED, s.MissedBecause.TIME),
        ("confident", s.LookState.CURRENT, s.MissedBecause.NONE),
    ]
    m.tick(20.0)  # confident's time ran out with one of two kept: done, not missed
    progress = m.progress(20.0)
    assert m.state is State.REVIEW
    assert [p.state for p in progress.plan] == [s.LookState.MISSED, s.LookState.DONE]
    assert (progress.shots_kept, progress.looks_with_photos, len(progress.plan)) == (1, 1, 2)


def test_looks_after_a_stop_are_missed_because_the_session_stopped() -> None:
    m = shooting(config("theatrical", shots=1, seconds=10.0))
    m.offer(cand(m.target_look, score=0.8), 1.0)  # the first look done with its one shot
    m.handle(Trigger.ABORT, 2.0)
    plan = m.progress(2.0).plan
    assert plan[0].state is s.LookState.DONE
    assert all(
        p.state is s.LookState.MISSED and p.missed_because is s.MissedBecause.STOPPED for p in plan[1:]
    )


def test_time_left_for_the_look_and_the_session() -> None:
    m = shooting(config("commercial", shots=2, seconds=10.0))  # two looks of 10 s, started at 0
    progress = m.progress(4.0)
    assert progress.look_seconds_left == pytest.approx(6.0)
    assert progress.seconds_left == pytest.approx(16.0)  # 6 s of this look and all 10 of the next
    assert progress.seconds_total == pytest.approx(20.0)
    m.tick(10.0)
    assert m.progress(13.0).seconds_left == pytest.approx(7.0)
    assert m.progress().seconds_left is None  # no clock given: no time shown


def test_a_would_be_duplicate_is_known_before_the_shutter_fires() -> None:
    m = shooting(config("commercial", shots=3, seconds=10.0))
    first = cand(score=0.8)
    assert m.rejection(first) is None
    m.offer(first, 1.0)
    again = cand(score=0.8, t=2.0)
    rejected = m.rejection(again)
    assert rejected is not None and rejected.reason == "near duplicate"
    assert m.offer(again, 2.0)[0] == rejected  # the offer says the same, for the stills that still come
    assert m.rejection(cand("confident")) is not None  # another look than the one being shot


def test_a_frame_fired_by_hand_is_kept_even_if_it_repeats_one():
    m = shooting(config("commercial", shots=3, seconds=10.0))
    m.offer(cand(score=0.8), 1.0)
    again = cand(score=0.8, t=2.0)
    assert isinstance(m.offer(again, 2.0)[0], s.CandidateRejected)
    assert isinstance(m.offer(again, 2.5, by_hand=True)[0], s.SaveCandidate)  # the operator asked for it
    assert m.progress().shots_kept == 2


def test_a_look_listed_twice_is_two_entries_with_their_own_photos():
    cfg = dataclasses.replace(
        config("commercial", shots=1, seconds=10.0),
        shot_list=(
            LookPlan("approachable", 1, 10.0),
            LookPlan("confident", 1, 10.0),
            LookPlan("approachable", 1, 10.0),
        ),
    )
    m = shooting(cfg)
    m.offer(cand(score=0.8), 1.0)  # the first approachable: done with its one photo
    m.tick(11.0)  # confident runs out of time
    progress = m.progress(11.0)
    assert [(p.state, p.kept) for p in progress.plan] == [
        (s.LookState.DONE, 1),
        (s.LookState.MISSED, 0),
        (s.LookState.CURRENT, 0),  # nothing of the first entry counts here
    ]
    assert m.rejection(cand(score=0.8, t=12.0)) is None  # nor is it compared with the first entry's photo
    m.offer(cand(score=0.9, t=12.0), 12.0)
    assert m.progress().kept == {"approachable": 2, "confident": 0} and m.state is State.REVIEW
    assert m.best()["approachable"].look_score == 0.9

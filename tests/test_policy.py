"""The trigger decision over synthetic score sequences (booth/policy.py is pure: no mocks needed).

Each case is a sequence of frames at 30 fps; a frame is a target-look score plus gaze verdicts. The policy's
clock is injected, so ``now`` is the frame's capture time plus a fixed analysis delay.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from booth.config import PolicySettings
from booth.errors import ConfigError
from booth.policy import (
    Decision,
    FrameRef,
    Observation,
    PolicyParams,
    SubjectScore,
    TriggerPolicy,
    TriggerState,
    burst_around,
    pick_subject,
)

FPS = 30.0
DELAY = 0.012  # analysis time: decision made 12 ms after capture
LOOK = "approachable"


class Judge:
    """The policy waiting for one target look, which the session would pass on every frame."""

    def __init__(self, settings: PolicySettings, target: str = LOOK) -> None:
        self.policy = TriggerPolicy(PolicyParams.from_settings(settings))
        self.target = target

    def update(self, observation: Observation, now: float, may_fire: bool = True) -> Decision:
        return self.policy.update(observation, now, self.target, may_fire)

    def manual_fire(self, now: float, observation: Observation | None = None) -> Decision:
        return self.policy.manual_fire(now, self.target, observation)

    def new_look(self, target: str) -> None:
        """What the session runner does when the session moves on to another look."""
        self.target = target
        self.policy.reset()

    def reset(self) -> None:
        self.policy.reset()


@dataclass(frozen=True)
class F:
    """One frame of a case: target score, gaze verdicts and how many (equal) faces are in view."""

    score: float | None
    engaged: bool = True
    eyes_open: bool = True
    dead: bool = False
    faces: int = 1


def face(
    score: float, *, engaged=True, eyes_open=True, dead=False, size=0.4, area=1.0, track=0
) -> SubjectScore:
    return SubjectScore(
        face_size=size,
        area=area,
        look_scores={LOOK: score, "intense": 1.0 - score},
        engaged=engaged,
        eyes_open=eyes_open,
        dead_gaze=dead,
        reasons=() if engaged else ("looking away",),
        track_id=track,
    )


def observation(i: int, frame: F, t0: float = 100.0) -> Observation:
    if frame.score is None or frame.faces == 0:
        faces: tuple[SubjectScore, ...] = ()
    else:
        one = face(frame.score, engaged=frame.engaged, eyes_open=frame.eyes_open, dead=frame.dead)
        faces = (one,) * frame.faces
    return Observation(timestamp=t0 + i / FPS, sequence=i, faces=faces)


def run(frames: list[F], **settings) -> tuple[Judge, list[Decision]]:
    policy = Judge(PolicySettings(**settings), LOOK)
    decisions = []
    for i, frame in enumerate(frames):
        obs = observation(i, frame)
        decisions.append(policy.update(obs, now=obs.timestamp + DELAY))
    return policy, decisions


def fired(decisions: list[Decision]) -> list[int]:
    return [d.sequence for d in decisions if d.fire]


def S(*scores: float, **kw) -> list[F]:
    return [F(s, **kw) for s in scores]


BASE = {"default_threshold": 0.6, "hysteresis": 0.1, "min_frames": 4, "min_ms": 90, "cooldown_s": 2.0}

# name, frames, settings overrides, expected firing frames, expected peak frames
CASES = [
    (
        "fires once at the fourth held frame, peak inside the window",
        S(0.1, 0.2, 0.62, 0.7, 0.9, 0.8, 0.85, 0.9, 0.9, 0.9),
        {},
        [5],
        [4],
    ),
    ("never below threshold", S(*[0.59] * 30), {}, [], []),
    ("single-frame spike", S(0.1, 0.1, 0.99, 0.1, 0.1, 0.1, 0.1), {}, [], []),
    ("spike then gap too short to hold", S(0.1, 0.7, 0.7, 0.7, 0.3, 0.7, 0.7, 0.7, 0.2), {}, [], []),
    ("dead gaze never fires", S(*[0.95] * 30, dead=True), {}, [], []),
    ("closed eyes never fire", S(*[0.95] * 30, eyes_open=False), {}, [], []),
    ("gaze not engaged never fires", S(*[0.95] * 30, engaged=False), {}, [], []),
    ("two faces of equal size never fire", S(*[0.95] * 30, faces=2), {}, [], []),
    ("no face", [F(None)] * 20, {}, [], []),
    (
        "hysteresis: dips inside the band keep the hold",
        S(0.1, 0.65, 0.55, 0.52, 0.58, 0.3),
        {},
        [4],
        [1],
    ),
    (
        "hysteresis: a dip below the band restarts the hold",
        S(0.1, 0.65, 0.55, 0.45, 0.58, 0.62, 0.63, 0.61, 0.7, 0.2),
        {},
        [8],
        [8],
    ),
    (
        "hysteresis: the band does not arm",
        S(0.1, 0.55, 0.58, 0.59, 0.58, 0.57, 0.59, 0.55),
        {},
        [],
        [],
    ),
    (
        "min_ms dominates min_frames",
        S(*[0.9] * 12),
        {"min_frames": 2, "min_ms": 250},
        [8],  # 8 frames after the first at 30 fps = 267 ms >= 250
        [8],  # a flat plateau: its latest frame is the peak (least shutter lag)
    ),
    (
        "cooldown: a steady look fires once per cooldown",
        S(*[0.9] * 150),  # 5 s
        {"cooldown_s": 1.99},
        # first fire at 3 (4 frames, 100 ms); the cooldown ends 1.99 s later, at frame 63; the hold restarts
        [3, 66, 129],
        [3, 66, 129],
    ),
    (
        "a blink mid-hold restarts the stability window",
        [F(0.9), F(0.9), F(0.9, eyes_open=False), F(0.9), F(0.9), F(0.9), F(0.9)],
        {},
        [6],
        [6],
    ),
    (
        "per-look threshold overrides the default",
        S(0.5, 0.5, 0.5, 0.5, 0.5),
        {"thresholds": {LOOK: 0.45}},
        [3],
        [3],
    ),
]


@pytest.mark.parametrize(
    ("frames", "overrides", "fires", "peaks"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_score_sequences(frames, overrides, fires, peaks):
    _, decisions = run(frames, **{**BASE, **overrides})
    assert fired(decisions) == fires
    fire_decisions = [d for d in decisions if d.fire]
    assert [d.peak_sequence for d in fire_decisions] == peaks
    for d in fire_decisions:
        assert d.state is TriggerState.FIRING
        assert d.peak_timestamp == pytest.approx(100.0 + d.peak_sequence / FPS)
        assert d.burst[0].sequence == d.peak_sequence
        assert d.decided_at - d.peak_timestamp >= DELAY
        assert not d.manual


def test_states_along_a_session():
    frames = [
        F(None),
        F(0.9, faces=2),
        F(0.9, eyes_open=False),
        F(0.9, dead=True),
        F(0.9, engaged=False),
        F(0.2),
        F(0.55),  # inside the hysteresis band: rising toward the threshold
        F(0.7),
        F(0.7),
        F(0.7),
        F(0.7),
        F(0.7),
    ]
    _, decisions = run(frames, **BASE)
    assert [d.state for d in decisions] == [
        TriggerState.NO_FACE,
        TriggerState.MULTIPLE_FACES,
        TriggerState.NOT_ENGAGED,
        TriggerState.DEAD_GAZE,
        TriggerState.NOT_ENGAGED,
        TriggerState.NOT_THE_LOOK,
        TriggerState.ALMOST,
        TriggerState.ALMOST,
        TriggerState.ALMOST,
        TriggerState.ALMOST,
        TriggerState.FIRING,
        TriggerState.COOLDOWN,
    ]
    assert decisions[4].reason == "looking away"
    assert decisions[2].reason == "eyes closed"
    progress = [d.progress for d in decisions[7:11]]
    assert progress[0] == 0.0 < progress[1] < progress[2] < 1.0 == progress[3]
    assert decisions[-1].reason.startswith("next shot in")


def subject_frames(faces_per_frame: list[tuple[SubjectScore, ...]], **settings) -> list[Decision]:
    policy = Judge(PolicySettings(**{**BASE, **settings}), LOOK)
    out = []
    for i, faces in enumerate(faces_per_frame):
        t = 100.0 + i / FPS
        out.append(policy.update(Observation(t, i, faces), now=t + DELAY))
    return out


def test_largest_face_fires_when_clearly_larger():
    big, small = face(0.9, area=4.0), face(0.1, area=1.0, size=0.2)
    decisions = subject_frames([(small, big)] * 6, dominance_ratio=1.5)
    assert fired(decisions) == [3]
    assert decisions[3].score == 0.9


def test_largest_face_not_clearly_larger_does_not_fire():
    big, other = face(0.9, area=1.4), face(0.9, area=1.0)
    decisions = subject_frames([(big, other)] * 10, dominance_ratio=1.5)
    assert fired(decisions) == []
    assert {d.state for d in decisions} == {TriggerState.MULTIPLE_FACES}


def test_small_face_does_not_fire():
    decisions = subject_frames([(face(0.9, size=0.05),)] * 10, min_face_size=0.12)
    assert fired(decisions) == []
    assert "step closer" in decisions[0].reason


def test_subject_change_restarts_hold():
    a, b = face(0.9, track=1), face(0.9, track=2)
    decisions = subject_frames([(a,), (a,), (a,), (b,), (b,), (b,), (b,)])
    assert fired(decisions) == [6]


def test_frame_gap_restarts_hold():
    policy = Judge(PolicySettings(**BASE, max_gap_ms=200), LOOK)
    times = [0.0, 0.033, 0.066, 0.5, 0.533, 0.566, 0.6, 0.633]
    decisions = [policy.update(Observation(t, i, (face(0.9),)), now=t + DELAY) for i, t in enumerate(times)]
    assert fired(decisions) == [6]
    assert decisions[6].peak_sequence == 6 and decisions[6].burst[0].sequence == 6


def test_plateau_peak_is_its_latest_frame_but_a_real_peak_wins():
    _, flat = run(S(0.1, 0.9, 0.9, 0.905, 0.9, 0.2), **{**BASE, "min_ms": 0})
    assert [d.peak_sequence for d in flat if d.fire] == [4]  # within 0.01 of the best: the latest
    _, peaked = run(S(0.1, 0.9, 0.95, 0.9, 0.9, 0.2), **{**BASE, "min_ms": 0})
    assert [d.peak_sequence for d in peaked if d.fire] == [2]


def test_stale_or_repeated_frame_is_ignored():
    policy = Judge(PolicySettings(**BASE), LOOK)
    first = policy.update(Observation(1.0, 5, (face(0.9),)), now=1.01)
    again = policy.update(Observation(1.0, 5, (face(0.9),)), now=1.02)
    assert again == first


def test_a_repeated_frame_never_fires_twice():
    policy = Judge(PolicySettings(**{**BASE, "min_frames": 1, "min_ms": 0}), LOOK)
    fired = policy.update(Observation(1.0, 5, (face(0.9),)), now=1.01)
    assert fired.fire
    repeat = policy.update(Observation(1.0, 5, (face(0.9),)), now=1.02)
    assert not repeat.fire and repeat.sequence == fired.sequence


def test_peak_is_chosen_on_the_frames_own_score():
    """Smoothed scores still rise at the decision; the unsmoothed ones show where the expression peaked."""
    settings = PolicySettings(**{**BASE, "min_frames": 4, "min_ms": 0})
    policy = Judge(settings, LOOK)
    raw = [0.95, 0.99, 0.9, 0.85]
    smoothed = [0.8, 0.85, 0.88, 0.9]
    decisions = [
        policy.update(
            Observation(i / 30, i, (dataclasses.replace(face(s), raw_scores={LOOK: r}),)), now=i / 30
        )
        for i, (s, r) in enumerate(zip(smoothed, raw, strict=True), start=1)
    ]
    (shot,) = [d for d in decisions if d.fire]
    assert shot.sequence == 4 and shot.peak_sequence == 2


def test_burst_frames_around_peak():
    frames = S(0.1, 0.7, 0.8, 0.95, 0.8, 0.75, 0.7)
    _, decisions = run(frames, **{**BASE, "min_frames": 6, "min_ms": 0, "burst": 3})
    (shot,) = [d for d in decisions if d.fire]
    assert shot.sequence == 6
    assert shot.peak_sequence == 3
    assert [f.sequence for f in shot.burst] == [3, 4, 2]
    assert [f.score for f in shot.burst] == [0.95, 0.8, 0.8]


@pytest.mark.parametrize(
    ("peak", "count", "expected"),
    [(0, 3, [0, 1, 2]), (4, 3, [4, 3, 2]), (2, 5, [2, 3, 1, 4, 0]), (2, 9, [2, 3, 1, 4, 0]), (1, 1, [1])],
)
def test_burst_around_clamps_to_window(peak, count, expected):
    window = [FrameRef(i, i / FPS, 0.5) for i in range(5)]
    assert [f.sequence for f in burst_around(window, peak, count)] == expected


def test_manual_fire_bypasses_policy_records_scores_and_starts_cooldown():
    policy = Judge(PolicySettings(**BASE), LOOK)
    obs = Observation(10.0, 1, (face(0.2, engaged=False),))
    assert policy.update(obs, now=10.01).state is TriggerState.NOT_ENGAGED
    shot = policy.manual_fire(now=10.02)
    assert shot.fire and shot.manual and shot.state is TriggerState.FIRING
    assert shot.peak_sequence == 1 and shot.score == 0.2
    assert shot.subject is not None and not shot.subject.engaged and shot.subject_index == 0
    later = policy.update(Observation(10.1, 2, (face(0.9),)), now=10.11)
    assert later.state is TriggerState.COOLDOWN


def test_manual_fire_without_any_frame():
    shot = Judge(PolicySettings(**BASE), LOOK).manual_fire(now=5.0)
    assert shot.fire and shot.manual and shot.peak_sequence is None and shot.burst == ()


def test_target_change_restarts_hold_and_uses_its_score():
    policy = Judge(PolicySettings(**BASE), LOOK)
    out = []
    for i in range(8):
        if i == 2:
            policy.new_look("intense")
        t = i / FPS
        out.append(policy.update(Observation(t, i, (face(0.1),)), now=t + DELAY))
    # "intense" scores 0.9 in these frames; held from frame 2, fires at 5
    assert fired(out) == [5]
    assert out[5].look == "intense"


def test_unscored_target_look_never_fires():
    policy = Judge(PolicySettings(**BASE), "vulnerable")
    out = [policy.update(Observation(i / FPS, i, (face(0.9),)), now=i / FPS) for i in range(10)]
    assert fired(out) == []
    assert "not scored" in out[0].reason


def test_reset_clears_cooldown():
    frames = S(*[0.9] * 5)
    policy, decisions = run(frames, **BASE)
    assert fired(decisions) == [3]
    policy.reset()
    again = [policy.update(observation(i, F(0.9)), now=100.0 + i / FPS) for i in range(4)]
    assert fired(again) == [3]


def test_decision_json_is_compact():
    _, decisions = run(S(0.9, 0.9, 0.9, 0.9), **BASE)
    data = decisions[-1].to_json()
    assert data["state"] == "firing" and data["fire"] is True and data["peak_sequence"] == 3


@pytest.mark.parametrize(
    "bad",
    [{"dominance_ratio": 1.0}, {"default_threshold": 1.5}, {"thresholds": {"x": -0.1}}, {"min_frames": 0}],
)
def test_settings_reject_invalid(bad):
    from booth.config import validate

    with pytest.raises(ConfigError):
        validate({"policy": bad})


def test_outside_a_session_a_held_look_is_shown_but_never_fired():
    policy = Judge(PolicySettings(**{**BASE, "min_ms": 0}), LOOK)
    decisions = [
        policy.update(observation(i, F(0.9)), now=100.0 + i / FPS, may_fire=False) for i in range(10)
    ]
    assert fired(decisions) == []
    assert decisions[-1].state is TriggerState.ALMOST and decisions[-1].progress == 1.0
    # The moment shooting starts, the held look fires on the next frame.
    assert policy.update(observation(10, F(0.9)), now=100.0 + 10 / FPS).fire


def test_the_chosen_subject_travels_on_the_decision():
    """One rule for who the sitter is: the index the decision names is the face that was judged."""
    big, small = face(0.9, area=4.0), face(0.1, area=1.0, size=0.2)
    decisions = subject_frames([(small, big)] * 2, dominance_ratio=1.5)
    assert decisions[0].subject_index == 1 and decisions[0].subject == big and decisions[0].score == 0.9
    crowd = subject_frames([(face(0.9, area=1.0), face(0.9, area=1.2))], dominance_ratio=1.5)
    assert crowd[0].subject_index is None and crowd[0].state is TriggerState.MULTIPLE_FACES
    assert pick_subject([1.0, 3.0, 1.5], 1.5) == (1, None, "")
    assert pick_subject([], 1.5)[1] is TriggerState.NO_FACE


def test_disarm_keeps_the_cooldown_and_reset_clears_it():
    settings = PolicySettings(**{**BASE, "min_frames": 1, "min_ms": 0, "cooldown_s": 5.0})
    judge = Judge(settings)
    assert judge.update(observation(0, F(0.9)), now=100.0).fire
    judge.policy.disarm()
    assert judge.update(observation(1, F(0.9)), now=100.1).state is TriggerState.COOLDOWN
    judge.policy.reset()
    assert judge.update(observation(2, F(0.9)), now=100.2).fire

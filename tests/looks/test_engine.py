"""Looks, verdicts, the sitter's baseline and dead gaze on real faces (real models, no mocks)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from booth.config import PolicySettings
from booth.looks import Baseline, LookScorer, Thresholds, engine, load
from booth.media import iter_video

DEFAULTS = PolicySettings()


@pytest.fixture(scope="module")
def book():
    return load()


def scorer_for(book, baseline=None, **kwargs) -> LookScorer:
    """A scorer at the booth's default thresholds and minimum face size."""
    thresholds = Thresholds.from_settings(DEFAULTS)
    return LookScorer(book, thresholds, DEFAULTS.min_face_size, baseline, **kwargs)


@pytest.fixture(scope="module")
def smile_clip(models, vision_params):
    """single_face.mp4 read once: a man neutral for ~18 frames, then smiling, looking at the camera."""
    from booth import assets
    from booth.vision import FacePipeline

    pipeline = FacePipeline(models=models, params=vision_params)
    return [
        (f.timestamp, pipeline.analyze(f.pixels)[0]) for f in iter_video(assets.media_path("single_face.mp4"))
    ]


def run(scorer, frames, target=None):
    return [scorer.score(reading, t, target) for t, reading in frames]


def test_smiling_engaged_face_scores_approachable_above_intense_and_vulnerable(book, pipeline, photo):
    for name in ("astronaut.png", "single_face.jpg", "0-f15-hao-ph.jpg"):
        (face,) = pipeline.analyze(photo(name), track=False)
        result = scorer_for(book, hold_seconds=0).score(face, 0.0)
        # astronaut.png looks into the lens with her chin down, but the uncalibrated population model reads
        # her gaze 12 degrees low: the dev set's one still it misses (README, "Gaze").
        assert result.verdict.engaged or name == "astronaut.png"
        s = result.scores
        assert (
            s["approachable"] >= 0.6
            and s["approachable"] > s["intense"]
            and s["approachable"] > s["vulnerable"]
        )


def test_neutral_face_is_not_approachable(book, pipeline, photo):
    (face,) = pipeline.analyze(photo("grace_hopper.jpg"), track=False)
    assert scorer_for(book, hold_seconds=0).score(face, 0.0).scores["approachable"] < 0.2


def test_clip_turns_approachable_when_the_smile_starts(book, smile_clip):
    results = run(scorer_for(book), smile_clip, target="approachable")
    approachable = [r.scores["approachable"] for r in results]
    assert max(approachable[:15]) < 0.2
    # The blink (frames 26-28 closed, labelled by eye) drops every look at once; it climbs back after.
    assert max(approachable[26:29]) <= 0.05
    assert np.mean(approachable[30:]) > 0.8 and min(approachable[33:]) > 0.6
    # He looks at the lens throughout (labelled by eye); the breaks are a blink (frames 26-28), re-settling
    # after it, and one frame (69) that the uncalibrated population model puts just outside its ellipse.
    assert np.mean([r.verdict.engaged for r in results[10:]]) > 0.8
    reasons = [reason for r in results[10:] for reason in r.verdict.reasons]
    assert set(reasons) - {"eyes closed", "settling"} <= {"looking away (right)"}
    assert reasons.count("looking away (right)") <= 1
    assert [r.verdict.reasons for r in results[26:28]] == [("eyes closed",)] * 2
    assert results[40].hint == "Hold that!"
    assert results[5].hint and results[5].hint != "Hold that!"


def test_baseline_removes_a_resting_smile(book, smile_clip):
    """A sitter whose face at rest is this smile: raw, it reads approachable; against its baseline, not."""
    resting_smile = smile_clip[30:60]
    baseline = Baseline.capture([r for _, r in resting_smile])
    raw = run(scorer_for(book), smile_clip[40:])
    calibrated = run(scorer_for(book, baseline), smile_clip[40:])
    assert np.mean([r.scores["approachable"] for r in raw]) > 0.6
    for result in calibrated:  # under the 0.6 that fires, for every look
        assert max(result.scores.values()) < 0.5, result.scores


def test_neutral_frames_score_low_on_every_look_with_their_baseline(book, smile_clip):
    neutral = smile_clip[:16]
    baseline = Baseline.capture([r for _, r in neutral[:8]])
    for result in run(scorer_for(book, baseline), neutral[8:]):
        assert max(result.scores.values()) < 0.35, result.scores


def test_eyes_closed_and_looking_away_are_never_engaged(book, pipeline, media):
    scorer = scorer_for(book)
    verdicts = {}
    for frame in iter_video(media("WolfgangLanger_Pexels.mp4")):
        for face in pipeline.analyze(frame.pixels):
            verdicts[frame.index] = scorer.score(face, frame.timestamp)
    closed = [verdicts[i] for i in range(12, 121) if i in verdicts]
    away = [verdicts[i] for i in range(150, 183) if i in verdicts]
    assert len(closed) > 100 and len(away) > 30
    assert not any(v.verdict.engaged for v in closed + away)
    assert all("eyes closed" in v.verdict.reasons for v in closed)
    assert sum(any(r.startswith("looking away") for r in v.verdict.reasons) for v in away) > 25
    assert {v.hint for v in closed} == {"Open your eyes"}


def test_one_noisy_frame_neither_fires_nor_blocks(book, smile_clip):
    scorer = scorer_for(book)
    steady = run(scorer, smile_clip[30:45])[-1].scores["approachable"]
    t, reading = smile_clip[45]
    grin_gone = dataclasses.replace(
        reading, blendshapes={**reading.blendshapes, "mouthSmileLeft": 0.0, "mouthSmileRight": 0.0}
    )
    dipped = scorer.score(grin_gone, t).scores["approachable"]
    assert dipped > 0.6 * steady  # one frame moves the smoothed score only part of the way
    assert dipped < steady


def test_identical_frames_fail_the_micro_movement_check(book, smile_clip):
    """A frozen, blank face: the dead-gaze recipe plus no movement. The same frame repeated never moves."""
    t0, reading = smile_clip[5]
    blank = dataclasses.replace(
        reading,
        blendshapes={
            **reading.blendshapes,
            "eyeWideLeft": 0.6,
            "eyeWideRight": 0.6,
            "browInnerUp": 0.5,
            "browOuterUpLeft": 0.5,
            "browOuterUpRight": 0.5,
        },
        emotions={**reading.emotions, "neutral": 0.95},
    )
    scorer = scorer_for(book)
    results = [scorer.score(blank, t0 + i / 30) for i in range(40)]
    assert results[-1].dead_gaze
    assert results[-1].hint == "Soften your eyes"
    assert not any(r.dead_gaze for r in results[:4])  # under five frames there is no movement evidence yet
    # The same blank expression on a face that is moving (real frames: the smile breaking, frames 14-32)
    # is not frozen, so it is no dead gaze.
    moving = scorer_for(book)
    live = [
        moving.score(dataclasses.replace(r, blendshapes=blank.blendshapes, emotions=blank.emotions), t)
        for t, r in smile_clip[14:33]
    ]
    assert not any(result.dead_gaze for result in live)


def test_the_target_is_passed_per_call_and_recorded(book, smile_clip):
    """The session owns the target look: one scorer coaches toward whatever each call names."""
    scorer = scorer_for(book)
    run(scorer, smile_clip[:40])
    t, reading = smile_clip[40]
    toward = scorer.score(reading, t, "approachable")
    assert toward.target == "approachable" and toward.hint == "Hold that!"
    t, reading = smile_clip[41]
    other = scorer.score(reading, t, "intense")
    assert other.target == "intense" and other.hint not in ("", "Hold that!")
    t, reading = smile_clip[42]
    untargeted = scorer.score(reading, t)
    assert untargeted.target is None and untargeted.hint == ""
    # The target changes the hint only, never the scores.
    twin = scorer_for(book)
    twin_results = run(twin, smile_clip[:43], target="intense")
    assert twin_results[-1].scores == pytest.approx(untargeted.scores)


def test_hold_that_means_the_thresholds_the_scorer_holds(book, smile_clip):
    strict = dataclasses.replace(Thresholds.from_settings(DEFAULTS), per_look={"approachable": 0.99})
    scorer = LookScorer(book, strict, DEFAULTS.min_face_size)
    results = run(scorer, smile_clip[:45], target="approachable")
    assert results[-1].scores["approachable"] > 0.6
    assert not any(r.hint == "Hold that!" for r in results)
    scorer.set_thresholds(Thresholds.from_settings(DEFAULTS), DEFAULTS.min_face_size)
    t, reading = smile_clip[45]
    assert scorer.score(reading, t, "approachable").hint == "Hold that!"  # smoothing kept, new threshold


def test_a_face_below_the_minimum_size_is_too_far(book, smile_clip):
    t, reading = smile_clip[40]
    scorer = LookScorer(book, Thresholds.from_settings(DEFAULTS), reading.face_size + 0.01, hold_seconds=0)
    result = scorer.score(reading, t, "approachable")
    assert not result.verdict.engaged and "too far from the camera" in result.verdict.reasons
    assert result.hint == "Come a little closer"
    scorer.set_thresholds(Thresholds.from_settings(DEFAULTS), reading.face_size - 0.01)
    assert scorer.score(reading, t + 0.03, "approachable").verdict.engaged


def _looking(reading, angles):
    """The reading with its (uncalibrated) gaze set to ``angles``."""
    return dataclasses.replace(reading, gaze_parts=dataclasses.replace(reading.gaze_parts, angles=angles))


def test_engaged_means_inside_the_widened_ellipse_without_a_calibration(book, smile_clip):
    """The one "engaged" judgement for a sitter with no lens calibration: the population gaze inside the
    operator's tolerance widened by the population margin."""
    from booth.looks.calibration import POPULATION_MARGIN_DEG

    _, reading = smile_clip[40]
    tolerance = Thresholds.from_settings(DEFAULTS).gaze
    half_x, half_y = tolerance[0] + POPULATION_MARGIN_DEG[0], tolerance[1] + POPULATION_MARGIN_DEG[1]

    def verdict(gaze):
        return scorer_for(book, None, hold_seconds=0).score(_looking(reading, gaze), 0.0).verdict

    assert verdict((0.0, 0.0)).engaged
    assert verdict((half_x - 0.1, 0.0)).engaged and verdict((0.0, -half_y + 0.1)).engaged
    assert verdict((half_x + 0.5, 0.0)).reasons == ("looking away (left)",)  # image right: sitter's left
    assert verdict((0.0, half_y + 0.5)).reasons == ("looking away (down)",)
    # Each component inside its own axis, but together outside the ellipse.
    assert not verdict((0.75 * half_x, 0.75 * half_y)).engaged


def test_a_calibrated_sitter_is_judged_from_their_own_lens_direction(book, smile_clip):
    """With a lens calibration the bias is removed from the eyes in the head and the operator's tolerance
    applies unwidened: the same eyes are engaged for the sitter whose lens they are, and away for one whose
    lens lies the other way."""
    from booth.looks import Calibration, LensCalibration
    from booth.looks.calibration import bias_of

    _, reading = smile_clip[40]
    tolerance = Thresholds.from_settings(DEFAULTS).gaze
    own = bias_of(reading)  # this frame taken as the sitter's lens: exactly on it
    shifted = (own[0] + 2 * tolerance[0], own[1])  # a sitter whose lens reads far to their left

    def verdict(bias):
        baseline = Baseline({}, Calibration(LensCalibration(bias, 10), ""))
        return scorer_for(book, baseline, hold_seconds=0).score(reading, 0.0).verdict

    assert verdict(own).engaged
    assert LensCalibration(own, 10).gaze(reading) == pytest.approx((0.0, 0.0), abs=1e-6)
    assert verdict(shifted).reasons == ("looking away (right)",)


#: Clear examples of the looks no test clip poses, written from what portrait photographers coach, as the
#: signals a sitter shows above their rest. (Approachable's clear examples are the real broad-smile photos.)
TEXTBOOK = {
    "confident": {"squint": 0.2, "smile": 0.1, "head.level": 1.0},
    "intense": {"brow_down": 0.3, "squint": 0.25, "mouth_press": 0.25, "head.level": 1.0},
    "vulnerable": {"brow_inner_up": 0.4, "mouth_soft": 0.9, "head.tilt": 6.0, "eyes.openness": 0.6},
    "playful": {"smile": 0.8, "smiling": 1.0, "brow_outer_up": 0.3, "head.tilt": 20.0},
}


@pytest.mark.parametrize("look", sorted(TEXTBOOK))
def test_each_look_scores_a_textbook_example_at_0_9_and_no_other_look_fires(book, look):
    example = TEXTBOOK[look]
    assert book.looks[look].score(example) >= 0.9
    for other in set(TEXTBOOK) - {look}:
        assert book.looks[other].score(example) < DEFAULTS.default_threshold, other


def test_broad_smile_photos_are_textbook_approachable(book, pipeline, photo):
    checked = 0
    for name in ("astronaut.png", "single_face.jpg", "0-f15-hao-ph.jpg", "multi_face.jpg"):
        for face in pipeline.analyze(photo(name), track=False):
            result = scorer_for(book, hold_seconds=0).score(face, 0.0)
            if face.blendshapes["mouthSmileLeft"] > 0.5:  # the open smiles of the group photo
                assert result.scores["approachable"] >= 0.9, name
                assert result.smiling
                checked += 1
    assert checked >= 5  # three photos, and the broad smiles of the group photo


def _labelled(field: str, values: set[str]) -> list[int]:
    """WolfgangLanger frames whose ``field`` label (eyes or expression, by eye) is one of ``values``."""
    import json
    from pathlib import Path

    data = Path(__file__).parents[1] / "data"
    frames = []
    for name in ("expression_labels.json", "gaze_labels.json"):
        clip = json.loads((data / name).read_text())["clips"]["WolfgangLanger_Pexels.mp4"]
        frames += [int(i) for i, label in clip.items() if label.get(field) in values]
    return sorted(set(frames))


def test_closed_eyes_hold_every_look_and_the_meter_near_zero(book, clip_faces):
    """Her crying with eyes shut (16-139) and her laugh with eyes shut (439-471), labelled by eye."""
    scorer = scorer_for(book)
    results = {
        i: scorer.score(face, t, "approachable") for i, t, face in clip_faces("WolfgangLanger_Pexels.mp4")
    }
    closed = [results[i] for i in _labelled("eyes", {"closed"}) if i in results]
    assert len(closed) > 150
    for look in book.looks:
        assert np.mean([r.scores[look] for r in closed]) <= 0.25, look
    shut = [r for r in closed if not r.eyes_open]
    assert len(shut) > 0.9 * len(closed)
    for result in shut:
        assert max(result.scores.values()) <= 0.05
        assert result.readiness("approachable") <= 0.05 and result.hint != "Hold that!"


def test_no_look_fires_on_crying_or_distress(book, clip_faces):
    scorer = scorer_for(book)
    results = {i: scorer.score(face, t) for i, t, face in clip_faces("WolfgangLanger_Pexels.mp4")}
    wrong = [results[i] for i in _labelled("expression", {"crying", "distressed"})]
    assert len(wrong) == 190
    for look in book.looks:
        assert max(r.scores[look] for r in wrong) < DEFAULTS.default_threshold, look


def test_readiness_is_the_score_only_while_every_gate_is_open(book, smile_clip):
    results = run(scorer_for(book), smile_clip, target="approachable")
    for result in results:
        score = result.scores["approachable"]
        if result.verdict.engaged and result.eyes_open and not result.dead_gaze:
            assert result.readiness("approachable") == score
        else:
            assert result.readiness("approachable") == min(score, engine.GATED_READINESS)
    assert results[40].to_json()["readiness"] == pytest.approx(results[40].scores["approachable"], abs=1e-3)
    assert results[40].to_json()["smiling"] is True and results[5].to_json()["smiling"] is False

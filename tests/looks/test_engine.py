"""Looks, verdicts, the sitter's baseline and dead gaze on real faces (real models, no mocks)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from booth.looks import Baseline, LookScorer, load
from booth.media import iter_video


@pytest.fixture(scope="module")
def book():
    return load()


@pytest.fixture(scope="module")
def smile_clip(models):
    """single_face.mp4 read once: a man neutral for ~18 frames, then smiling, looking at the camera."""
    from booth import assets
    from booth.vision import FacePipeline

    pipeline = FacePipeline(models=models)
    return [
        (f.timestamp, pipeline.analyze(f.pixels)[0]) for f in iter_video(assets.media_path("single_face.mp4"))
    ]


def run(scorer, frames):
    return [scorer.score(reading, t) for t, reading in frames]


def test_smiling_engaged_face_scores_approachable_above_intense_and_vulnerable(book, pipeline, photo):
    for name in ("astronaut.png", "single_face.jpg", "0-f15-hao-ph.jpg"):
        (face,) = pipeline.analyze(photo(name), track=False)
        result = LookScorer(book, hold_seconds=0).score(face, 0.0)
        assert result.verdict.engaged
        s = result.scores
        assert (
            s["approachable"] >= 0.6
            and s["approachable"] > s["intense"]
            and s["approachable"] > s["vulnerable"]
        )


def test_neutral_face_is_not_approachable(book, pipeline, photo):
    (face,) = pipeline.analyze(photo("grace_hopper.jpg"), track=False)
    assert LookScorer(book, hold_seconds=0).score(face, 0.0).scores["approachable"] < 0.2


def test_clip_turns_approachable_when_the_smile_starts(book, smile_clip):
    results = run(LookScorer(book, target="approachable"), smile_clip)
    approachable = [r.scores["approachable"] for r in results]
    assert max(approachable[:15]) < 0.2
    assert np.mean(approachable[30:]) > 0.65 and min(approachable[30:]) > 0.45
    # He looks at the lens throughout; the only breaks are a blink (frames 26-28) and re-settling after it.
    assert np.mean([r.verdict.engaged for r in results[10:]]) > 0.8
    assert {reason for r in results[10:] for reason in r.verdict.reasons} <= {"eyes closed", "settling"}
    assert results[40].hint == "Hold that!"
    assert results[5].hint and results[5].hint != "Hold that!"


def test_baseline_removes_a_resting_smile(book, smile_clip):
    """A sitter whose face at rest is this smile: raw, it reads approachable; against its baseline, not."""
    resting_smile = smile_clip[30:60]
    baseline = Baseline.capture([r for _, r in resting_smile])
    raw = run(LookScorer(book), smile_clip[40:])
    calibrated = run(LookScorer(book, baseline), smile_clip[40:])
    assert np.mean([r.scores["approachable"] for r in raw]) > 0.6
    for result in calibrated:
        assert max(result.scores.values()) < 0.35, result.scores


def test_neutral_frames_score_low_on_every_look_with_their_baseline(book, smile_clip):
    neutral = smile_clip[:16]
    baseline = Baseline.capture([r for _, r in neutral[:8]])
    for result in run(LookScorer(book, baseline), neutral[8:]):
        assert max(result.scores.values()) < 0.35, result.scores


def test_eyes_closed_and_looking_away_are_never_engaged(book, pipeline, media):
    scorer = LookScorer(book)
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
    scorer = LookScorer(book)
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
    scorer = LookScorer(book)
    results = [scorer.score(blank, t0 + i / 30) for i in range(40)]
    assert results[-1].dead_gaze
    assert results[-1].hint == "Soften your eyes"
    assert not any(r.dead_gaze for r in results[:4])  # under five frames there is no movement evidence yet
    # The same blank expression on a face that is moving (real frames: the smile breaking, frames 14-32)
    # is not frozen, so it is no dead gaze.
    moving = LookScorer(book)
    live = [
        moving.score(dataclasses.replace(r, blendshapes=blank.blendshapes, emotions=blank.emotions), t)
        for t, r in smile_clip[14:33]
    ]
    assert not any(result.dead_gaze for result in live)

"""booth.service.baseline: after a settling moment, about a second in a row of the sitter at rest (eyes open,
no smile, head still) with enough frames; anything else is waited out, with the reason for the kiosk (real
models on real media; labels from tests/data/labels.json, made by eye)."""

from __future__ import annotations

import dataclasses

import pytest

from booth.service.baseline import (
    BASELINE_MIN_FRAMES,
    BASELINE_SECONDS,
    MOVING,
    NO_FACE,
    SETTLE_SECONDS,
    SMILE,
    STEADY_DEGREES,
    BaselineCollector,
    not_at_rest,
)
from booth.vision.reading import HeadPose


def _read(pipeline, media, name):
    from booth.media import load_image

    (reading,) = pipeline.analyze(load_image(media(name)), track=False)
    return reading


@pytest.fixture
def still(pipeline, media):
    """grace_hopper.jpg: a neutral face, eyes open (labels.json)."""
    return _read(pipeline, media, "grace_hopper.jpg")


@pytest.fixture
def smiling(pipeline, media):
    """single_face.jpg: a broad smile, eyes open (labels.json)."""
    return _read(pipeline, media, "single_face.jpg")


def test_what_a_rest_face_is(still, smiling):
    assert not_at_rest(still) == ""
    assert not_at_rest(smiling) == SMILE
    assert not_at_rest(None) == NO_FACE


def test_a_smile_at_consent_is_waited_out_not_taken_as_rest(still, smiling):
    collector = BaselineCollector()
    collector.begin(0.0)
    t = SETTLE_SECONDS
    for i in range(30):  # three seconds of smiling: never a baseline, and the kiosk says why
        assert collector.add(smiling, t + i * 0.1) is None
    assert collector.waiting_for == SMILE and collector.progress(t + 3.0) == 0.0
    t += 3.0
    got = [collector.add(still, t + i * 0.1) for i in range(int(BASELINE_SECONDS / 0.1) + 1)]
    assert got[-1] is not None and all(g is None for g in got[:-1])
    assert collector.waiting_for == ""


def test_a_smile_mid_run_starts_the_run_again(still, smiling):
    collector = BaselineCollector()
    collector.begin(0.0)
    t = SETTLE_SECONDS
    assert all(collector.add(still, t + i * 0.1) is None for i in range(8))
    assert collector.progress(t + 0.75) > 0.5
    assert collector.add(smiling, t + 0.8) is None and collector.progress(t + 0.8) == 0.0
    got = [collector.add(still, t + 0.9 + i * 0.1) for i in range(int(BASELINE_SECONDS / 0.1) + 1)]
    assert got[-1] is not None and all(g is None for g in got[:-1])


def test_a_head_that_moves_starts_the_run_again(still):
    """The same real reading with its head pose turned (a derived reading: the steadiness rule reads only
    the pose and the box)."""
    pose = still.head_pose
    turned = dataclasses.replace(
        still, head_pose=HeadPose(pose.yaw + STEADY_DEGREES + 2, pose.pitch, pose.roll)
    )
    collector = BaselineCollector()
    collector.begin(0.0)
    t = SETTLE_SECONDS
    assert all(collector.add(still, t + i * 0.1) is None for i in range(8))
    assert collector.add(turned, t + 0.8) is None
    assert collector.waiting_for == MOVING and collector.progress(t + 0.8) == 0.0


def test_the_baseline_comes_after_settling_its_time_and_enough_frames(still):
    collector = BaselineCollector()
    assert collector.add(still, 0.0) is None  # not begun: nothing is collected
    collector.begin(10.0)
    # While the sitter looks up from the screen, nothing counts however many frames come.
    assert all(collector.add(still, 10.0 + t) is None for t in (0.0, 0.2, SETTLE_SECONDS - 0.01))
    start = 10.0 + SETTLE_SECONDS
    got = [collector.add(still, start + i * BASELINE_SECONDS) for i in range(BASELINE_MIN_FRAMES)]
    assert got[:-1] == [None] * (BASELINE_MIN_FRAMES - 1)
    baseline = got[-1]
    assert baseline is not None and baseline.frames == BASELINE_MIN_FRAMES
    assert collector.add(still, 99.0) is None  # done: the next session begins again


def test_a_sitter_not_yet_in_front_of_the_camera_is_waited_for(still):
    """No face for far longer than the step: no baseline yet (the session's baseline_timeout ends the
    wait, see test_runner); once a second of the face at rest comes, the step ends."""
    collector = BaselineCollector()
    collector.begin(0.0)
    assert all(collector.add(None, SETTLE_SECONDS + i * 0.1) is None for i in range(50))
    assert collector.waiting_for == NO_FACE
    got = [collector.add(still, 6.0 + i * 0.1) for i in range(int(BASELINE_SECONDS / 0.1) + 1)]
    baseline = got[-1]
    assert all(g is None for g in got[:-1]) and baseline is not None
    assert baseline.frames == len(got)


def test_a_sitter_who_breaks_into_a_smile_is_asked_to_relax_it(pipeline, media):
    """single_face.mp4: a man who looks into the lens, neutral for the first 0.6 s, then smiles broadly for
    the rest of the clip (labels.json, by eye). His smile is never taken as his rest face."""
    from booth.media import iter_video

    collector = BaselineCollector()
    collector.begin(0.0)
    got, asked = [], set()
    for frame in iter_video(media("single_face.mp4")):
        (reading,) = pipeline.analyze(frame.pixels, track=True)
        got.append(collector.add(reading, frame.timestamp))
        asked.add(collector.waiting_for)
        if frame.timestamp > 3.0:
            break
    assert all(g is None for g in got)
    assert SMILE in asked

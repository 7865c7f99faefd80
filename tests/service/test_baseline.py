"""booth.service.baseline: after a settling moment, about a second of the sitter at rest with enough frames
of their face; frames without it count against the lens calibration (real models on real media)."""

from __future__ import annotations

import pytest

from booth.service.baseline import (
    BASELINE_MIN_FRAMES,
    BASELINE_SECONDS,
    SETTLE_SECONDS,
    BaselineCollector,
)


@pytest.fixture
def still(pipeline, media):
    from booth.media import load_image

    (reading,) = pipeline.analyze(load_image(media("single_face.jpg")), track=False)
    return reading


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
    wait); once enough frames of the face come, the step ends and the missing frames count as lost."""
    collector = BaselineCollector()
    collector.begin(0.0)
    assert all(collector.add(None, SETTLE_SECONDS + i * 0.1) is None for i in range(50))
    got = [collector.add(still, 6.0 + i * 0.1) for i in range(BASELINE_MIN_FRAMES)]
    baseline = got[-1]
    assert got[:-1] == [None] * (BASELINE_MIN_FRAMES - 1) and baseline is not None
    assert baseline.frames == BASELINE_MIN_FRAMES
    assert baseline.calibration.lens is None and baseline.calibration.reason == "face lost"


def test_a_sitter_looking_at_the_light_is_calibrated(pipeline, media):
    """single_face.mp4: a man looking into the lens throughout its first second (labelled by eye)."""
    from booth.media import iter_video

    collector = BaselineCollector()
    collector.begin(0.0)
    baseline = None
    for frame in iter_video(media("single_face.mp4")):
        (reading,) = pipeline.analyze(frame.pixels, track=True)
        baseline = collector.add(reading, frame.timestamp)
        if baseline is not None:
            break
    assert baseline is not None and baseline.calibration.lens is not None
    assert "lens calibration from" in baseline.calibration.describe()

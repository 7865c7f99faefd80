"""booth.service.baseline: about a second of the sitter at rest, from at least a few frames."""

from __future__ import annotations

from booth.service.baseline import BASELINE_MIN_FRAMES, BASELINE_SECONDS, BaselineCollector


def test_the_baseline_comes_after_its_time_and_enough_frames(pipeline, media):
    from booth.media import load_image

    (reading,) = pipeline.analyze(load_image(media("single_face.jpg")), track=False)
    collector = BaselineCollector()
    assert collector.add(reading, 0.0) is None  # not begun: nothing is collected
    collector.begin(10.0)
    got = [collector.add(reading, 10.0 + i * BASELINE_SECONDS) for i in range(BASELINE_MIN_FRAMES)]
    assert got[:-1] == [None] * (BASELINE_MIN_FRAMES - 1)
    baseline = got[-1]
    assert baseline is not None and baseline.frames == BASELINE_MIN_FRAMES
    assert collector.add(reading, 99.0) is None  # done: the next session begins again

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


def test_a_sitter_who_leaves_the_step_gets_the_population_model(pipeline, media):
    """Frames without the subject count: after the step's second a baseline comes anyway, and its
    calibration says the face was lost (the booth then logs it and judges with the population model)."""
    from booth.media import load_image

    (reading,) = pipeline.analyze(load_image(media("single_face.jpg")), track=False)
    collector = BaselineCollector()
    collector.begin(0.0)
    frames = [reading, reading] + [None] * 10
    got = [collector.add(r, i * BASELINE_SECONDS / 10) for i, r in enumerate(frames)]
    baseline = next(b for b in got if b is not None)
    assert baseline.calibration.lens is None and baseline.calibration.reason == "face lost"


def test_a_sitter_looking_at_the_light_is_calibrated(pipeline, media):
    """single_face.mp4's first frames: a man looking into the lens (labelled by eye)."""
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

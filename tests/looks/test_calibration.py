"""booth.looks.calibration: a sitter's lens direction from real frames, and the fallbacks when they do not
comply (real models on real footage; frames chosen by the hand labels of tests/data/gaze_labels.json)."""

from __future__ import annotations

import pytest

from booth.looks import Baseline, LensCalibration
from booth.looks.calibration import MAX_BIAS_DEG, POPULATION_MARGIN_DEG, calibrate
from booth.media import iter_video


@pytest.fixture(scope="module")
def wolfgang(models, vision_params):
    """WolfgangLanger_Pexels.mp4 read once with tracking: frame -> largest face (None if none)."""
    from booth.vision import FacePipeline

    pipeline = FacePipeline(models=models, params=vision_params)
    out = {}
    for frame in iter_video(
        __import__("booth.assets", fromlist=["x"]).media_path("WolfgangLanger_Pexels.mp4")
    ):
        faces = pipeline.analyze(frame.pixels, track=True)
        out[frame.index] = max(faces, key=lambda f: f.area) if faces else None
    return out


def test_frames_on_the_lens_calibrate_and_then_read_engaged(wolfgang):
    """Frames 398-409 (labelled lens): a calibration whose bias centres those frames on the lens, while her
    look up and to her left (frames 230-242) stays far off it."""
    result = calibrate([wolfgang[i] for i in range(398, 410)])
    assert result.lens is not None and result.reason == ""
    assert abs(result.lens.bias[0]) <= MAX_BIAS_DEG[0] and abs(result.lens.bias[1]) <= MAX_BIAS_DEG[1]
    lens_gaze = [result.lens.gaze(wolfgang[i]) for i in range(411, 424)]
    assert all(abs(x) < 5 and abs(y) < 6 for x, y in lens_gaze)
    away = [result.lens.gaze(wolfgang[i]) for i in range(230, 243)]
    assert all(x > 10 for x, _ in away)
    assert "bias" in result.describe()


@pytest.mark.parametrize(
    ("frames", "reason"),
    [
        (range(40, 60), "eyes closed"),  # crying with her eyes shut
        (range(230, 243), "looking away"),  # eyes far up and to her left
    ],
)
def test_a_sitter_who_does_not_comply_falls_back_to_the_population_model(wolfgang, frames, reason):
    result = calibrate([wolfgang[i] for i in frames])
    assert result.lens is None and result.reason.startswith(reason)
    assert "population" in result.describe()
    # ... and the population model's wider tolerance applies.
    assert result.tolerance((7.0, 8.0)) == (7.0 + POPULATION_MARGIN_DEG[0], 8.0 + POPULATION_MARGIN_DEG[1])


def test_a_face_lost_in_the_step_is_noticed(wolfgang):
    seen = [wolfgang[i] for i in range(398, 404)]
    assert calibrate(seen + [None] * 10).reason == "face lost"
    assert calibrate([]).reason == "face lost"


def test_wandering_eyes_do_not_calibrate(wolfgang):
    """Half the step on the lens, half looking far to her left: no steady direction to learn."""
    result = calibrate([wolfgang[i] for i in (*range(398, 406), *range(230, 238))])
    assert (result.lens is None and result.reason in ("eyes moving",)) or result.reason.startswith(
        "looking away"
    )


def test_the_baseline_carries_the_calibration(wolfgang):
    baseline = Baseline.capture([wolfgang[i] for i in range(398, 410)])
    assert isinstance(baseline.calibration.lens, LensCalibration) and baseline.frames == 12
    reading = wolfgang[415]
    assert baseline.gaze(reading) == baseline.calibration.lens.gaze(reading)
    assert Baseline({}).gaze(reading) == reading.gaze  # no calibration: the population gaze

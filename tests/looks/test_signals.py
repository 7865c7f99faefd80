"""The named signals looks are written in, read off real faces (real models, real photos and clips)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from booth.looks.signals import EXPRESSION_DERIVED, GEOMETRY, extract, is_expression, known_signals
from booth.media import iter_video
from booth.vision import FacePipeline, FaceReading
from booth.vision.blendshapes import NAMES as BLENDSHAPES
from booth.vision.emotion import NAMES as EMOTIONS

#: The signals documented in degrees or eye widths; every other one is documented as 0..1.
UNBOUNDED = {"head.yaw", "head.pitch", "head.roll", "head.tilt", "gaze.offset", "iris.x", "iris.y"}
PHOTOS = ["astronaut.png", "grace_hopper.jpg", "single_face.jpg", "45-m7-di-ph.jpg", "multi_face.jpg"]
#: WolfgangLanger_Pexels.mp4 (checked by eye): crying with the eyes shut (a grimace that lifts the mouth
#: corners), eyes open looking up and away, and a real smile at the lens.
CRYING, LOOKING_UP, SMILING = 40, 160, 250


@pytest.fixture(scope="module")
def clip(models, vision_params, media) -> dict[int, FaceReading]:
    """The three moments of the clip, each read on its own (no tracking)."""
    pipeline = FacePipeline(models=models, params=vision_params)
    wanted = {CRYING, LOOKING_UP, SMILING}
    out = {}
    for frame in iter_video(media("WolfgangLanger_Pexels.mp4")):
        if frame.index in wanted:
            (out[frame.index],) = pipeline.analyze(frame.pixels, track=False)
    assert set(out) == wanted
    return out


def first_face(pipeline, photo, name: str) -> FaceReading:
    return max(pipeline.analyze(photo(name), track=False), key=lambda f: f.area)


@pytest.mark.parametrize("name", PHOTOS)
def test_every_known_signal_is_read_and_within_its_documented_range(pipeline, photo, name):
    signals = extract(first_face(pipeline, photo, name))
    assert set(signals) == known_signals()
    assert all(math.isfinite(v) for v in signals.values())
    outside = {k: v for k, v in signals.items() if k not in UNBOUNDED and not 0.0 <= v <= 1.0}
    assert not outside


def test_clip_signals_stay_within_range_with_eyes_shut_too(clip):
    for reading in clip.values():
        signals = extract(reading)
        assert {k for k, v in signals.items() if k not in UNBOUNDED and not 0.0 <= v <= 1.0} == set()


def test_expressions_and_geometry_are_told_apart():
    """The baseline subtracts rest from expressions only: degrees, offsets and the soft-mouth shape stay."""
    assert all(is_expression(name) for name in EXPRESSION_DERIVED)
    assert all(is_expression(f"emotion.{name}") for name in EMOTIONS)
    assert all(is_expression(name) for name in BLENDSHAPES if not name.startswith("_"))
    assert not any(is_expression(name) for name in GEOMETRY)
    assert not is_expression("_neutral")  # MediaPipe's placeholder blendshape, not an expression
    assert UNBOUNDED.issubset(GEOMETRY)  # nothing unbounded is rescaled as if it were 0..1


def test_eye_signals_drop_when_the_eyes_close(clip):
    shut, open_ = extract(clip[CRYING]), extract(clip[LOOKING_UP])
    assert not clip[CRYING].eyes_open and clip[LOOKING_UP].eyes_open
    assert shut["eyes.openness"] < 0.3 <= open_["eyes.openness"]
    assert open_["eyes.openness"] - shut["eyes.openness"] > 0.5
    assert shut["blink"] > 0.55 > open_["blink"]


def test_warm_smile_tells_a_crying_grimace_from_a_smile(clip):
    crying, smiling = extract(clip[CRYING]), extract(clip[SMILING])
    assert crying["smile"] > 0.5  # the mouth corners lift ...
    assert crying["warm_smile"] < 0.1  # ... but the emotion model does not read happy
    assert smiling["warm_smile"] == pytest.approx(smiling["smile"]) and smiling["smile"] > 0.5


def test_warm_smile_without_the_emotion_model_is_the_smile(clip):
    """With ``vision.emotions = false`` nothing can confirm the smile, so nothing discounts it."""
    no_emotions = dataclasses.replace(clip[CRYING], emotions={})
    signals = extract(no_emotions)
    assert signals["warm_smile"] == pytest.approx(signals["smile"])
    assert all(signals[f"emotion.{name}"] == 0.0 for name in EMOTIONS)


def test_rest_pitch_moves_where_the_head_counts_as_level(pipeline, photo):
    face = first_face(pipeline, photo, "astronaut.png")  # chin about 10 degrees down
    pitch = face.head_pose.pitch
    assert abs(pitch) > 5
    assert extract(face)["head.level"] < 1.0  # measured from 0 degrees he is not level ...
    assert extract(face, rest_pitch=pitch)["head.level"] == 1.0  # ... from his own rest he is
    assert extract(face, rest_pitch=pitch + 12.5)["head.level"] == pytest.approx(0.5)
    assert extract(face, rest_pitch=pitch - 20)["head.level"] == 0.0
    assert extract(face, rest_pitch=pitch + 30)["head.pitch"] == pytest.approx(pitch)  # the angle stays raw


def test_geometry_signals_follow_the_reading(pipeline, photo):
    from PIL import Image

    tilted = np.asarray(
        Image.fromarray(photo("single_face.jpg")).rotate(25, resample=Image.Resampling.BILINEAR)
    )
    (face,) = pipeline.analyze(tilted, track=False)
    signals = extract(face)
    assert signals["head.tilt"] == pytest.approx(abs(face.head_pose.roll)) and signals["head.tilt"] > 15
    assert signals["gaze.offset"] == pytest.approx(math.hypot(*face.gaze))
    assert signals["eyes.openness"] == min(face.eye_openness)
    assert signals["iris.x"] == pytest.approx((face.iris_offset[0][0] + face.iris_offset[1][0]) / 2)
    away = extract(first_face(pipeline, photo, "45-m7-di-ph.jpg"))
    assert away["gaze.offset"] > 3 * signals["gaze.offset"]


def with_blendshapes(reading: FaceReading, **changes: float) -> FaceReading:
    return dataclasses.replace(reading, blendshapes={**reading.blendshapes, **changes})


def test_mouth_soft_peaks_at_slightly_parted_lips(clip):
    face = clip[LOOKING_UP]
    soft = extract(with_blendshapes(face, jawOpen=0.1, mouthPressLeft=0.0, mouthPressRight=0.0))
    closed = extract(with_blendshapes(face, jawOpen=0.0, mouthPressLeft=0.0, mouthPressRight=0.0))
    gaping = extract(with_blendshapes(face, jawOpen=0.3, mouthPressLeft=0.0, mouthPressRight=0.0))
    pressed = extract(with_blendshapes(face, jawOpen=0.1, mouthPressLeft=0.5, mouthPressRight=0.5))
    assert soft["mouth_soft"] == pytest.approx(1.0)
    assert 0.0 < closed["mouth_soft"] < soft["mouth_soft"]
    assert gaping["mouth_soft"] == 0.0 and pressed["mouth_soft"] == 0.0


def test_one_sided_smile_reads_as_asymmetry(clip):
    signals = extract(with_blendshapes(clip[LOOKING_UP], mouthSmileLeft=0.8, mouthSmileRight=0.2))
    assert signals["smile"] == pytest.approx(0.5)
    assert signals["smile_asymmetry"] == pytest.approx(0.6)
    assert signals["activity"] >= signals["smile"]

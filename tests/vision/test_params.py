"""Perception's parameters: read from the settings once, and obeyed by the models and the pipeline."""

from __future__ import annotations

import dataclasses

import pytest

from booth.config import VisionSettings
from booth.vision import FacePipeline, Models, VisionParams


def test_params_carry_every_vision_setting():
    settings = VisionSettings(
        threads=2, runtime="tflite_runtime", max_faces=5, detect_every=7, emotions=False
    )
    params = VisionParams.from_settings(settings)
    assert params == VisionParams(
        threads=2, runtime="tflite_runtime", max_faces=5, detect_every=7, emotions=False
    )
    # One field per setting: a new vision setting that vision never hears of fails here.
    assert {f.name for f in dataclasses.fields(VisionParams)} == set(VisionSettings.model_fields)
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.max_faces = 1


def test_max_faces_caps_the_faces_read(models, vision_params, photo):
    group = photo("multi_face.jpg")
    one = FacePipeline(models=models, params=dataclasses.replace(vision_params, max_faces=1))
    three = FacePipeline(models=models, params=dataclasses.replace(vision_params, max_faces=3))
    assert len(one.analyze(group, track=False)) == 1
    assert len(three.analyze(group, track=False)) == 3


def test_models_without_emotions_read_no_emotions(vision_params, photo):
    params = dataclasses.replace(vision_params, emotions=False)
    models = Models.load(params)
    assert models.emotion is None
    (face,) = FacePipeline(models=models, params=params).analyze(photo("single_face.jpg"), track=False)
    assert face.emotions == {} and face.blendshapes["mouthSmileLeft"] > 0.5
    assert "gaze_engaged" not in face.to_json()  # perception reports angles; looks judge engagement

"""Perception's parameters: read from the settings once, and obeyed by the models and the pipeline."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from booth.config import VisionSettings
from booth.vision import FacePipeline, Models, VisionParams
from booth.vision.params import usable_cores


def test_params_carry_every_vision_setting():
    chosen = dict(
        threads=2,
        runtime="tflite_runtime",
        max_faces=5,
        detect_every=7,
        emotions=False,
        tracking="light",
        full_every=4,
        full_near=0.2,
        precision="fp16",
    )
    params = VisionParams.from_settings(VisionSettings(**chosen))
    assert params == VisionParams(**chosen, cores=usable_cores())
    # One field per setting (and the machine's cores, which no setting gives): a new vision setting that
    # vision never hears of fails here.
    assert {f.name for f in dataclasses.fields(VisionParams)} == {*VisionSettings.model_fields, "cores"}
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


def test_more_threads_overlap_the_emotion_model_and_read_the_same(vision_params, models, photo):
    """Two interpreter threads: the emotion model runs on the helper thread, and what is read is the same
    (XNNPACK's threaded kernels may round differently in the last bits)."""
    params = dataclasses.replace(vision_params, threads=2)
    threaded = Models.load(params)
    assert threaded.helper is not None and models.helper is None
    assert threaded.landmarks.model.threads == 2  # the small models keep one each: they run side by side
    assert threaded.blendshapes.model.threads == threaded.emotion.model.threads == 1
    pixels = photo("single_face.jpg")
    inline_before = models.helper_cpu_seconds  # a video read earlier may have counted periodic looks
    (one,) = FacePipeline(models=models, params=vision_params).analyze(pixels, track=False)
    (two,) = FacePipeline(models=threaded, params=params).analyze(pixels, track=False)
    assert np.abs(one.landmarks - two.landmarks).max() < 0.05
    assert all(abs(one.emotions[k] - two.emotions[k]) < 1e-3 for k in one.emotions)
    assert two.timings_ms["emotion"] >= 0
    # For the booth's CPU split: the helper's CPU is counted; one thread reads a still with no helper.
    assert threaded.helper_cpu_seconds > 0 and models.helper_cpu_seconds == inline_before


def test_emotions_can_be_skipped_per_frame(pipeline, photo):
    (face,) = pipeline.analyze(photo("single_face.jpg"), track=False, emotions=False)
    assert face.emotions == {} and face.blendshapes["mouthSmileLeft"] > 0.5


def test_auto_threads_gives_two_from_four_cores(monkeypatch):
    from booth.vision import params as params_module

    settings = VisionSettings()
    assert settings.threads == 0  # auto
    monkeypatch.setattr(params_module.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert VisionParams.from_settings(settings).threads == 2
    monkeypatch.setattr(params_module.os, "sched_getaffinity", lambda pid: {0, 1})
    assert VisionParams.from_settings(settings).threads == 1
    assert VisionParams.from_settings(VisionSettings(threads=3)).threads == 3  # a studio's own choice stands


@pytest.mark.parametrize(
    ("cores", "threads", "beside"),
    [(4, 2, True), (2, 1, True), (2, 2, False), (3, 2, False), (1, 1, False)],
    ids=["pi-auto", "two-cores-one-thread", "two-cores-two-threads", "three-cores", "one-core"],
)
def test_the_periodic_look_gets_a_thread_only_with_a_core_to_spare(vision_params, cores, threads, beside):
    """The analysis holds its thread, the extra interpreter thread and the emotion helper (threads > 1)."""
    params = dataclasses.replace(vision_params, cores=cores, threads=threads)
    assert params.look_beside is beside


def test_from_settings_reads_the_cores_this_process_may_use(monkeypatch):
    from booth.vision import params as params_module

    monkeypatch.setattr(params_module.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    params = VisionParams.from_settings(VisionSettings())
    assert params.cores == 4 and params.threads == 2 and params.look_beside

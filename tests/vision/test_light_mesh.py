"""The light tracking mesh (FaceMesh v1 + iris) on real frames, against FaceMesh v2 on the same crops.

No fakes: the real models on the real test clips and photos.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from booth.media import iter_video
from booth.vision import FacePipeline, Models
from booth.vision.landmarks import roi_from_landmarks
from booth.vision.light_mesh import EYE_CONTOUR, LightCalibration, from_unit, to_unit


@pytest.fixture(scope="module")
def light_params(vision_params):
    return dataclasses.replace(vision_params, tracking="light", full_every=6)


@pytest.fixture(scope="module")
def light_models(light_params):
    return Models.load(light_params)


@pytest.fixture(scope="module")
def clip_frames(media):
    return [np.ascontiguousarray(f.pixels) for f in iter_video(media("single_face.mp4"))]


def _iod(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[468, :2] - points[473, :2]))


def test_eye_contour_names_71_distinct_points_per_eye():
    assert len(EYE_CONTOUR) == 142 and len(set(EYE_CONTOUR.tolist())) == 142
    assert EYE_CONTOUR[0] == 33 and EYE_CONTOUR[71] == 263  # each eye starts at its outer corner


def test_unit_coordinates_round_trip(light_models, photo):
    pixels = photo("single_face.jpg")
    (face,) = FacePipeline(light_models, light_models_params()).analyze(pixels, track=False)
    roi = roi_from_landmarks(face.landmarks)
    assert np.allclose(from_unit(to_unit(face.landmarks, roi), roi), face.landmarks, atol=1e-3)


def light_models_params():
    from booth.config import VisionSettings
    from booth.vision import VisionParams

    return VisionParams.from_settings(VisionSettings(tracking="light"))


def test_light_read_lands_near_v2_in_the_same_topology(light_models, photo):
    """Uncorrected, v1 + iris sits a few % of the IOD from v2, point for point: wrong eye indices, an
    unmirrored right eye or swapped irises would put whole groups of points tens of % away."""
    pixels = photo("single_face.jpg")
    (face,) = FacePipeline(light_models, light_models_params()).analyze(pixels, track=False)
    roi = roi_from_landmarks(face.landmarks)
    full = light_models.landmarks.run(pixels, roi)
    light = light_models.light.run(pixels, roi)
    assert light.mesh == "light" and light.presence > 0.9
    error = np.linalg.norm(light.points[:, :2] - full.points[:, :2], axis=1) / _iod(full.points)
    assert error.mean() < 0.06
    assert error[468:].max() < 0.12  # both irises, in the right eyes
    assert error[EYE_CONTOUR].mean() < 0.06


def test_calibration_maps_the_light_read_onto_v2_on_its_own_frame(light_models, photo):
    pixels = photo("single_face.jpg")
    (face,) = FacePipeline(light_models, light_models_params()).analyze(pixels, track=False)
    roi = roi_from_landmarks(face.landmarks)
    full = light_models.landmarks.run(pixels, roi)
    light = light_models.light.run(pixels, roi)
    corrected = LightCalibration.between(full, light).apply(light)
    assert np.allclose(corrected.points, full.points, atol=0.05)
    assert corrected.sharpness_gain > 0


def test_light_tracking_reads_v2_every_full_every_frames(light_models, light_params, clip_frames):
    pipeline = FacePipeline(light_models, light_params)
    meshes = [pipeline.analyze(px)[0].mesh for px in clip_frames[:24]]
    assert meshes[0] == "full"  # a track's first frame
    assert meshes.count("full") == 4 and meshes[6] == meshes[12] == "full"
    assert set(meshes[1:6]) == {"light"}


def test_a_precise_frame_and_a_still_are_read_with_v2(light_models, light_params, clip_frames, photo):
    pipeline = FacePipeline(light_models, light_params)
    pipeline.analyze(clip_frames[0])
    assert pipeline.analyze(clip_frames[1])[0].mesh == "light"
    assert pipeline.analyze(clip_frames[2], precise=True)[0].mesh == "full"
    # The frame after a precise one learns the correction again (it was skipped on the precise frame).
    assert pipeline.analyze(clip_frames[3])[0].mesh == "full"
    assert pipeline.analyze(clip_frames[4])[0].mesh == "light"
    assert pipeline.analyze(photo("single_face.jpg"), track=False)[0].mesh == "full"


def test_full_tracking_never_reads_the_light_mesh(light_models, vision_params, clip_frames):
    assert vision_params.tracking == "full"  # the booth's default
    pipeline = FacePipeline(light_models, vision_params)
    assert {pipeline.analyze(px)[0].mesh for px in clip_frames[:12]} == {"full"}


def test_light_tracking_follows_v2_on_the_clip(light_models, light_params, vision_params, clip_frames):
    """Side by side over the whole clip, each pipeline tracking on its own."""
    full, light = FacePipeline(light_models, vision_params), FacePipeline(light_models, light_params)
    errors, mads = [], []
    for px in clip_frames:
        (a,), (b,) = full.analyze(px), light.analyze(px)
        distance = np.linalg.norm(a.landmarks[:, :2] - b.landmarks[:, :2], axis=1)
        errors.append(distance.mean() / _iod(a.landmarks))
        mads.append(np.mean([abs(a.blendshapes[k] - b.blendshapes[k]) for k in a.blendshapes]))
    assert np.mean(errors) < 0.015 and np.mean(mads) < 0.02

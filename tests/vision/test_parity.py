"""Parity with MediaPipe's own FaceLandmarker on the same models (the reference; a test dependency only)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from booth.media import iter_video
from booth.vision import FacePipeline

mp = pytest.importorskip("mediapipe")
from mediapipe.tasks.python import BaseOptions, vision  # noqa: E402

PHOTOS = ["astronaut.png", "grace_hopper.jpg", "single_face.jpg", "0-f1-su-ph.jpg", "0-f15-hao-ph.jpg",
          "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg"]  # fmt: skip


@pytest.fixture(scope="module")
def reference(media):
    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(media("face_landmarker.task"))),
        output_face_blendshapes=True,
        running_mode=vision.RunningMode.IMAGE,
        num_faces=1,
    )
    with vision.FaceLandmarker.create_from_options(options) as landmarker:
        yield landmarker


def compare(reference, pipeline: FacePipeline, pixels: np.ndarray) -> tuple[float, float]:
    """(mean landmark error / inter-ocular distance, mean absolute blendshape difference)."""
    result = reference.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(pixels)))
    height, width = pixels.shape[:2]
    ref = np.array([[p.x * width, p.y * height] for p in result.face_landmarks[0]])
    ref_blend = np.array([c.score for c in result.face_blendshapes[0]])
    # One landmark pass, as MediaPipe's IMAGE mode makes (the booth refines stills with two more).
    faces = pipeline.analyze(pixels, track=False, refine=False)
    # Tiled search may also find a face-like patch elsewhere (the astronaut's mission badge): compare the
    # face MediaPipe found.
    ours = min(faces, key=lambda f: np.linalg.norm(f.landmarks[:, :2].mean(0) - ref.mean(0)))
    inter_ocular = np.linalg.norm(ref[468] - ref[473])
    landmark_error = np.linalg.norm(ours.landmarks[:, :2] - ref, axis=1).mean() / inter_ocular
    blend_error = np.abs(np.array(list(ours.blendshapes.values())) - ref_blend).mean()
    return float(landmark_error), float(blend_error)


def test_photos_upright_and_tilted_match_mediapipe(reference, pipeline, photo):
    errors = []
    for name in PHOTOS:
        upright = photo(name)
        for angle in (0, 20, -30):
            pixels = upright
            if angle:
                pixels = np.asarray(
                    Image.fromarray(upright).rotate(angle, resample=Image.Resampling.BILINEAR)
                )
            errors.append(compare(reference, pipeline, pixels))
    landmark, blend = np.array(errors).T
    assert landmark.mean() < 0.02, landmark
    assert blend.mean() < 0.03, blend
    assert landmark.max() < 0.05 and blend.max() < 0.06


def test_video_frames_match_mediapipe(reference, pipeline, media):
    errors = [
        compare(reference, pipeline, frame.pixels)
        for name in ("single_face.mp4", "WolfgangLanger_Pexels.mp4")
        for frame in iter_video(media(name), every=24)
    ]
    landmark, blend = np.array(errors).T
    assert len(errors) >= 20
    assert landmark.mean() < 0.02, landmark
    assert blend.mean() < 0.03, blend

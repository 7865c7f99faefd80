"""booth.crops on real FaceMesh landmarks of a real photo, plus edge cases on the same landmarks moved.

The landmarks come from MediaPipe's own FaceMesh (the reference stack of the test venv, never imported by
booth/) run on the media cache's ``single_face.jpg``; nothing is mocked.
"""

from __future__ import annotations

import numpy as np
import pytest

from booth.assets import media_path
from booth.crops import ASPECTS, CHIN, FOREHEAD, eye_centres, headshot_box, headshot_crops
from booth.media import load_image


@pytest.fixture(scope="module")
def photo() -> tuple[np.ndarray, np.ndarray]:
    """(pixels, 478 x 3 landmarks in pixels) of a real face."""
    mp = pytest.importorskip("mediapipe")
    pixels = load_image(media_path("single_face.jpg"))
    with mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True, refine_landmarks=True, max_num_faces=1
    ) as mesh:
        result = mesh.process(pixels)
    h, w = pixels.shape[:2]
    points = result.multi_face_landmarks[0].landmark
    return pixels, np.array([[p.x * w, p.y * h, p.z * w] for p in points])


def _eye_y(lm: np.ndarray) -> float:
    left, right = eye_centres(lm)
    return float((left[1] + right[1]) / 2)


@pytest.mark.parametrize("name", list(ASPECTS))
def test_eyes_on_upper_third_with_the_face_inside(photo, name: str) -> None:
    pixels, lm = photo
    h, w = pixels.shape[:2]
    small = lm * 0.5 + [w / 4, h / 4, 0]  # a face with room around it: no clamping
    x0, y0, x1, y1 = headshot_box(small, (w, h), ASPECTS[name])
    aw, ah = ASPECTS[name]
    assert (x1 - x0) * ah == (y1 - y0) * aw  # exact aspect
    assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    assert abs((_eye_y(small) - y0) - (y1 - y0) / 3) <= 1.0
    for point in (small[CHIN], small[FOREHEAD], *eye_centres(small)):
        assert x0 < point[0] < x1 and y0 < point[1] < y1
    face_h = small[CHIN, 1] - small[FOREHEAD, 1]
    assert (y1 - y0) == pytest.approx(face_h / 0.5, abs=ah)


def test_real_photo_boxes_are_inside_and_exact(photo) -> None:
    pixels, lm = photo
    h, w = pixels.shape[:2]
    boxes = headshot_crops(lm, (w, h))
    assert set(boxes) == {"4x5", "1x1"}
    for name, (x0, y0, x1, y1) in boxes.items():
        aw, ah = ASPECTS[name]
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert (x1 - x0) * ah == (y1 - y0) * aw
        assert y0 < lm[CHIN, 1] < y1


def test_face_at_the_edge_is_shifted_inside(photo) -> None:
    pixels, lm = photo
    h, w = pixels.shape[:2]
    at_edge = lm * 0.5 + [-lm[:, 0].min() * 0.5 + 2, 0, 0]  # face touching the left border
    x0, _, x1, _ = headshot_box(at_edge, (w, h), (4, 5))
    assert x0 == 0 and x1 <= w
    assert x0 < at_edge[CHIN, 0] < x1


def test_too_big_a_face_is_shrunk_to_fit(photo) -> None:
    pixels, lm = photo
    h, w = pixels.shape[:2]
    for aspect in ASPECTS.values():
        x0, y0, x1, y1 = headshot_box(lm * 1.5, (w, h), aspect)
        assert x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h
        assert (x1 - x0) * aspect[1] == (y1 - y0) * aspect[0]
        assert (x1 - x0) == w or (y1 - y0) == h or min(w - (x1 - x0), h - (y1 - y0)) < max(aspect)


def test_landmarks_from_the_analysis_frame_scale_to_the_still(photo) -> None:
    pixels, lm = photo
    h, w = pixels.shape[:2]
    small = lm * 0.5 + [w / 4, h / 4, 0]
    on_still = headshot_crops(small, (w * 4, h * 4), landmark_size=(w, h))
    on_frame = headshot_crops(small, (w, h))
    for name in ASPECTS:
        assert np.allclose(np.array(on_still[name]) / 4, on_frame[name], atol=2.0)


def test_without_irises_the_eye_corners_are_used(photo) -> None:
    _, lm = photo
    with_iris = np.array(eye_centres(lm))
    corners = np.array(eye_centres(lm[:468]))
    eye_gap = np.linalg.norm(with_iris[0] - with_iris[1])
    assert np.abs(with_iris - corners).max() < 0.15 * eye_gap
    assert with_iris[0][0] > with_iris[1][0]  # the sitter's left eye is on the image's right


def test_bad_input_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="478 x 3"):
        headshot_box(np.zeros((10, 3)), (100, 100))
    with pytest.raises(ValueError, match="face_fraction"):
        headshot_box(np.zeros((478, 3)), (100, 100), face_fraction=0)

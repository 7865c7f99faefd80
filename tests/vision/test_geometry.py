"""Geometry on MediaPipe's real canonical face: the pose solver recovers known rotations exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from booth import assets
from booth.vision import geometry


@pytest.fixture(scope="module")
def canonical():
    return geometry.load_canonical(assets.model_path("face_geometry"))


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    y, p, r = map(math.radians, (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), math.sin(p)], [0, -math.sin(p), math.cos(p)]])  # + = chin up
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return ry @ rx @ rz


def test_canonical_face_is_read_from_the_model_bundle(canonical):
    assert canonical.vertices.shape == (468, 3)
    assert len(canonical.basis) == len(canonical.weights) > 20
    # Centimetres: about 6.3 cm between the eye centres, the nose tip in front.
    v = canonical.vertices
    eyes = (v[33] + v[133]) / 2, (v[263] + v[362]) / 2
    assert 5.5 < np.linalg.norm(eyes[0] - eyes[1]) < 7
    assert canonical.vertices[1, 2] > canonical.vertices[33, 2]


@pytest.mark.parametrize(("yaw", "pitch", "roll"), [(0, 0, 0), (30, 0, 0), (-45, 10, 0), (10, -15, 20)])
def test_pose_recovers_known_rotation(canonical, yaw, pitch, roll):
    points = np.zeros((478, 3))
    cam = 25.0 * canonical.vertices @ rotation(yaw, pitch, roll).T + np.array([320.0, -240.0, 0.0])
    points[:468] = cam * np.array([1, -1, -1])  # to image coordinates (y down, z away)
    pose = geometry.solve_pose(points, canonical).head_pose()
    assert pose.yaw == pytest.approx(yaw, abs=0.5)
    assert pose.pitch == pytest.approx(pitch, abs=0.5)
    # Roll is clockwise-positive on screen, the opposite sense of the y-up rotation used here.
    assert pose.roll == pytest.approx(-roll, abs=2 + abs(yaw) / 10)


def test_sharpness_prefers_the_sharp_crop(photo):
    from PIL import Image, ImageFilter

    sharp = photo("grace_hopper.jpg")[:256, :256]
    blurred = np.asarray(Image.fromarray(sharp).filter(ImageFilter.GaussianBlur(3)))
    assert geometry.sharpness(sharp) > 5 * geometry.sharpness(blurred)


def test_bad_geometry_file_is_rejected(tmp_path):
    bad = tmp_path / "geometry.binarypb"
    bad.write_bytes(b"\x0a\x02\x08\x01")
    with pytest.raises(ValueError, match="canonical"):
        geometry.load_canonical(bad)


def test_gaze_within_is_an_ellipse_not_a_box():
    limits = (12.0, 18.0)
    assert geometry.gaze_within((0.0, 0.0), limits)
    assert geometry.gaze_within((12.0, 0.0), limits) and geometry.gaze_within((0.0, -18.0), limits)
    assert not geometry.gaze_within((12.1, 0.0), limits) and not geometry.gaze_within((0.0, 18.1), limits)
    assert not geometry.gaze_within((-9.0, 13.5), limits)  # 0.75 of each half-axis: outside the ellipse
    assert geometry.gaze_within((-8.0, 12.0), limits)  # 2/3 of each: inside

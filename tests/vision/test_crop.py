"""Rotated crops: the frame region read in place, the sampling, and the crop-to-frame mapping.

Pixels here are seeded noise: these tests are about memory layout and geometry, which real footage would
only blur (the models' parity on real frames is tests/vision/test_parity.py's).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from booth.vision.crop import RotatedRect, crop, region_image, to_frame, within


@pytest.fixture
def frame() -> np.ndarray:
    return np.random.default_rng(7).integers(0, 256, (360, 640, 3), dtype=np.uint8)


def padded(frame: np.ndarray, pad: int = 64) -> np.ndarray:
    """The same pixels with longer rows, as a camera buffer's stride pads them (a view, not a copy)."""
    height, width = frame.shape[:2]
    wide = np.zeros((height, width + pad, 3), np.uint8)
    wide[:, :width] = frame
    return wide[:, :width]


@pytest.mark.parametrize(
    "view",
    [
        lambda f: f[40:300, 100:420],  # a region of a packed frame
        lambda f: padded(f)[40:300, 100:420],  # of a frame with padded rows
        lambda f: f[::-1][40:300, 100:420],  # rows upside down: copied, not read in place
        lambda f: f[:, ::2][40:300, 100:300],  # every other column: copied
        lambda f: f[10:11, 5:6],  # one pixel
        lambda f: np.frombuffer(f.tobytes(), np.uint8).reshape(f.shape)[40:300, 100:420],  # read-only
    ],
)
def test_region_image_holds_the_region_s_pixels(frame, view):
    region = view(frame)
    image = region_image(region)
    assert image.mode == "RGB" and image.size == (region.shape[1], region.shape[0])
    assert np.array_equal(np.asarray(image), region)


def test_region_image_does_not_keep_the_frame(frame):
    """The camera reuses its buffer after the crop: the image must own its pixels."""
    region = frame[40:300, 100:420]
    image = region_image(region)
    frame[:] = 0
    assert np.asarray(image).any()


@pytest.mark.parametrize("width", [200.0, 300.0, 407.0])  # one sample per pixel, and supersampled (x2)
@pytest.mark.parametrize("angle", [0.0, 0.3, -1.1])
def test_a_padded_frame_crops_as_the_packed_one(frame, width, angle):
    rect = RotatedRect(330.0, 170.0, width, width, angle)
    packed, matrix = crop(frame, rect, 256)
    strided, same_matrix = crop(padded(frame), rect, 256)
    assert packed.tobytes() == strided.tobytes()
    assert np.array_equal(matrix, same_matrix)


def test_a_large_region_is_box_averaged_and_a_near_one_is_sampled(frame):
    """At twice the crop's size each pixel is the rounded mean of a 2x2 block; at its size, one pixel."""
    big, _ = crop(frame, RotatedRect(320.0, 180.0, 256.0, 256.0), 128)
    block = frame[52:308, 192:448].astype(np.int32).reshape(128, 2, 128, 2, 3).sum(axis=(1, 3))
    assert np.array_equal(np.asarray(big), ((block + 2) // 4).astype(np.uint8))
    near, _ = crop(frame, RotatedRect(320.0, 180.0, 128.0, 128.0), 128)
    assert np.array_equal(np.asarray(near), frame[116:244, 256:384])


def test_outside_the_frame_is_black(frame):
    image, _ = crop(frame, RotatedRect(10.0, 10.0, 100.0, 100.0), 100)
    pixels = np.asarray(image)
    assert not pixels[:35, :35].any()  # the part left of and above the frame
    assert np.array_equal(pixels[60:, 60:], frame[20:60, 20:60])


def test_a_region_entirely_outside_gives_a_black_crop(frame):
    image, _ = crop(frame, RotatedRect(-500.0, -500.0, 50.0, 50.0), 64)
    assert image.size == (64, 64) and not np.asarray(image).any()


def test_crop_coordinates_map_back_to_the_frame():
    rect = RotatedRect(300.0, 200.0, 120.0, 80.0, math.radians(30))
    matrix = rect.crop_to_frame(64)
    corners = np.array([[32.0, 32.0], [0.0, 0.0], [64.0, 0.0]])
    centre, top_left, top_right = to_frame(corners, matrix)
    assert np.allclose(centre, (300.0, 200.0))
    edge = top_right - top_left  # the top edge: the rect's width, at the rect's angle
    assert math.isclose(float(np.hypot(*edge)), 120.0, rel_tol=1e-6)
    assert math.isclose(math.atan2(edge[1], edge[0]), rect.angle, rel_tol=1e-6)


def test_within_expresses_a_rect_in_a_crop_s_coordinates(frame):
    """A crop of the first crop shows what a crop of the frame shows (the emotion model's crop is cut so)."""
    outer = RotatedRect(320.0, 180.0, 240.0, 240.0, 0.0)
    inner = RotatedRect(330.0, 170.0, 120.0, 120.0, 0.0)
    first, matrix = crop(frame, outer, 240)  # one to one: the first crop is the frame's pixels
    inside = within(inner, matrix, 240)
    assert math.isclose(inside.cx, 130.0) and math.isclose(inside.cy, 110.0)
    assert math.isclose(inside.width, 120.0) and math.isclose(inside.angle, 0.0, abs_tol=1e-12)
    again, _ = crop(first, inside, 120)
    direct, _ = crop(frame, inner, 120)
    assert again.tobytes() == direct.tobytes()


def test_the_rect_grows_square_about_its_centre():
    grown = RotatedRect(10.0, 20.0, 30.0, 40.0, 0.5).scaled(1.5)
    assert (grown.cx, grown.cy, grown.width, grown.height, grown.angle) == (10.0, 20.0, 60.0, 60.0, 0.5)
    assert isinstance(crop(Image.new("RGB", (8, 8)), grown, 4)[0], Image.Image)

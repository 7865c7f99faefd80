"""Pixel-format conversion with padded strides, checked against the fake camera's encoder (itself checked
here by round trip on the packed formats, which are lossless)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from booth.camera.convert import to_rgb
from booth.errors import CameraFault

_spec = importlib.util.spec_from_file_location(
    "fake_picamera2_encoder", Path(__file__).parent.parent / "fakes" / "picamera2" / "__init__.py"
)
fake = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake)


@pytest.mark.parametrize("fmt", ["XBGR8888", "XRGB8888", "BGR888", "RGB888"])
def test_packed_formats_are_exact(fmt) -> None:
    rgb = np.random.default_rng(1).integers(0, 256, (37, 50, 3), dtype=np.uint8)
    stride = 50 * fake.BYTES_PER_PIXEL[fmt] + 28
    out = to_rgb(fake.encode(rgb, fmt, stride), fmt, 50, 37, stride)
    np.testing.assert_array_equal(out, rgb)
    assert out.flags.c_contiguous


def test_yuv420_uses_the_stride_for_luma_and_chroma() -> None:
    rgb = fake.pattern(64, 48)
    stride = 128  # 64 bytes of padding per luma row, 32 per chroma row
    out = to_rgb(fake.encode(rgb, "YUV420", stride), "YUV420", 64, 48, stride)
    diff = np.abs(out.astype(int) - rgb.astype(int))
    assert diff.mean() < 2 and diff.max() <= 8


def test_yuv420_primaries() -> None:
    colours = {(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)}
    for colour in colours:
        rgb = np.zeros((4, 4, 3), np.uint8) + np.array(colour, np.uint8)
        out = to_rgb(fake.encode(rgb, "YUV420", 64), "YUV420", 4, 4, 64)
        assert np.abs(out.astype(int) - np.array(colour)).max() <= 3, colour


def test_short_buffer_is_a_camera_fault() -> None:
    with pytest.raises(CameraFault, match="too short"):
        to_rgb(np.zeros(100, np.uint8), "YUV420", 64, 48, 64)


def test_unknown_format_is_a_camera_fault() -> None:
    with pytest.raises(CameraFault, match="not supported"):
        to_rgb(np.zeros(100, np.uint8), "NV12", 4, 4, 4)

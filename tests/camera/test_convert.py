"""Pixel-format conversion with padded strides, checked against the fake camera's encoder (itself checked
here by round trip on the packed formats, which are lossless)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from booth.camera.convert import BT601_FULL, BT601_LIMITED, BT709_LIMITED, BT2020_FULL, to_rgb
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


def _direct_yuv420(buffer, width, height, stride, ycbcr):
    """The textbook fixed-point decode, written plainly (chroma planes widened to full size first): the
    reference the fast conversion must equal bit for bit."""
    k_y, k_rv, k_gu, k_gv, k_bu = ycbcr.coefficients
    floor = 16 if ycbcr.limited else 0
    cw, ch, cs = (width + 1) // 2, (height + 1) // 2, stride // 2
    y = np.array([buffer[r * stride : r * stride + width] for r in range(height)], np.int32)
    base = height * stride
    u = np.array([buffer[base + r * cs : base + r * cs + cw] for r in range(ch)], np.int32) - 128
    base += ch * cs
    v = np.array([buffer[base + r * cs : base + r * cs + cw] for r in range(ch)], np.int32) - 128
    u = u.repeat(2, axis=0).repeat(2, axis=1)[:height, :width]
    v = v.repeat(2, axis=0).repeat(2, axis=1)[:height, :width]
    y = (y - floor) * k_y + 128
    planes = (y + k_rv * v, y - k_gu * u - k_gv * v, y + k_bu * u)
    return np.stack([np.clip(p >> 8, 0, 255) for p in planes], axis=-1).astype(np.uint8)


@pytest.mark.parametrize("encoding", [BT601_LIMITED, BT601_FULL, BT709_LIMITED, BT2020_FULL])
@pytest.mark.parametrize(("width", "height", "stride"), [(64, 48, 64), (50, 38, 64), (33, 17, 48), (2, 2, 2)])
def test_yuv420_equals_the_direct_formula(encoding, width, height, stride) -> None:
    ch, cs = (height + 1) // 2, stride // 2
    size = height * stride + 2 * ch * cs
    buffer = np.random.default_rng(width * height).integers(0, 256, size, dtype=np.uint8)
    out = to_rgb(buffer, "YUV420", width, height, stride, encoding)
    assert out.shape == (height, width, 3) and out.flags.c_contiguous
    np.testing.assert_array_equal(out, _direct_yuv420(buffer, width, height, stride, encoding))


def test_unpadded_bgr888_is_the_buffer_itself() -> None:
    """BGR888 rows are bytes R,G,B: with no padding (a Pi 5's 640-wide lores) nothing is copied."""
    rgb = np.random.default_rng(2).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    buffer = fake.encode(rgb, "BGR888", 32 * 3)
    out = to_rgb(buffer, "BGR888", 32, 24, 32 * 3)
    np.testing.assert_array_equal(out, rgb)
    assert np.shares_memory(out, buffer)


@pytest.mark.parametrize("fmt", ["XBGR8888", "XRGB8888", "BGR888", "RGB888"])
def test_packed_last_row_without_its_padding(fmt) -> None:
    """libcamera may end the buffer at the last pixel rather than the last stride."""
    rgb = np.random.default_rng(3).integers(0, 256, (9, 10, 3), dtype=np.uint8)
    stride = 10 * fake.BYTES_PER_PIXEL[fmt] + 24
    buffer = fake.encode(rgb, fmt, stride)[: 8 * stride + 10 * fake.BYTES_PER_PIXEL[fmt]]
    np.testing.assert_array_equal(to_rgb(buffer, fmt, 10, 9, stride), rgb)

"""Camera buffers (flat bytes with a row stride) to HxWx3 uint8 RGB, in numpy.

libcamera pads each row to an aligned *stride*, so a buffer is never simply ``h * w * bpp`` bytes; every
conversion here slices rows by the stride first. Pixel orders follow picamera2's names, which describe
the 32-bit word, not the byte order in memory: ``XBGR8888`` is bytes R,G,B,X; ``XRGB8888`` is B,G,R,X;
``BGR888`` is R,G,B; ``RGB888`` is B,G,R. ``YUV420`` is planar I420: a full Y plane, then U and V planes of
half width and half height, each chroma row ``stride // 2`` bytes long.

YUV has no single meaning: the matrix and the range come with the stream's colour space. picamera2 gives a
video configuration Rec709 (BT.709 matrix, limited range) when main is at least 1280x720 and SMPTE170M
(BT.601, limited) below that, and lores shares main's; a still configuration is sYCC (BT.601, full range).
Decoding with the wrong matrix shifts skin tones by several levels, so the caller passes the
:class:`YCbCr` the camera reports (see :func:`ycbcr_named`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from booth.errors import CameraFault

#: Formats :func:`to_rgb` understands, with their bytes per pixel (YUV420 has 1 byte of Y per pixel).
PACKED = {"XBGR8888": 4, "XRGB8888": 4, "BGR888": 3, "RGB888": 3}
FORMATS = (*PACKED, "YUV420")


@dataclass(frozen=True)
class YCbCr:
    """A YCbCr encoding: the luma weights of red and blue (Kr, Kb) and whether the range is limited
    (Y in 16-235, chroma in 16-240) or full. The fixed-point decode coefficients (x256) follow from them."""

    name: str
    kr: float
    kb: float
    limited: bool
    coefficients: tuple[int, int, int, int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        kg = 1.0 - self.kr - self.kb
        y_gain = 255 / 219 if self.limited else 1.0
        c_gain = 255 / 224 if self.limited else 1.0
        cr_r = 2 * (1 - self.kr) * c_gain
        cb_b = 2 * (1 - self.kb) * c_gain
        cb_g = 2 * self.kb * (1 - self.kb) / kg * c_gain
        cr_g = 2 * self.kr * (1 - self.kr) / kg * c_gain
        fixed = tuple(round(256 * c) for c in (y_gain, cr_r, cb_g, cr_g, cb_b))
        object.__setattr__(self, "coefficients", fixed)


BT601_LIMITED = YCbCr("BT.601 limited (SMPTE170M)", 0.299, 0.114, True)
BT601_FULL = YCbCr("BT.601 full (sYCC)", 0.299, 0.114, False)
BT709_LIMITED = YCbCr("BT.709 limited (Rec709)", 0.2126, 0.0722, True)
BT709_FULL = YCbCr("BT.709 full", 0.2126, 0.0722, False)
BT2020_LIMITED = YCbCr("BT.2020 limited (Rec2020)", 0.2627, 0.0593, True)
BT2020_FULL = YCbCr("BT.2020 full", 0.2627, 0.0593, False)
_BY_NAME = {
    ("Rec601", "Limited"): BT601_LIMITED,
    ("Rec601", "Full"): BT601_FULL,
    ("Rec709", "Limited"): BT709_LIMITED,
    ("Rec709", "Full"): BT709_FULL,
    ("Rec2020", "Limited"): BT2020_LIMITED,
    ("Rec2020", "Full"): BT2020_FULL,
}


def ycbcr_named(encoding: str, range_: str) -> YCbCr | None:
    """The encoding for libcamera's names (``ColorSpace.ycbcrEncoding.name``, ``ColorSpace.range.name``),
    or None for one this module does not decode (``Null``: an RGB stream)."""
    return _BY_NAME.get((encoding, range_))


def _rows(buffer: np.ndarray, offset: int, rows: int, stride: int, width_bytes: int) -> np.ndarray:
    end = offset + rows * stride
    if buffer.size < end - stride + width_bytes:
        raise CameraFault(
            f"camera buffer of {buffer.size} bytes is too short for {rows} rows of stride {stride}; "
            "the stream configuration changed under us, the camera will be reopened"
        )
    padded = buffer[offset:end]
    if padded.size < rows * stride:  # the last row may omit its padding
        padded = np.concatenate([padded, np.zeros(rows * stride - padded.size, np.uint8)])
    return padded.reshape(rows, stride)[:, :width_bytes]


def packed_to_rgb(buffer: np.ndarray, fmt: str, width: int, height: int, stride: int) -> np.ndarray:
    """Convert a packed RGB-family buffer; returns a new contiguous array."""
    bpp = PACKED[fmt]
    pixels = _rows(buffer, 0, height, stride, width * bpp).reshape(height, width, bpp)
    if fmt in ("XBGR8888", "BGR888"):
        return np.ascontiguousarray(pixels[:, :, :3])
    return np.ascontiguousarray(pixels[:, :, 2::-1])


def yuv420_to_rgb(
    buffer: np.ndarray, width: int, height: int, stride: int, ycbcr: YCbCr = BT601_LIMITED
) -> np.ndarray:
    """Convert an I420 buffer (Y, then U, then V, chroma stride ``stride // 2``) to RGB.

    Fixed-point arithmetic in int32 with ``ycbcr``'s coefficients: no float temporaries, and chroma is
    upsampled by repetition (what the models need; not a photo-grade demosaic of the chroma).
    """
    k_y, k_rv, k_gu, k_gv, k_bu = ycbcr.coefficients
    y_floor = 16 if ycbcr.limited else 0
    cw, ch, cstride = (width + 1) // 2, (height + 1) // 2, stride // 2
    y = _rows(buffer, 0, height, stride, width).astype(np.int32)
    u_off = height * stride
    v_off = u_off + ch * cstride
    u = _rows(buffer, u_off, ch, cstride, cw).astype(np.int32) - 128
    v = _rows(buffer, v_off, ch, cstride, cw).astype(np.int32) - 128
    u = u.repeat(2, axis=0).repeat(2, axis=1)[:height, :width]
    v = v.repeat(2, axis=0).repeat(2, axis=1)[:height, :width]
    y = (y - y_floor) * k_y + 128
    rgb = np.empty((height, width, 3), np.uint8)
    rgb[:, :, 0] = np.clip((y + k_rv * v) >> 8, 0, 255)
    rgb[:, :, 1] = np.clip((y - k_gu * u - k_gv * v) >> 8, 0, 255)
    rgb[:, :, 2] = np.clip((y + k_bu * u) >> 8, 0, 255)
    return rgb


def to_rgb(
    buffer: np.ndarray, fmt: str, width: int, height: int, stride: int, ycbcr: YCbCr = BT601_LIMITED
) -> np.ndarray:
    """Convert one flat camera buffer of the given format, size and stride to HxWx3 RGB; ``ycbcr`` says how
    a YUV buffer encodes colour (packed RGB formats ignore it)."""
    if fmt == "YUV420":
        return yuv420_to_rgb(buffer, width, height, stride, ycbcr)
    if fmt in PACKED:
        return packed_to_rgb(buffer, fmt, width, height, stride)
    raise CameraFault(f"camera stream format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")

"""Camera buffers (flat bytes with a row stride) to HxWx3 uint8 RGB, in numpy and Pillow.

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
from PIL import Image

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


def _plane(buffer: np.ndarray, offset: int, rows: int, stride: int, width_bytes: int) -> np.ndarray:
    """``rows`` whole rows of ``stride`` bytes from ``offset``, padding included (rows x stride)."""
    end = offset + rows * stride
    if buffer.size < end - stride + width_bytes:
        raise CameraFault(
            f"camera buffer of {buffer.size} bytes is too short for {rows} rows of stride {stride}; "
            "the stream configuration changed under us, the camera will be reopened"
        )
    padded = buffer[offset:end]
    if padded.size < rows * stride:  # the last row may omit its padding
        padded = np.concatenate([padded, np.zeros(rows * stride - padded.size, np.uint8)])
    return padded.reshape(rows, stride)


def _rows(buffer: np.ndarray, offset: int, rows: int, stride: int, width_bytes: int) -> np.ndarray:
    """The same rows without their padding: a view, rows x ``width_bytes``."""
    return _plane(buffer, offset, rows, stride, width_bytes)[:, :width_bytes]


#: Pillow's mode and raw unpacker for the packed formats whose bytes must be reordered or dropped. Pillow
#: unpacks and repacks in C: for 640x360 on this development machine 0.1-0.2 ms (XBGR8888 rows without
#: padding, which Pillow maps in place) to 1.3 ms (XRGB8888 with padded rows), where numpy's strided copy
#: took 1.1-2.2 ms (``make bench`` prints the conversions). ``BGR888`` (bytes R,G,B) needs neither: its
#: rows already are what the models read.
_PILLOW_UNPACK = {"XBGR8888": ("RGBX", "RGBX"), "XRGB8888": ("RGBX", "BGRX"), "RGB888": ("RGB", "BGR")}


def packed_to_rgb(buffer: np.ndarray, fmt: str, width: int, height: int, stride: int) -> np.ndarray:
    """Convert a packed RGB-family buffer to HxWx3 RGB.

    ``BGR888`` comes back as a view of ``buffer`` when its rows carry no padding (else one copy of the
    rows); the other formats as a new, read-only array (the camera publishes frames read-only anyway).
    """
    plane = _plane(buffer, 0, height, stride, width * PACKED[fmt])
    if fmt == "BGR888":
        return np.ascontiguousarray(plane[:, : width * 3].reshape(height, width, 3))
    mode, unpack = _PILLOW_UNPACK[fmt]
    image = Image.frombuffer(mode, (width, height), np.ascontiguousarray(plane), "raw", unpack, stride, 1)
    return np.frombuffer(image.tobytes("raw", "RGB"), np.uint8).reshape(height, width, 3)


def _widened(plane: np.ndarray) -> np.ndarray:
    """Each byte of a uint8 plane twice along its rows: as uint16 a byte times 257 is that byte in both
    halves, so one multiply and a view widen the plane (numpy's ``repeat`` copies element by element)."""
    return (plane.astype(np.uint16) * 257).view(np.uint8)


def yuv420_to_rgb(
    buffer: np.ndarray, width: int, height: int, stride: int, ycbcr: YCbCr = BT601_LIMITED
) -> np.ndarray:
    """Convert an I420 buffer (Y, then U, then V, chroma stride ``stride // 2``) to RGB.

    Fixed-point arithmetic in int32 with ``ycbcr``'s coefficients, chroma upsampled by repetition (what the
    models need; not a photo-grade interpolation of the chroma). The chroma planes are widened along the
    row only (:func:`_widened`) and each colour's chroma term, with the rounding and limited range's luma
    floor folded in, is worked out once for the two luma rows that share it, which add it by broadcasting.
    The result equals the direct formula's to the bit (``tests/camera/test_convert.py``); ``make bench``
    prints its time.
    """
    k_y, k_rv, k_gu, k_gv, k_bu = ycbcr.coefficients
    y_floor = 16 if ycbcr.limited else 0
    cw, ch, cstride = (width + 1) // 2, (height + 1) // 2, stride // 2
    u_off = height * stride
    v_off = u_off + ch * cstride
    u = _widened(_rows(buffer, u_off, ch, cstride, cw)).astype(np.int32) - 128
    v = _widened(_rows(buffer, v_off, ch, cstride, cw)).astype(np.int32) - 128
    base = 128 - y_floor * k_y  # the rounding, and limited range's luma floor
    terms = (k_rv * v + base, base - k_gu * u - k_gv * v, k_bu * u + base)
    luma = np.zeros((2 * ch, 2 * cw), np.int32)  # even sizes; an odd last row or column is cut off below
    np.multiply(_rows(buffer, 0, height, stride, width), k_y, out=luma[:height, :width], dtype=np.int32)
    pairs = luma.reshape(ch, 2, 2 * cw)  # the two luma rows of each chroma row
    channel = np.empty_like(pairs)
    rgb = np.empty((2 * ch, 2 * cw, 3), np.uint8)
    for index, term in enumerate(terms):
        np.add(pairs, term[:, None, :], out=channel)
        np.right_shift(channel, 8, out=channel)
        np.clip(channel, 0, 255, out=channel)
        rgb[:, :, index] = channel.reshape(2 * ch, 2 * cw)
    if rgb.shape[:2] != (height, width):
        return np.ascontiguousarray(rgb[:height, :width])
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

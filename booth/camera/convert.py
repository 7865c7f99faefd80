"""Camera buffers (flat bytes with a row stride) to HxWx3 uint8 RGB, in numpy.

libcamera pads each row to an aligned *stride*, so a buffer is never simply ``h * w * bpp`` bytes; every
conversion here slices rows by the stride first. Pixel orders follow picamera2's names, which describe
the 32-bit word, not the byte order in memory: ``XBGR8888`` is bytes R,G,B,X; ``XRGB8888`` is B,G,R,X;
``BGR888`` is R,G,B; ``RGB888`` is B,G,R. ``YUV420`` is planar I420: a full Y plane, then U and V planes of
half width and half height, each chroma row ``stride // 2`` bytes long. YUV is BT.601 limited range, as
the Pi's ISP produces it for these streams.
"""

from __future__ import annotations

import numpy as np

from booth.errors import CameraFault

#: Formats :func:`to_rgb` understands, with their bytes per pixel (YUV420 has 1 byte of Y per pixel).
PACKED = {"XBGR8888": 4, "XRGB8888": 4, "BGR888": 3, "RGB888": 3}
FORMATS = (*PACKED, "YUV420")


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


def yuv420_to_rgb(buffer: np.ndarray, width: int, height: int, stride: int) -> np.ndarray:
    """Convert an I420 buffer (Y, then U, then V, chroma stride ``stride // 2``) to RGB.

    Fixed-point BT.601 limited-range arithmetic in int32: no float temporaries, and chroma is upsampled by
    repetition (what the models need; not a photo-grade demosaic of the chroma).
    """
    cw, ch, cstride = (width + 1) // 2, (height + 1) // 2, stride // 2
    y = _rows(buffer, 0, height, stride, width).astype(np.int32)
    u_off = height * stride
    v_off = u_off + ch * cstride
    u = _rows(buffer, u_off, ch, cstride, cw).astype(np.int32) - 128
    v = _rows(buffer, v_off, ch, cstride, cw).astype(np.int32) - 128
    u = u.repeat(2, axis=0).repeat(2, axis=1)[:height, :width]
    v = v.repeat(2, axis=0).repeat(2, axis=1)[:height, :width]
    y = (y - 16) * 298 + 128
    rgb = np.empty((height, width, 3), np.uint8)
    rgb[:, :, 0] = np.clip((y + 409 * v) >> 8, 0, 255)
    rgb[:, :, 1] = np.clip((y - 100 * u - 208 * v) >> 8, 0, 255)
    rgb[:, :, 2] = np.clip((y + 516 * u) >> 8, 0, 255)
    return rgb


def to_rgb(buffer: np.ndarray, fmt: str, width: int, height: int, stride: int) -> np.ndarray:
    """Convert one flat camera buffer of the given format, size and stride to HxWx3 RGB."""
    if fmt == "YUV420":
        return yuv420_to_rgb(buffer, width, height, stride)
    if fmt in PACKED:
        return packed_to_rgb(buffer, fmt, width, height, stride)
    raise CameraFault(f"camera stream format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")

"""Rotated square crops of a frame, and the mapping of crop coordinates back to the frame.

Pillow resamples in C (one nearest sample per pixel, or at twice the size and 2x2 box-averaged when the region
is much larger than the crop: see :func:`crop`); the same 2x3 matrix maps model outputs back to frame pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class RotatedRect:
    """A rectangle in frame pixels: centre, size and rotation (radians, clockwise on screen, y down)."""

    cx: float
    cy: float
    width: float
    height: float
    angle: float = 0.0

    def scaled(self, factor: float, square: bool = True) -> RotatedRect:
        """Grow about the centre; ``square`` makes both sides the longer one (as MediaPipe's ROI does)."""
        w, h = self.width * factor, self.height * factor
        if square:
            w = h = max(w, h)
        return RotatedRect(self.cx, self.cy, w, h, self.angle)

    def crop_to_frame(self, size: int) -> np.ndarray:
        """2x3 matrix taking continuous crop coordinates (0..size) to frame coordinates."""
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        sx, sy = self.width / size, self.height / size
        return np.array(
            [
                [cos * sx, -sin * sy, self.cx - cos * self.width / 2 + sin * self.height / 2],
                [sin * sx, cos * sy, self.cy - sin * self.width / 2 - cos * self.height / 2],
            ],
            dtype=np.float64,
        )

    def axis_box(self) -> tuple[float, float, float, float]:
        """Axis-aligned bounding box of the rotated rectangle."""
        cos, sin = abs(math.cos(self.angle)), abs(math.sin(self.angle))
        half_w = (self.width * cos + self.height * sin) / 2
        half_h = (self.width * sin + self.height * cos) / 2
        return self.cx - half_w, self.cy - half_h, self.cx + half_w, self.cy + half_h


#: A region more than this many frame pixels per crop pixel is sampled at twice the size and box-averaged;
#: closer to one to one, a single nearest sample per pixel (a quarter of the work) skips no detail.
SUPERSAMPLE_ABOVE = 1.25


def crop(image: Image.Image | np.ndarray, rect: RotatedRect, size: int) -> tuple[Image.Image, np.ndarray]:
    """Cut ``rect`` out of ``image`` as a ``size`` x ``size`` image; also return the crop-to-frame matrix.

    Given a numpy frame, only the region around ``rect`` is handed to Pillow (a copy of the face, not of the
    whole frame: about 0.2 ms saved per frame at 640x480), read through the frame's rows
    (:func:`region_image`).

    A region more than :data:`SUPERSAMPLE_ABOVE` frame pixels per crop pixel is sampled nearest-neighbour
    at twice the size, then 2x2 box-averaged (within one grey level of a bilinear affine transform on
    average, 2.3x faster than Pillow's bilinear affine path, which costs about 1 ms for a 256 px crop here
    and 5-20 ms on a Pi); nearer one to one, one nearest sample per pixel. The live face crop is usually
    the latter (a 640x480 frame's face region is 200-320 px for the 256 px model): about 0.3-0.5 ms less
    per frame here, with FaceMesh v2's points 0.3-0.4 % of the inter-ocular distance from the supersampled
    crop's, blendshapes 0.005 apart, and of the 2930 labelled calls of ``make eval`` two changed, both
    title-animation frames of ``face_noface.mov`` no longer read as a face. Outside the frame is black, as
    in MediaPipe's zero border.
    """
    matrix = rect.crop_to_frame(size)
    factor = 2 if rect.width > SUPERSAMPLE_ABOVE * size else 1
    fine = matrix.copy()
    fine[:, :2] /= factor
    if isinstance(image, np.ndarray):
        height, width = image.shape[:2]
        x0, y0, x1, y1 = rect.axis_box()
        left, top = max(0, math.floor(x0) - 1), max(0, math.floor(y0) - 1)
        right, bottom = min(width, math.ceil(x1) + 1), min(height, math.ceil(y1) + 1)
        if right - left < 2 or bottom - top < 2:
            return Image.new("RGB", (size, size)), matrix
        image = region_image(image[top:bottom, left:right])
        fine[:, 2] -= (left, top)
    coeffs = tuple(fine.ravel())
    sampled = image.transform(
        (factor * size, factor * size), Image.Transform.AFFINE, coeffs, Image.Resampling.NEAREST
    )
    return (sampled.reduce(factor) if factor > 1 else sampled), matrix


def region_image(region: np.ndarray) -> Image.Image:
    """A Pillow copy of an H x W x 3 uint8 ``region`` of a frame, read in place through the frame's row
    stride rather than first copied to a contiguous array (Pillow copies it once anyway, to its own 4-byte
    pixels): 0.06 ms less per face crop here, the same pixels. A region whose pixels are not packed RGB bytes
    (a view with other strides) takes the copy."""
    rows, row_bytes = region.shape[0], region.strides[0]
    if region.dtype != np.uint8 or region.strides[1:] != (3, 1) or row_bytes < region.shape[1] * 3:
        return Image.fromarray(np.ascontiguousarray(region))
    span = (rows - 1) * row_bytes + region.shape[1] * 3
    flat = np.lib.stride_tricks.as_strided(region, shape=(span,), strides=(1,))
    return Image.frombuffer("RGB", (region.shape[1], rows), flat, "raw", "RGB", row_bytes, 1)


def within(rect: RotatedRect, matrix: np.ndarray, size: int) -> RotatedRect:
    """Express ``rect`` (frame pixels) in the coordinates of a crop whose crop-to-frame matrix is ``matrix``.

    Lets a second, smaller crop be cut from the first one instead of from the whole frame.
    """
    linear = matrix[:, :2]
    cx, cy = np.linalg.solve(linear, np.array([rect.cx, rect.cy]) - matrix[:, 2])
    scale = 1.0 / math.hypot(linear[0, 0], linear[1, 0])
    angle = rect.angle - math.atan2(linear[1, 0], linear[0, 0])
    return RotatedRect(float(cx), float(cy), rect.width * scale, rect.height * scale, angle)


def to_frame(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Map N x 2 (or N x 3, z scaled like x) crop coordinates to frame coordinates."""
    out = np.empty_like(points, dtype=np.float32)
    out[:, :2] = points[:, :2] @ matrix[:, :2].T + matrix[:, 2]
    if points.shape[1] > 2:
        out[:, 2] = points[:, 2] * math.hypot(matrix[0, 0], matrix[1, 0])
    return out

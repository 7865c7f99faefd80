"""Rotated square crops of a frame, and the mapping of crop coordinates back to the frame.

Pillow's affine transform does the resampling in C (one pass, bilinear), which keeps the crop well under a
millisecond; the same 2x3 matrix maps model outputs back to frame pixels.
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


def crop(image: Image.Image, rect: RotatedRect, size: int) -> tuple[Image.Image, np.ndarray]:
    """Cut ``rect`` out of ``image`` as a ``size`` x ``size`` image; also return the crop-to-frame matrix.

    Outside the frame is black, as in MediaPipe's zero border.
    """
    matrix = rect.crop_to_frame(size)
    out = image.transform(
        (size, size), Image.Transform.AFFINE, tuple(matrix.ravel()), Image.Resampling.BILINEAR
    )
    return out, matrix


def to_frame(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Map N x 2 (or N x 3, z scaled like x) crop coordinates to frame coordinates."""
    out = np.empty_like(points, dtype=np.float32)
    out[:, :2] = points[:, :2] @ matrix[:, :2].T + matrix[:, 2]
    if points.shape[1] > 2:
        out[:, 2] = points[:, 2] * math.hypot(matrix[0, 0], matrix[1, 0])
    return out

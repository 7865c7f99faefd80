"""FaceMesh v2: 478 landmarks (468 mesh points and 10 iris points) from an eye-level face crop."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from booth.vision.crop import RotatedRect, crop, to_frame
from booth.vision.runtime import Model

INPUT_SIZE = 256
#: Below this face-presence probability the crop no longer holds a face and tracking is dropped.
MIN_PRESENCE = 0.5
#: The landmarks that fix the eye line of the next frame's crop (outer eye corners).
EYE_LINE = (33, 263)


@dataclass(frozen=True)
class Landmarks:
    """One read of the 478 points, by FaceMesh v2 (``mesh`` "full") or the light tracking mesh ("light",
    :mod:`booth.vision.light_mesh`)."""

    points: np.ndarray  # 478 x 3, frame pixels (z scaled like x)
    presence: float  # face-presence probability of the crop
    crop: np.ndarray  # the square uint8 crop the model saw (256 px for v2, 192 for v1: for sharpness)
    image: Image.Image  # the same crop as an image (later crops are cut from it, not the frame)
    matrix: np.ndarray  # crop-to-frame 2 x 3 matrix
    roi: RotatedRect  # the frame region the crop shows
    mesh: str = "full"
    #: Multiplies the crop's Laplacian variance so a light read's sharpness matches the full read's scale
    #: (their crops differ in size; measured on the track's last full frame).
    sharpness_gain: float = 1.0

    @property
    def size(self) -> int:
        """Side of the crop in pixels."""
        return int(self.crop.shape[0])


def roi_from_landmarks(points: np.ndarray) -> RotatedRect:
    """Next frame's crop from this frame's landmarks: eye-level, 1.5x the face's extent, square.

    The extent is measured along the eye line, so a tilted head does not inflate the crop.
    """
    (x0, y0), (x1, y1) = points[EYE_LINE[0], :2], points[EYE_LINE[1], :2]
    angle = math.atan2(y1 - y0, x1 - x0)
    cos, sin = math.cos(angle), math.sin(angle)
    xy = points[:, :2]
    u = xy[:, 0] * cos + xy[:, 1] * sin
    v = -xy[:, 0] * sin + xy[:, 1] * cos
    cu, cv = (u.min() + u.max()) / 2, (v.min() + v.max()) / 2
    cx, cy = cu * cos - cv * sin, cu * sin + cv * cos
    return RotatedRect(cx, cy, float(u.max() - u.min()), float(v.max() - v.min()), angle).scaled(1.5)


def presence_of(logit: float) -> float:
    """The face-presence probability from a landmark model's logit (both meshes give one)."""
    return 1.0 / (1.0 + math.exp(-max(-100.0, min(100.0, logit))))


class LandmarkModel:
    def __init__(self, model: Model) -> None:
        if model.input_shape != (1, INPUT_SIZE, INPUT_SIZE, 3):
            raise ValueError(f"{model.path}: not the FaceMesh v2 landmark model")
        self.model = model

    def run(self, image: Image.Image | np.ndarray, roi: RotatedRect) -> Landmarks:
        patch, matrix = crop(image, roi, INPUT_SIZE)
        pixels = np.asarray(patch)
        np.multiply(pixels, np.float32(1 / 255), out=self.model.input[0])
        outputs = self.model.run()
        raw = self.model.output_named(outputs, (1, 1, 1, 1434)).reshape(478, 3)
        logit = float(self.model.output_named(outputs, (1, 1, 1, 1)).ravel()[0])
        presence = presence_of(logit)
        return Landmarks(to_frame(raw, matrix), presence, pixels, patch, matrix, roi)

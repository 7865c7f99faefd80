"""The light tracking mesh: FaceMesh v1 and the iris model, read in FaceMesh v2's 478-point topology and
corrected toward v2 by what v2 read on the track's last full frame.

Why: on one core here FaceMesh v2 takes about 5.1 ms a frame, v1 about 1.1 ms and the iris model about
1.05 ms per eye (timed in one run). Uncorrected, v1 with the irises lands 3.6 % of the inter-ocular
distance (IOD) away from v2 on the test clips, and the blendshapes read from it 0.043 away on average:
enough to change calls. Most of that gap is steady for one sitter (the two models were trained on
different annotations), so a full frame reads both meshes on one crop and keeps their difference
(:class:`LightCalibration`), in the crop's own unit coordinates so that it moves, turns and scales with
the face; the light frames that follow add it back. With a full frame every sixth, ``booth eval --mesh``
measures 1.25 % of the IOD and 0.018 blendshape difference on the labelled clips, but the tails flip
calls: it is opt-in (booth/vision/README.md). The pipeline decides which frames are full
(:mod:`booth.vision.pipeline`).

How the 478 points are put together, as MediaPipe's iris-tracking graph does it: the 468 mesh points from
v1 on the same eye-level crop v2 would get (192 px instead of 256); then for each eye a square crop 2.3
times the corner-to-corner distance, level with the corners (the image-right eye mirrored, as the model
reads left eyes only), gives 71 eye-contour points that replace the mesh's own around that eye
(:data:`EYE_CONTOUR`) and 5 iris points (centre, then the ring) that become 468-472 (image-left eye) and
473-477.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from booth.vision import geometry
from booth.vision.crop import RotatedRect, crop, to_frame
from booth.vision.landmarks import Landmarks, presence_of
from booth.vision.runtime import Model

MESH_SIZE = 192
IRIS_SIZE = 64
#: An eye's crop side over the distance between its corners.
EYE_CROP_SCALE = 2.3
#: Per eye: the mesh's corner points (toward the image's left first) and whether the crop is mirrored.
EYES = ((33, 133, False), (362, 263, True))
#: The mesh points the iris model re-reads, in its output order: 71 for the image-left eye (lower lid,
#: upper lid, then four rings of halo and the brow), then the same for the other eye. Index facts from
#: MediaPipe's iris-tracking graph (update_face_landmarks_calculator).
EYE_CONTOUR = np.array(
    [
        33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173, 130, 25, 110, 24, 23,
        22, 26, 112, 243, 247, 30, 29, 27, 28, 56, 190, 226, 31, 228, 229, 230, 231, 232, 233, 244, 113,
        225, 224, 223, 222, 221, 189, 35, 124, 46, 53, 52, 65, 143, 111, 117, 118, 119, 120, 121, 128, 245,
        156, 70, 63, 105, 66, 107, 55, 193, 263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386,
        385, 384, 398, 359, 255, 339, 254, 253, 252, 256, 341, 463, 467, 260, 259, 257, 258, 286, 414, 446,
        261, 448, 449, 450, 451, 452, 453, 464, 342, 445, 444, 443, 442, 441, 413, 265, 353, 276, 283, 282,
        295, 372, 340, 346, 347, 348, 349, 350, 357, 465, 383, 300, 293, 334, 296, 336, 285, 417,
    ],
    dtype=np.intp,
)  # fmt: skip
#: The iris model's five points (centre, then the ring) of a mirrored eye in v2's order.
MIRRORED_RING = np.array([0, 3, 2, 1, 4])
#: The iris points of each eye in the 478-point topology.
IRIS_POINTS = (slice(468, 473), slice(473, 478))


def eye_rect(points: np.ndarray, inner_or_left: int, other: int) -> RotatedRect:
    """The iris model's crop for one eye: centred between its corners, level with them, 2.3 times the
    larger of their horizontal and vertical distances (as MediaPipe's iris graph sizes it)."""
    (x0, y0), (x1, y1) = points[inner_or_left, :2], points[other, :2]
    side = EYE_CROP_SCALE * max(abs(x1 - x0), abs(y1 - y0))
    return RotatedRect((x0 + x1) / 2, (y0 + y1) / 2, side, side, math.atan2(y1 - y0, x1 - x0))


class LightMeshModel:
    """FaceMesh v1 and the iris model together, giving :class:`Landmarks` with ``mesh="light"``."""

    def __init__(self, mesh: Model, iris: Model) -> None:
        if mesh.input_shape != (1, MESH_SIZE, MESH_SIZE, 3):
            raise ValueError(f"{mesh.path}: not the FaceMesh v1 landmark model")
        if iris.input_shape != (1, IRIS_SIZE, IRIS_SIZE, 3):
            raise ValueError(f"{iris.path}: not the iris landmark model")
        self.mesh, self.iris = mesh, iris

    @property
    def models(self) -> tuple[Model, Model]:
        return self.mesh, self.iris

    def run(self, pixels: np.ndarray, roi: RotatedRect) -> Landmarks:
        """Read roi of an HxWx3 uint8 frame: 478 points in frame pixels (uncorrected)."""
        patch, matrix = crop(pixels, roi, MESH_SIZE)
        face = np.asarray(patch)
        np.multiply(face, np.float32(1 / 255), out=self.mesh.input[0])
        outputs = self.mesh.run()
        raw = self.mesh.output_named(outputs, (1, 1, 1, 1404)).reshape(468, 3)
        presence = presence_of(float(self.mesh.output_named(outputs, (1, 1, 1, 1)).ravel()[0]))
        points = np.empty((478, 3), dtype=np.float32)
        points[:468] = to_frame(raw, matrix)
        for index, (first, second, mirrored) in enumerate(EYES):
            contour, iris = self._eye(pixels, eye_rect(points, first, second), mirrored)
            points[EYE_CONTOUR[71 * index : 71 * (index + 1)]] = contour
            points[IRIS_POINTS[index]] = iris
        return Landmarks(points, presence, face, patch, matrix, roi, mesh="light")

    def _eye(self, pixels: np.ndarray, rect: RotatedRect, mirrored: bool) -> tuple[np.ndarray, np.ndarray]:
        patch, matrix = crop(pixels, rect, IRIS_SIZE)
        eye = np.asarray(patch)
        np.multiply(eye[:, ::-1] if mirrored else eye, np.float32(1 / 255), out=self.iris.input[0])
        outputs = self.iris.run()
        contour = self.iris.output_named(outputs, (1, 213)).reshape(71, 3)
        iris = self.iris.output_named(outputs, (1, 15)).reshape(5, 3)
        if mirrored:
            # Mirroring also swaps the ring's two side points: v2 numbers them from the image's side.
            contour, iris = _unmirror(contour), _unmirror(iris)[MIRRORED_RING]
        return to_frame(contour, matrix), to_frame(iris, matrix)


def _unmirror(points: np.ndarray) -> np.ndarray:
    out = points.copy()
    out[:, 0] = IRIS_SIZE - out[:, 0]
    return out


def to_unit(points: np.ndarray, roi: RotatedRect) -> np.ndarray:
    """Frame points in the unit square of roi (x, y in 0..1 across the crop; z over its width)."""
    matrix = roi.crop_to_frame(1)
    out = np.empty_like(points, dtype=np.float64)
    out[:, :2] = (points[:, :2] - matrix[:, 2]) @ np.linalg.inv(matrix[:, :2]).T
    out[:, 2] = points[:, 2] / roi.width
    return out


def from_unit(unit: np.ndarray, roi: RotatedRect) -> np.ndarray:
    """The inverse of :func:`to_unit`."""
    matrix = roi.crop_to_frame(1)
    out = np.empty(unit.shape, dtype=np.float32)
    out[:, :2] = unit[:, :2] @ matrix[:, :2].T + matrix[:, 2]
    out[:, 2] = unit[:, 2] * roi.width
    return out


@dataclass(frozen=True)
class LightCalibration:
    """What FaceMesh v2 read minus what the light mesh read on the same crop of one full frame."""

    offset: np.ndarray  # 478 x 3, in the crop's unit coordinates (see :func:`to_unit`)
    sharpness_gain: float

    @classmethod
    def between(cls, full: Landmarks, light: Landmarks) -> LightCalibration:
        """From a full and a light read of the same roi."""
        offset = to_unit(full.points, full.roi) - to_unit(light.points, light.roi)
        light_sharpness = geometry.sharpness(light.crop)
        gain = geometry.sharpness(full.crop) / light_sharpness if light_sharpness > 1e-6 else 1.0
        return cls(offset, gain)

    def apply(self, light: Landmarks) -> Landmarks:
        """A light read corrected toward what v2 would have read."""
        points = from_unit(to_unit(light.points, light.roi) + self.offset, light.roi)
        return replace(light, points=points, sharpness_gain=self.sharpness_gain)

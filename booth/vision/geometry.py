"""Geometry from the 478 landmarks: head pose, face size, sharpness, and the plain gaze-ellipse test.

Angles only: whether a gaze counts as "engaged" is the looks' judgement (:mod:`booth.looks.engine`, which
also applies the sitter's lens calibration); :func:`gaze_within` is the plain ellipse test it uses. The eyes
themselves are measured in :mod:`booth.vision.eyes` (openness, state) and :mod:`booth.vision.gaze` (where
they point).

Head pose is a weighted Procrustes fit of MediaPipe's canonical 3D face (centimetres, x toward image right,
y up, z out of the face) to the observed landmarks. The observed z comes from the landmark model itself, so
the fit is a full 3D rotation without a camera model (weak perspective).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np

from booth.vision.reading import HeadPose


@dataclass(frozen=True)
class CanonicalFace:
    vertices: np.ndarray  # 468 x 3, centimetres
    basis: np.ndarray  # landmark ids used for the fit
    weights: np.ndarray  # their weights

    @cached_property
    def fit_terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """What the Procrustes fit needs of the model, computed once: normalised weights (N x 1), the
        weighted centred model (N x 3), its weighted mean, and its weighted squared spread."""
        weights = (self.weights / self.weights.sum())[:, None]
        model = self.vertices[self.basis]
        mean = (weights * model).sum(0)
        centred = model - mean
        return weights, weights * centred, mean, float((weights * centred**2).sum())


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i


def _fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Minimal protobuf wire-format reader: yields (field number, wire type, value).

    The value is an int for varints (wire type 0) and the raw bytes otherwise.
    """
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i : i + size], i + size
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def _basis_entry(buf: bytes) -> tuple[int, float]:
    """One WeightedLandmarkRef: landmark id (field 1, varint) and weight (field 2, float32)."""
    landmark, weight = 0, 0.0
    for number, _, value in _fields(buf):
        if number == 1 and isinstance(value, int):
            landmark = value
        elif number == 2 and isinstance(value, bytes):
            weight = struct.unpack("<f", value)[0]
    return landmark, weight


@cache
def load_canonical(path: Path) -> CanonicalFace:
    """Read MediaPipe's ``geometry_pipeline_metadata_landmarks.binarypb``.

    GeometryPipelineMetadata: field 1 is the canonical Mesh3d (field 3: vertex buffer, 5 floats per vertex:
    x, y, z, u, v), field 2 the Procrustes landmark basis (landmark id, weight). Parsed by hand to avoid a
    protobuf dependency for 20 KB of numbers.
    """
    data = Path(path).read_bytes()
    floats: list[float] = []
    basis: list[int] = []
    weights: list[float] = []
    for number, wire, value in _fields(data):
        if not isinstance(value, bytes):
            continue
        if number == 1 and wire == 2:
            for sub, sub_wire, item in _fields(value):
                # One float (wire type 5) or a packed run of them (wire type 2).
                if sub == 3 and sub_wire in (2, 5) and isinstance(item, bytes):
                    floats.extend(struct.unpack(f"<{len(item) // 4}f", item))
        elif number == 2 and wire == 2:
            landmark, weight = _basis_entry(value)
            basis.append(landmark)
            weights.append(weight)
    vertices = np.array(floats, dtype=np.float64).reshape(-1, 5)[:, :3]
    if vertices.shape[0] != 468 or not basis:
        raise ValueError(f"{path}: not MediaPipe's canonical face geometry")
    return CanonicalFace(vertices, np.array(basis, dtype=np.intp), np.array(weights, dtype=np.float64))


@dataclass(frozen=True)
class Pose:
    """Similarity transform from the canonical face to the observed one (y up, z toward the camera)."""

    rotation: np.ndarray  # 3 x 3
    scale: float  # pixels per centimetre
    translation: np.ndarray  # 3

    def head_pose(self) -> HeadPose:
        forward = self.rotation[:, 2]  # out of the face
        across = self.rotation[:, 0]  # toward the sitter's left (image right when frontal)
        yaw = math.degrees(math.atan2(forward[0], forward[2]))
        pitch = math.degrees(math.atan2(forward[1], math.hypot(forward[0], forward[2])))
        roll = -math.degrees(math.atan2(across[1], across[0]))
        return HeadPose(yaw, pitch, roll)

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """Canonical points (N x 3) to image pixels (N x 2, y down)."""
        cam = self.scale * points @ self.rotation.T + self.translation
        return np.stack([cam[:, 0], -cam[:, 1]], axis=1)


#: Image coordinates (y down, z away) to the canonical face's axes (y up, z toward the camera).
FLIP = np.array([1.0, -1.0, -1.0])


def solve_pose(landmarks: np.ndarray, canonical: CanonicalFace) -> Pose:
    """Weighted Procrustes (rotation, uniform scale, translation) of the canonical face onto the landmarks."""
    weights, weighted_model, mean_model, spread = canonical.fit_terms
    observed = landmarks[canonical.basis].astype(np.float64) * FLIP
    mean_obs = (weights * observed).sum(0)
    cov = weighted_model.T @ (observed - mean_obs)
    u, sing, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(vt.T @ u.T)) or 1.0
    fix = np.array([1.0, 1.0, d])
    rotation = (vt.T * fix) @ u.T
    scale = float((sing * fix).sum() / spread)
    translation = mean_obs - scale * rotation @ mean_model
    return Pose(rotation, scale, translation)


def gaze_within(gaze: tuple[float, float], limits: tuple[float, float]) -> bool:
    """True when the 2-D angle ``gaze`` (degrees) lies inside the ellipse with half-axes ``limits`` (x, y).

    An ellipse rather than a box: a gaze off in both directions at once is further from the lens than
    either component alone says.
    """
    return (gaze[0] / limits[0]) ** 2 + (gaze[1] / limits[1]) ** 2 <= 1.0


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian over the middle of the face crop (grey levels squared).

    Measured on every second pixel of the central half of the 256 px landmark crop: the face, at a fixed
    scale, so the value compares frames of one sitter rather than absolute focus.
    """
    grey = crop[64:192:2, 64:192:2, 1].astype(np.float32)  # green carries most of the luminance detail
    lap = 4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:]
    return float(lap.var())

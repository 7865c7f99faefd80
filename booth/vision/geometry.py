"""Geometry from the 478 landmarks: head pose, eye openness, iris offset, gaze, face size, sharpness.

Angles only: whether a gaze counts as "engaged" is the looks' judgement (:mod:`booth.looks.engine`, which
also removes the sitter's resting offset); :func:`gaze_within` is the plain ellipse test it uses.

Head pose is a weighted Procrustes fit of MediaPipe's canonical 3D face (centimetres, x toward image right,
y up, z out of the face) to the observed landmarks. The observed z comes from the landmark model itself, so
the fit is a full 3D rotation without a camera model (weak perspective).

Gaze is the head's rotation composed with each eye's rotation in the head. The eyeball centre is placed in
the canonical face (behind the midpoint of the eye corners), carried into the image by the head pose, and the
gaze ray runs from that centre through the iris: the iris's image offset from the projected centre, divided by
the eyeball radius, gives the ray's two image-plane components. This is why a sitter who turns the head but
brings the eyes back to the lens still reads as looking at the lens, and one facing the lens with the eyes
elsewhere does not.
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

#: Eye contour landmarks: (outer corner, inner corner, upper lid x3, lower lid x3), per sitter's eye.
RIGHT_EYE = (33, 133, (160, 159, 158), (144, 145, 153))
LEFT_EYE = (263, 362, (387, 386, 385), (373, 374, 380))
RIGHT_IRIS, LEFT_IRIS = 468, 473  # iris centres (468..472 ring the sitter's right iris)

#: Eye aspect ratio (mean lid gap / corner distance, measured in 3D) of a closed and a fully open eye;
#: openness is the ratio mapped linearly between them.
EAR_CLOSED, EAR_OPEN = 0.10, 0.30
#: Anatomy in the canonical face's centimetres: eyeball radius, and how far its centre sits behind the
#: midpoint of the eye corners. On the frontal test photos the iris sits about 0.35 cm in front of the
#: corner midpoint, so the centre is 1.2 - 0.35 cm behind it.
EYEBALL_RADIUS_CM = 1.2
EYEBALL_DEPTH_CM = 0.85
#: ... and how far above it: with the head level and the eyes on the lens, the iris sits about 0.2 cm above
#: the corner midpoint on the frontal test photos and clips (a sweep over 0.1-0.3 balanced them best).
EYEBALL_RAISE_CM = 0.2


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


_EYES = (LEFT_EYE, RIGHT_EYE)
_CORNERS = np.array([eye[:2] for eye in _EYES])
_UPPER, _LOWER = np.array([eye[2] for eye in _EYES]), np.array([eye[3] for eye in _EYES])
#: Per eye, the image-left then the image-right corner (the sitter's left eye is on the image's right).
_ACROSS = np.array([[LEFT_EYE[1], LEFT_EYE[0]], [RIGHT_EYE[0], RIGHT_EYE[1]]])
_LIDS = np.array([eye[2] + eye[3] for eye in _EYES])
_IRISES = np.array([LEFT_IRIS, RIGHT_IRIS])


def eye_openness(landmarks: np.ndarray) -> tuple[float, float]:
    """(left, right) openness 0..1 from the 3D eye aspect ratio (rotation- and yaw-robust)."""
    widths = np.linalg.norm(landmarks[_CORNERS[:, 0]] - landmarks[_CORNERS[:, 1]], axis=1)
    gaps = np.linalg.norm(landmarks[_UPPER] - landmarks[_LOWER], axis=2).mean(axis=1)
    ear = gaps / np.maximum(widths, 1e-6)
    openness = np.clip((ear - EAR_CLOSED) / (EAR_OPEN - EAR_CLOSED), 0.0, 1.0)
    return float(openness[0]), float(openness[1])


def iris_offsets(landmarks: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """(left, right) iris offset from the eye's centre in the eye's own frame, in eye widths.

    x runs along the corner line toward image right, y downward across it: a pure image-plane measure,
    independent of head roll. The centre is the corners' midpoint along the line and the lids' mean across it.
    """
    xy = landmarks[:, :2].astype(np.float64)
    start, end = xy[_ACROSS[:, 0]], xy[_ACROSS[:, 1]]
    axis = end - start
    width = np.maximum(np.hypot(axis[:, 0], axis[:, 1]), 1e-6)
    ux = axis / width[:, None]
    uy = np.stack([-ux[:, 1], ux[:, 0]], axis=1)
    iris = xy[_IRISES]
    along = ((iris - (start + end) / 2) * ux).sum(axis=1) / width
    across = ((iris - xy[_LIDS].mean(axis=1)) * uy).sum(axis=1) / width
    return (float(along[0]), float(across[0])), (float(along[1]), float(across[1]))


def gaze_direction(landmarks: np.ndarray, pose: Pose) -> tuple[float, float]:
    """Gaze angle (x, y) in degrees off the direction from the face to the lens; (0, 0) = into the lens.

    Each eye's centre is its observed corner midpoint moved :data:`EYEBALL_DEPTH_CM` into the head and
    :data:`EYEBALL_RAISE_CM` up (head axes, projected into the image); the ray runs from there through the
    iris. The two eyes are averaged, weighted by how wide each appears (the far eye of a turned head is the
    less reliable). No camera model is needed: the head pose is read from the face's appearance, which is
    already relative to the line from the face to the lens, so an off-centre sitter looking into the lens
    reads (0, 0) too.
    """
    back = pose.rotation @ np.array([0.0, EYEBALL_RAISE_CM, -EYEBALL_DEPTH_CM]) * pose.scale
    back_img = np.array([back[0], -back[1]])
    radius = pose.scale * EYEBALL_RADIUS_CM
    vectors, weights = [], []
    for iris, (outer, inner, *_) in ((RIGHT_IRIS, RIGHT_EYE), (LEFT_IRIS, LEFT_EYE)):
        corners = landmarks[[outer, inner], :2]
        centre = corners.mean(axis=0) + back_img
        g = (landmarks[iris, :2] - centre) / radius
        norm = float(np.hypot(*g))
        if norm > 0.95:
            g = g * (0.95 / norm)
        vectors.append(g)
        weights.append(float(np.hypot(*(corners[0] - corners[1]))))
    g = np.average(np.array(vectors), axis=0, weights=np.array(weights) + 1e-6)
    gz = math.sqrt(max(1e-6, 1.0 - float(g @ g)))
    return math.degrees(math.atan2(g[0], gz)), math.degrees(math.atan2(g[1], gz))


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

"""A look's best frame and its variety: the combined score of a candidate, and near-duplicates (pure).

Best frame: each kept candidate gets :func:`combined_score`, a weighted mean (weights normalised by their sum,
defaults in ``booth.config``) of

* the look score, clipped to 0..1;
* engaged gaze, 1 or 0;
* eye openness, clipped to 0..1;
* sharpness ``1 - exp(-v / sharpness_scale)`` of the variance of the Laplacian ``v``: 0 for a flat image,
  0.63 at ``sharpness_scale``, saturating towards 1 (beyond "sharp enough", sharper does not matter, and
  noise also raises the variance);
* face size ``min(1, face_size / face_size_target)``: a small face is a worse headshot, a large one is fine.

Variety: a candidate whose normalised landmarks and look scores are both within tolerance of one already kept
for the same look (see :func:`is_near_duplicate`) is rejected, so a look's shots are not three copies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Candidate:
    """One frame offered as a shot of a look, with what perception and the looks said about it."""

    look: str
    look_score: float  # 0..1, the target look's score
    engaged: bool  # engaged gaze
    eye_openness: float  # 0 closed .. 1 open (a bool is taken as 0/1)
    sharpness: float  # variance of the Laplacian of the face region, grey levels squared
    face_size: float  # face height / frame height
    landmarks: np.ndarray | None  # 478 x 3, frame pixels
    scores: Mapping[str, float]  # every look's score
    timestamp: float  # monotonic seconds
    frame_id: int | str | None = None  # ref to the pixels (ring-buffer index, request id...)


@dataclass(frozen=True)
class ScoreParams:
    """Parameters of :func:`combined_score` (see the module docstring); defaults live in ``booth.config``."""

    weights: Mapping[str, float]
    sharpness_scale: float
    face_size_target: float


def _clip01(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def score_parts(c: Candidate, params: ScoreParams) -> dict[str, float]:
    """Each ingredient of the combined score on 0..1."""
    return {
        "look": _clip01(c.look_score),
        "gaze": 1.0 if c.engaged else 0.0,
        "eyes": _clip01(c.eye_openness),
        "sharpness": 1.0 - math.exp(-max(0.0, c.sharpness) / params.sharpness_scale),
        "face_size": _clip01(c.face_size / params.face_size_target),
    }


def combined_score(c: Candidate, params: ScoreParams) -> float:
    """Weighted mean of :func:`score_parts`, 0..1: the best frame of a look is the one with the highest."""
    parts = score_parts(c, params)
    total = sum(params.weights.get(k, 0.0) for k in parts)
    return sum(params.weights.get(k, 0.0) * v for k, v in parts.items()) / total


def normalise_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """x, y centred on their mean and divided by their RMS radius: position and scale no longer matter."""
    xy = np.asarray(landmarks, dtype=np.float64)[:, :2]
    centred = xy - xy.mean(axis=0)
    radius = math.sqrt(float((centred**2).sum(axis=1).mean())) or 1.0
    return centred / radius


def is_near_duplicate(a: Candidate, b: Candidate, landmark_tol: float, score_tol: float) -> bool:
    """Same look, look scores within ``score_tol`` and mean landmark distance under ``landmark_tol``.

    Landmark distance is in units of the face's RMS radius after :func:`normalise_landmarks`. Without
    landmarks on either side only the scores are compared.
    """
    if a.look != b.look:
        return False
    keys = set(a.scores) | set(b.scores)
    diffs = [abs(a.look_score - b.look_score)]
    diffs += [abs(a.scores.get(k, 0.0) - b.scores.get(k, 0.0)) for k in keys]
    if max(diffs) > score_tol:
        return False
    if a.landmarks is None or b.landmarks is None:
        return True
    na, nb = normalise_landmarks(a.landmarks), normalise_landmarks(b.landmarks)
    return float(np.linalg.norm(na - nb, axis=1).mean()) < landmark_tol

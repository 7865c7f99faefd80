"""What perception says about one face in one frame.

Conventions used throughout ``booth.vision``:

* Pixel coordinates are the analysed frame's, origin top left, x right, y down.
* "left" and "right" are the **sitter's own** left and right (the sitter's left eye appears on the image's
  right side).
* Angles are degrees. Head yaw is positive when the sitter turns to their left (face toward image right),
  pitch positive when the chin goes up, roll positive when the head tilts toward the sitter's left shoulder
  ... measured as image-plane rotation of the eye line, clockwise positive.
* Gaze ``(x, y)`` is the angle between the sitter's line of sight and the direction from the face to the lens:
  ``(0, 0)`` is looking straight into the lens; x positive toward image right, y positive toward image down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class HeadPose:
    yaw: float
    pitch: float
    roll: float


@dataclass(frozen=True, eq=False)
class Gaze:
    """One face's gaze, in degrees (measured by :mod:`booth.vision.gaze`).

    ``eye_in_head`` is the eyes' rotation in the head (x toward the head's own image-right side, the sitter's
    left; y downward in the head), fused from the ``geometric`` vote (iris circles) and the ``blendshape``
    vote (eyeLook scores). ``angles`` is the gaze off the lens direction (x toward image right, y toward
    image down): ``eye_in_head`` composed with ``rotation``, the head's rotation (3 x 3, canonical face to
    camera, y up), which a lens calibration needs to compose a corrected eye-in-head angle again.
    """

    angles: tuple[float, float]
    eye_in_head: tuple[float, float]
    geometric: tuple[float, float]
    blendshape: tuple[float, float]
    rotation: np.ndarray
    iris_offsets: tuple[tuple[float, float], tuple[float, float]]  # (left, right) eye: x, y / eyeball radius


@dataclass(frozen=True, eq=False)
class FaceReading:
    """Everything perception measured on one face; looks and verdicts are layered on top elsewhere.

    Measurements only: whether the gaze is engaged is judged by :mod:`booth.looks` (against the sitter's
    baseline), never here, so the booth has one answer to that question.
    """

    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in frame pixels
    score: float  # detection / face-presence confidence, 0..1
    landmarks: np.ndarray  # 478 x 3 (x, y in frame pixels; z in the same scale, smaller = nearer)
    blendshapes: dict[str, float]  # 52 ARKit-style scores, 0..1
    emotions: dict[str, float]  # FER2013 seven classes, softmax
    head_pose: HeadPose
    eye_openness: tuple[float, float]  # (left, right): 0 closed .. 1 fully open
    eye_state: str  # "open", "closed", "squeezed", "lowered" or "half-closed" (booth.vision.eyes)
    gaze_parts: Gaze  # the eyes in the head, both votes, and the head rotation
    face_size: float  # face box height / frame height
    sharpness: float  # variance of the Laplacian of the face crop (grey levels squared)
    frame_size: tuple[int, int]  # width, height of the analysed frame
    track_id: int = 0
    mesh: str = "full"  # which landmark read: "full" (FaceMesh v2) or "light" (v1 + iris, corrected)
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def eyes_open(self) -> bool:
        """Both eyes open enough for a headshot (not closed, squeezed, lowered or half-closed)."""
        return self.eye_state == "open"

    @property
    def gaze(self) -> tuple[float, float]:
        """Degrees off the lens direction for an average eye (no sitter's calibration): see the module."""
        return self.gaze_parts.angles

    @property
    def iris_offset(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """(left, right) iris offset from the eyeball centre in the head's frame, over the eyeball radius."""
        return self.gaze_parts.iris_offsets

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)

    def to_json(self) -> dict:
        """The per-face fields of ``booth analyze --json`` (rounded for reading)."""
        return {
            "box": [round(v, 1) for v in self.box],
            "score": round(self.score, 4),
            "blendshapes": {k: round(v, 4) for k, v in self.blendshapes.items()},
            "emotions": {k: round(v, 4) for k, v in self.emotions.items()},
            "head_pose": {k: round(v, 2) for k, v in vars(self.head_pose).items()},
            "eye_openness": {"left": round(self.eye_openness[0], 3), "right": round(self.eye_openness[1], 3)},
            "eyes_open": self.eyes_open,
            "eye_state": self.eye_state,
            "iris_offset": {
                "left": [round(v, 3) for v in self.iris_offset[0]],
                "right": [round(v, 3) for v in self.iris_offset[1]],
            },
            "gaze": {"x": round(self.gaze[0], 2), "y": round(self.gaze[1], 2)},
            "eye_in_head": [round(v, 2) for v in self.gaze_parts.eye_in_head],
            "gaze_votes": {
                "geometric": [round(v, 2) for v in self.gaze_parts.geometric],
                "blendshape": [round(v, 2) for v in self.gaze_parts.blendshape],
            },
            "face_size": round(self.face_size, 4),
            "sharpness": round(self.sharpness, 1),
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
        }

"""The sitter's own lens direction, taken in the baseline step while they look at the light by the lens.

People's eyes differ by several degrees from any population model: where the fovea sits behind the iris,
lid shape, how the landmark model reads that face. So in the baseline step the kiosk asks "Look at the
light by the lens" (the status light is mounted beside the lens, see ``firmware/PINS.md``), and the booth
records what this sitter's eyes read there, together with their head pose.

What is stored is a **bias in the head's frame**: the measured eye-in-head angle minus the eye-in-head
angle that would point exactly at the lens for that head pose (:func:`booth.vision.gaze.toward_lens`). It
travels with the head: when the sitter later turns or tilts, the bias is removed from the eyes before the
eyes are composed with the new head pose, and "engaged" is the angle of that ray from the lens.

A sitter who does not comply must not teach the booth a wrong lens: with too few frames of a face, eyes
mostly not open, eyes that wander, or a direction too far from the lens to be a lens at all, there is no
calibration and the population model is used; :attr:`Calibration.reason` says why, for the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from booth.vision.gaze import compose, toward_lens
from booth.vision.reading import FaceReading

#: Without a calibration the population model's own error is added to the operator's tolerance (which is
#: the tolerance around a calibrated sitter's lens direction): degrees, horizontal and vertical. Measured
#: on the labelled frames of tests/data/gaze_labels.json: calibrated, 7 x 8 degrees separated lens from away
#: frames on both clips; uncalibrated, 12 x 8 did best (README, "Gaze").
POPULATION_MARGIN_DEG = (5.0, 0.0)
#: Share of the step's frames that must show the face, and share of those with the eyes open.
MIN_FACE_SHARE = 0.6
MIN_OPEN_SHARE = 0.6
#: Fewest open-eyed frames a calibration is taken from (a second at a Pi 4's 5-6 analysed frames per
#: second, less a blink).
MIN_FRAMES = 3
#: The eye-in-head angles a calibration can be of: the fused one the booth judges with, or one vote alone
#: (``booth eval`` calibrates each vote on its own to compare them fairly).
VOTES = ("eye_in_head", "geometric", "blendshape")
#: Largest bias accepted (degrees, horizontal, vertical): beyond this the sitter looked somewhere else.
#: Measured lens biases on the dev clips: +7.6, +1.1 (WolfgangLanger_Pexels.mp4, frames 398-409) and
#: -5.4, +0.1 (single_face.mp4, frames 0-11).
MAX_BIAS_DEG = (12.0, 10.0)
#: Largest spread (median absolute deviation, degrees) of the bias over the step: steady eyes only.
MAX_SPREAD_DEG = 3.0


@dataclass(frozen=True)
class LensCalibration:
    """A sitter's eye-in-head bias (degrees, x toward the sitter's left, y down) when on the lens, of the
    ``vote`` it was measured on (one of :data:`VOTES`)."""

    bias: tuple[float, float]
    frames: int
    vote: str = "eye_in_head"

    def gaze(self, reading: FaceReading) -> tuple[float, float]:
        """This sitter's gaze off the lens (degrees, x right, y down): their bias removed, then composed."""
        parts = reading.gaze_parts
        measured = getattr(parts, self.vote)
        return compose(parts.rotation, (measured[0] - self.bias[0], measured[1] - self.bias[1]))


@dataclass(frozen=True)
class Calibration:
    """The outcome of a calibration step: the calibration, or None and why not."""

    lens: LensCalibration | None
    reason: str

    def tolerance(self, calibrated: tuple[float, float]) -> tuple[float, float]:
        """The engaged ellipse to use: the operator's, widened by :data:`POPULATION_MARGIN_DEG` when there is
        no calibration of this sitter."""
        if self.lens is not None:
            return calibrated
        return calibrated[0] + POPULATION_MARGIN_DEG[0], calibrated[1] + POPULATION_MARGIN_DEG[1]

    def describe(self) -> str:
        """One line for the log."""
        if self.lens is None:
            return f"lens calibration not used ({self.reason}): the population gaze model applies"
        bx, by = self.lens.bias
        return f"lens calibration from {self.lens.frames} frames: bias {bx:+.1f} deg x, {by:+.1f} deg y"


def bias_of(reading: FaceReading, vote: str = "eye_in_head") -> tuple[float, float]:
    """How far this reading's eyes (by ``vote``) are from the eye-in-head angle that meets the lens."""
    parts = reading.gaze_parts
    lens = toward_lens(parts.rotation)
    measured = getattr(parts, vote)
    return measured[0] - lens[0], measured[1] - lens[1]


def calibrate(readings: Sequence[FaceReading | None], vote: str = "eye_in_head") -> Calibration:
    """A lens calibration from the step's frames (None where no face was seen), or the reason for none."""
    if not readings:
        return Calibration(None, "face lost")
    faces = [r for r in readings if r is not None]
    if len(faces) < MIN_FACE_SHARE * len(readings) or len(faces) < MIN_FRAMES:
        return Calibration(None, "face lost")
    opened = [r for r in faces if r.eyes_open]
    if len(opened) < MIN_OPEN_SHARE * len(faces) or len(opened) < MIN_FRAMES:
        return Calibration(None, "eyes closed")
    biases = np.array([bias_of(r, vote) for r in opened])
    median = np.median(biases, axis=0)
    spread = np.median(np.abs(biases - median), axis=0)
    if (spread > MAX_SPREAD_DEG).any():
        return Calibration(None, "eyes moving")
    if abs(median[0]) > MAX_BIAS_DEG[0] or abs(median[1]) > MAX_BIAS_DEG[1]:
        return Calibration(None, f"looking away ({median[0]:+.0f}, {median[1]:+.0f} deg off the lens)")
    return Calibration(LensCalibration((float(median[0]), float(median[1])), len(opened), vote), "")

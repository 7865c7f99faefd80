"""Eyes a headshot can use: lid openness, and the state of the eyes (open, closed, squeezed, lowered,
half-closed).

Openness is the 3D eye aspect ratio (mean lid gap over the corner distance, measured with the landmark
model's depth, so it holds when the head turns or rolls), mapped linearly from :data:`EAR_CLOSED` (0) to
:data:`EAR_OPEN` (1).

The states, per frame (thresholds measured on the hand-labelled frames of ``tests/data/gaze_labels.json``):

* ``open``: both eyes at least :data:`EYES_OPEN_MIN` open and no eyeBlink above :data:`EYE_BLINK_MAX`.
* ``closed``: a lid gap under :data:`EYES_CLOSED_MAX`: no iris to see (a blink, or eyes shut). On the
  labelled clips every frame labelled shut read 0.00-0.14, and the narrowest slit labelled open 0.24.
* ``squeezed``: between the two while a broad smile (mouthSmile at least :data:`SQUEEZE_SMILE_MIN`) narrows
  the eyes: a laugh. On the labelled clip, every not-quite-shut frame (openness 0.2-0.3) came in a laugh
  (WolfgangLanger 425, 431, 438), and the iris model puts such eyes 10-12 degrees low, so without this
  case a laugh would read as lowered eyes.
* ``lowered``: between the two, no broad smile, the eyes cast down at least :data:`LOWERED_PITCH_DEG` in
  the head: the lids follow the eyes down and hide most of the iris, so the photo shows lids, not eyes.
  No dev-set frame is labelled lowered: this case follows the definition, and is tested on it alone.
* ``half-closed``: between the two with the eyes level: heavy or half-shut lids.

A blink and a downward look under shut lids both read as ``closed``: with the lids down, no landmark can
tell where the eye points (the iris model still draws an iris, a little low, in both cases).
"""

from __future__ import annotations

import numpy as np

OPEN, CLOSED, SQUEEZED, LOWERED, HALF_CLOSED = "open", "closed", "squeezed", "lowered", "half-closed"
#: Eye contour landmarks: (outer corner, inner corner, upper lid x3, lower lid x3), per sitter's eye.
RIGHT_EYE = (33, 133, (160, 159, 158), (144, 145, 153))
LEFT_EYE = (263, 362, (387, 386, 385), (373, 374, 380))
#: Eye aspect ratio (mean lid gap / corner distance, in 3D) of a closed and of a fully open eye.
EAR_CLOSED, EAR_OPEN = 0.10, 0.30
#: Both eyes at least this open (0..1) and not blinking per the blendshapes: open.
EYES_OPEN_MIN = 0.30
EYE_BLINK_MAX = 0.55
#: The less open eye below this: closed.
EYES_CLOSED_MAX = 0.20
#: Eyes rotated at least this far down in the head (degrees, the geometric vote): lowered.
LOWERED_PITCH_DEG = 9.0
#: Mean mouthSmile at or above this: narrowed eyes are a laugh's (squeezed).
SQUEEZE_SMILE_MIN = 0.5

_EYES = (LEFT_EYE, RIGHT_EYE)
_CORNERS = np.array([eye[:2] for eye in _EYES])
_UPPER, _LOWER = np.array([eye[2] for eye in _EYES]), np.array([eye[3] for eye in _EYES])


def eye_openness(landmarks: np.ndarray) -> tuple[float, float]:
    """(left, right) openness 0..1 from the 3D eye aspect ratio (rotation- and yaw-robust)."""
    widths = np.linalg.norm(landmarks[_CORNERS[:, 0]] - landmarks[_CORNERS[:, 1]], axis=1)
    gaps = np.linalg.norm(landmarks[_UPPER] - landmarks[_LOWER], axis=2).mean(axis=1)
    ear = gaps / np.maximum(widths, 1e-6)
    openness = np.clip((ear - EAR_CLOSED) / (EAR_OPEN - EAR_CLOSED), 0.0, 1.0)
    return float(openness[0]), float(openness[1])


def eye_state(openness: tuple[float, float], blink: float, smile: float, eye_pitch: float) -> str:
    """One of :data:`OPEN`, :data:`CLOSED`, :data:`SQUEEZED`, :data:`LOWERED`, :data:`HALF_CLOSED` (see the
    module notes).

    ``blink`` is the larger eyeBlink blendshape, ``smile`` the mean mouthSmile; ``eye_pitch`` the eyes'
    geometric rotation in the head, degrees, down positive.
    """
    least = min(openness)
    if least >= EYES_OPEN_MIN and blink <= EYE_BLINK_MAX:
        return OPEN
    if least < EYES_CLOSED_MAX:
        return CLOSED
    if smile >= SQUEEZE_SMILE_MIN:
        return SQUEEZED
    return LOWERED if eye_pitch >= LOWERED_PITCH_DEG else HALF_CLOSED


def state_of(openness: tuple[float, float], blendshapes: dict[str, float], eye_pitch: float) -> str:
    """:func:`eye_state` from a reading's blendshapes (the larger eyeBlink, the mean mouthSmile)."""
    blink = max(blendshapes["eyeBlinkLeft"], blendshapes["eyeBlinkRight"])
    smile = (blendshapes["mouthSmileLeft"] + blendshapes["mouthSmileRight"]) / 2
    return eye_state(openness, blink, smile, eye_pitch)

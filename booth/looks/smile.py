"""The booth's own smile call: is this face smiling, yes or no?

Approachable and playful rest on it (their recipes gate on the ``smiling`` signal), and ``booth analyze
--json`` reports it. It reads the blendshapes first because the emotion model misses soft, closed-lip smiles
on real photos, while ``mouthSmile`` carries them. The mouth corners also rise in a crying face and a
grimace, so a raised mouth alone is not a smile:

* **crying**: the emotion model reads sad, or the upper lip shrugs without a happy reading. On the test
  clip's crying frames (WolfgangLanger 18-135) sad sits at 0.6-0.9 against under 0.1 on every smile, and
  ``mouthShrugUpper`` mostly at 0.04-0.21 against 0.01-0.02 on broad smiles; a closed-lip smile pushes
  the lips up too (0.044 on the soft smile of ``multi_face.jpg``), hence the higher bar and the happy
  exemption;
* **grimace**: the mouth is stretched sideways more than it is lifted (``mouthStretch`` above
  ``mouthSmile``);
* **speech** moves the jaw with the corners down, so it is below :data:`SMILE_MIN` already.

The thresholds were read off the labelled frames of ``tests/data/expression_labels.json`` and
``gaze_labels.json``; ``booth eval`` reports the call's precision and recall on them. The call is made on
the raw reading, not against the sitter's rest: a resting smile is still a smile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Mean mouthSmile from which the corners count as drawn into a smile.
SMILE_MIN = 0.25
#: Upper-lip shrug at and above which a raised mouth is a crying one, unless the face reads happy.
CRY_SHRUG_MIN = 0.06
#: Emotion-model happiness that overrules the shrug cue.
HAPPY_MIN = 0.3
#: Emotion-model sadness at and above which a raised mouth is a crying one.
CRY_SAD_MIN = 0.4


@dataclass(frozen=True)
class SmileCall:
    """The call and why: "smile", "no smile", "crying" or "grimace"."""

    smiling: bool
    reason: str


def reads_emotions(blendshapes: Mapping[str, float]) -> bool:
    """Whether :func:`call` would read the emotion model for these blendshapes: only a raised mouth is
    checked for crying. Lets a booth whose looks read no emotion run the model on those frames alone."""
    return _mouth_smile(blendshapes) >= SMILE_MIN


def _mouth_smile(b: Mapping[str, float]) -> float:
    return (b["mouthSmileLeft"] + b["mouthSmileRight"]) / 2


def call(blendshapes: Mapping[str, float], emotions: Mapping[str, float]) -> SmileCall:
    """The smile call of one face from its blendshapes and (when the emotion model ran) its emotions."""
    b = blendshapes
    smile = _mouth_smile(b)
    if smile < SMILE_MIN:
        return SmileCall(False, "no smile")
    shrugged = b["mouthShrugUpper"] >= CRY_SHRUG_MIN and emotions.get("happy", 0.0) < HAPPY_MIN
    if shrugged or emotions.get("sad", 0.0) >= CRY_SAD_MIN:
        return SmileCall(False, "crying")
    if (b["mouthStretchLeft"] + b["mouthStretchRight"]) / 2 > smile:
        return SmileCall(False, "grimace")
    return SmileCall(True, "smile")

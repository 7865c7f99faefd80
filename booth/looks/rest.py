"""The population's resting face: what scores are measured against until a sitter's own rest is taken.

A still has no baseline step, and neither does the moment before a session's. Scoring their raw
expression signals would read a resting face as a look, because several blendshapes sit well above 0 at
rest: ``eyeSquint`` alone reads 0.28-0.52 on relaxed faces, which made "intense" and "confident" fire on
plain portraits. These values are the mean of the medians of two sitters' labelled neutral faces
(``single_face.mp4`` frames 0-18 and ``grace_hopper.jpg``, looks labelled in ``tests/data/labels.json``),
rounded to 0.01, for every expression signal whose rest is 0.02 or more. Two faces are a stand-in, not a
population model: eye shape varies more than that, which is why the booth takes each sitter's own rest.
Emotions are left out (the emotion model's "neutral" is itself the resting reading).
"""

from __future__ import annotations

POPULATION_REST: dict[str, float] = {
    "browDownLeft": 0.02, "browInnerUp": 0.15, "browOuterUpLeft": 0.1, "browOuterUpRight": 0.09,
    "eyeBlinkLeft": 0.08, "eyeBlinkRight": 0.06, "eyeSquintLeft": 0.45, "eyeSquintRight": 0.39,
    "mouthPressLeft": 0.08, "mouthPressRight": 0.06, "mouthPucker": 0.14, "mouthRollLower": 0.08,
    "mouthRollUpper": 0.05, "mouthShrugLower": 0.11, "squint": 0.42, "blink": 0.08, "brow_down": 0.02,
    "brow_inner_up": 0.15, "brow_outer_up": 0.09, "brow_raise": 0.12, "mouth_press": 0.07, "activity": 0.2,
}  # fmt: skip

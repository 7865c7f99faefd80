"""The booth's own smile call, on made-up blendshapes (each rule) and on the hand-labelled real frames."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from booth.looks import smile
from booth.vision.blendshapes import NAMES

LABELS = Path(__file__).parents[1] / "data"


def shapes(**values: float) -> dict[str, float]:
    out = dict.fromkeys(NAMES, 0.0)
    out.update(values)
    return out


def grin(level: float, **more: float) -> dict[str, float]:
    return shapes(mouthSmileLeft=level, mouthSmileRight=level, **more)


def test_each_rule_of_the_call():
    assert smile.call(grin(0.8), {"happy": 0.9}) == smile.SmileCall(True, "smile")
    # A soft closed-lip smile: the emotion model often misses it; the mouth carries it.
    assert smile.call(grin(0.3), {"happy": 0.02}).smiling
    assert smile.call(grin(0.1), {}).reason == "no smile"
    assert smile.call(grin(0.7, mouthShrugUpper=0.1), {}).reason == "crying"  # no emotion model needed
    assert smile.call(grin(0.7), {"sad": 0.8}).reason == "crying"
    assert smile.call(grin(0.3, mouthStretchLeft=0.6, mouthStretchRight=0.6), {}).reason == "grimace"


@pytest.mark.parametrize("level", [0.0, 0.1, 0.24, 0.25, 0.5, 0.9])
def test_the_call_reads_the_emotions_exactly_where_it_says_it_does(level):
    """A booth whose looks read no emotion runs the model only where ``reads_emotions`` says: below it, no
    emotion reading can change the call; at and above it, one can (a shrugged lip with and without happy)."""
    face = grin(level, mouthShrugUpper=0.1)
    calls = {smile.call(face, emotions) for emotions in ({}, {"happy": 0.9}, {"sad": 0.9})}
    assert smile.reads_emotions(face) == (len(calls) > 1)


def _labelled_smiles() -> list[tuple[str, int, bool]]:
    """(clip, frame, smile) of every clip frame labelled for smile in both frame-by-frame files."""
    out = []
    for name in ("gaze_labels.json", "expression_labels.json"):
        clips = json.loads((LABELS / name).read_text())["clips"]
        for clip, frames in clips.items():
            if clip == "noface_face.mov":  # the same footage as face_noface.mov, in another order
                continue
            out += [(clip, int(i), label["smile"]) for i, label in frames.items() if "smile" in label]
    return out


@pytest.mark.parametrize("clip", ["WolfgangLanger_Pexels.mp4", "single_face.mp4", "face_noface.mov"])
def test_the_call_on_labelled_frames(clip, clip_faces):
    """Precision and recall on each clip's labelled frames (crying frames included: they must not count)."""
    faces = {index: face for index, _, face in clip_faces(clip)}
    tp = fp = fn = tn = 0
    for _, index, truth in (row for row in _labelled_smiles() if row[0] == clip):
        face = faces[index]
        assert face is not None, f"{clip}#{index}"
        said = smile.call(face.blendshapes, face.emotions).smiling
        tp, fp, fn, tn = (
            tp + (truth and said),
            fp + (said and not truth),
            fn + (truth and not said),
            tn + (not truth and not said),
        )
    assert tp + fn > 10 and fp + tn > 10
    assert tp / (tp + fp) >= 0.98 and tp / (tp + fn) >= 0.95, (tp, fp, fn, tn)

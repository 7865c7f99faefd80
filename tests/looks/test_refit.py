"""Issue 14's refit of the defaults: approachable learned from the labelled clip frames, against the
shipped hand-weighted recipe, each judged on frames of the other sitter it was not trained on.

Labels are by eye (gaze_labels.json, expression_labels.json): a frame is positive when the lips are drawn
into a smile, negative when not, and only frames with usable eyes (open or narrowed) count, since every
look is capped on closed eyes anyway. The shipped recipe is kept because it does at least as well both
ways; the README reports the figures. Playful has no labelled frames (no clip poses it), so it is not
refitted: that stays unmeasured.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from booth.looks import Baseline, learn, load

DATA = Path(__file__).parents[1] / "data"


def labelled(clip_faces, clip: str) -> list[tuple[dict, bool]]:
    labels: dict[int, dict] = {}
    for name in ("gaze_labels.json", "expression_labels.json"):
        for index, label in json.loads((DATA / name).read_text())["clips"].get(clip, {}).items():
            labels.setdefault(int(index), {}).update(label)
    rest = Baseline({})
    return [
        (rest.signals_of(face), labels[i]["smile"])
        for i, _, face in clip_faces(clip)
        if face and i in labels and "smile" in labels[i] and labels[i].get("eyes") in ("open", "squint")
    ]


def accuracy(recipe, frames) -> float:
    return sum((recipe.score(s) >= 0.6) == truth for s, truth in frames) / len(frames)


@pytest.mark.parametrize(
    ("train", "test"),
    [("WolfgangLanger_Pexels.mp4", "single_face.mp4"), ("single_face.mp4", "WolfgangLanger_Pexels.mp4")],
)
def test_the_hand_recipe_does_at_least_as_well_as_one_learned_on_the_other_sitter(clip_faces, train, test):
    training, held_out = labelled(clip_faces, train), labelled(clip_faces, test)
    assert len(training) > 60 and len(held_out) > 60
    learned = learn.learn(
        "approachable", [s for s, t in training if t], [s for s, t in training if not t]
    ).recipe
    hand = load().looks["approachable"]
    assert accuracy(hand, held_out) >= 0.95
    assert accuracy(hand, held_out) >= accuracy(learned, held_out) - 1e-9

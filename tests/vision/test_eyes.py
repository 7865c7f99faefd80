"""booth.vision.eyes: open, closed (blinks), half-closed and lowered, on real frames and by the rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from booth.media import iter_video
from booth.vision import eyes

LABELS = json.loads((Path(__file__).parents[1] / "data" / "gaze_labels.json").read_text())["clips"]


@pytest.mark.parametrize(
    ("openness", "blink", "pitch", "state"),
    [
        ((0.9, 0.8), 0.1, 0.0, eyes.OPEN),
        ((0.9, 0.8), 0.1, 15.0, eyes.OPEN),  # looking down with the eyes open is still open
        ((0.0, 0.05), 0.7, 12.0, eyes.CLOSED),  # shut lids: a blink, wherever the iris model puts the eye
        ((0.2, 0.25), 0.4, 12.0, eyes.LOWERED),  # a slit with the eyes cast down
        ((0.2, 0.25), 0.4, 2.0, eyes.HALF_CLOSED),  # heavy lids, eyes level
        ((0.6, 0.6), 0.6, 1.0, eyes.HALF_CLOSED),  # the blink blendshape says closing
    ],
)
def test_the_eye_states_rule(openness, blink, pitch, state):
    assert eyes.eye_state(openness, blink, pitch) == state


def test_blinks_read_closed_and_open_eyes_open_on_the_labelled_clip(pipeline, media):
    """single_face.mp4 blinks at frames 26-27 (labelled closed by eye) and is open at 0-24 and 30-69."""
    states = {}
    for frame in iter_video(media("single_face.mp4")):
        (face,) = pipeline.analyze(frame.pixels, track=True)
        states[frame.index] = face.eye_state
    labels = LABELS["single_face.mp4"]
    closed = [i for i, label in labels.items() if label["eyes"] == "closed"]
    opened = [i for i, label in labels.items() if label["eyes"] in ("open", "squint")]
    assert {states[int(i)] for i in closed if int(i) in (26, 27)} == {eyes.CLOSED}
    assert sum(states[int(i)] == eyes.OPEN for i in opened) >= 0.95 * len(opened)

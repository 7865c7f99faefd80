"""booth.vision.eyes: open, closed (blinks), half-closed and lowered, on real frames and by the rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from booth.media import iter_video
from booth.vision import eyes

LABELS = json.loads((Path(__file__).parents[1] / "data" / "gaze_labels.json").read_text())["clips"]


@pytest.mark.parametrize(
    ("openness", "blink", "smile", "pitch", "state"),
    [
        ((0.9, 0.8), 0.1, 0.0, 0.0, eyes.OPEN),
        ((0.9, 0.8), 0.1, 0.9, 15.0, eyes.OPEN),  # looking down or laughing with the eyes open is open
        ((0.0, 0.05), 0.7, 0.0, 12.0, eyes.CLOSED),  # shut lids: a blink, wherever the iris model puts it
        ((0.22, 0.25), 0.4, 0.9, 11.0, eyes.SQUEEZED),  # a laugh's slits (the iris model reads them low)
        ((0.22, 0.25), 0.4, 0.1, 12.0, eyes.LOWERED),  # a slit with the eyes cast down, no smile
        ((0.22, 0.25), 0.4, 0.1, 2.0, eyes.HALF_CLOSED),  # heavy lids, eyes level
        ((0.6, 0.6), 0.6, 0.0, 1.0, eyes.HALF_CLOSED),  # the blink blendshape says closing
    ],
)
def test_the_eye_states_rule(openness, blink, smile, pitch, state):
    assert eyes.eye_state(openness, blink, smile, pitch) == state


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


def test_a_laughs_slits_are_squeezed_not_lowered(pipeline, media):
    """WolfgangLanger 431 and 438: laughing, her eyes narrowed to slits (labelled "squint" by eye)."""
    states = {}
    for frame in iter_video(media("WolfgangLanger_Pexels.mp4")):
        faces = pipeline.analyze(frame.pixels, track=True)
        if frame.index in (431, 438):
            states[frame.index] = faces[0].eye_state
        if frame.index == 438:
            break
    assert LABELS["WolfgangLanger_Pexels.mp4"]["431"]["eyes"] == "squint"
    assert set(states.values()) <= {eyes.SQUEEZED, eyes.OPEN} and len(states) == 2

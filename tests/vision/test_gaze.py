"""booth.vision.gaze on real frames: roll-free eye-in-head, iris circles, the two votes and their fusion.

Real TFLite models on real footage; the rotations are of real frames (Pillow), not synthetic faces.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from booth.config import PolicySettings
from booth.looks import LookScorer, Thresholds, load
from booth.media import iter_video
from booth.vision import gaze

LABELS = json.loads((Path(__file__).parents[1] / "data" / "gaze_labels.json").read_text())["clips"]


def frames(media, name, wanted):
    """The named frames of a clip, as RGB arrays (decoded in order, so frame numbers match the labels)."""
    out = {}
    for frame in iter_video(media(name)):
        if frame.index in wanted:
            out[frame.index] = frame.pixels
        if frame.index is not None and frame.index >= max(wanted):
            break
    return out


def engaged_alone(pipeline, pixels) -> bool:
    """The booth's engaged call on one frame read alone, no calibration (a still's judgement)."""
    policy = PolicySettings()
    scorer = LookScorer(load(), Thresholds.from_settings(policy), policy.min_face_size, hold_seconds=0)
    (face,) = pipeline.analyze(pixels, track=False)
    return scorer.score(face, 0.0).verdict.engaged


def rotated(pixels: np.ndarray, degrees: float) -> np.ndarray:
    return np.asarray(Image.fromarray(pixels).rotate(degrees, resample=Image.Resampling.BICUBIC))


def test_rolling_the_image_does_not_change_the_engaged_call(pipeline, media, photo):
    """single_face.mp4 frames labelled "lens" by eye (tests/data/gaze_labels.json) and two frontal stills
    labelled engaged (tests/data/labels.json), each rolled by -20, -10, 10 and 20 degrees."""
    stills = {f"single_face.mp4#{i}": px for i, px in frames(media, "single_face.mp4", {5, 40, 60}).items()}
    stills |= {name: photo(name) for name in ("grace_hopper.jpg", "0-f15-hao-ph.jpg")}
    for index in (5, 40, 60):
        assert LABELS["single_face.mp4"][str(index)]["gaze"] == "lens"
    for name, pixels in stills.items():
        assert engaged_alone(pipeline, pixels), f"{name} upright"
        for degrees in (-20, -10, 10, 20):
            assert engaged_alone(pipeline, rotated(pixels, degrees)), f"{name} rolled {degrees}"


def test_a_calibrated_sitter_stays_engaged_when_her_head_rolls(pipeline, media):
    """WolfgangLanger looks into the lens with her head rolled ~25 degrees (frames 398-423, labelled by eye).
    Calibrated on 398-409, her frames 412 and 418 stay engaged when the image is rolled 10 and 20 degrees
    back toward upright (rolling her further would leave the +-20 degrees of head roll asked for)."""
    from booth.looks import Baseline

    read = frames(media, "WolfgangLanger_Pexels.mp4", set(range(398, 419)))
    calibration = Baseline.capture([pipeline.analyze(read[i], track=False)[0] for i in range(398, 410)])
    assert calibration.calibration.lens is not None
    policy = PolicySettings()
    scorer = LookScorer(load(), Thresholds.from_settings(policy), policy.min_face_size, calibration, 0)
    for index in (412, 418):
        for degrees in (0, -10, -20):
            (face,) = pipeline.analyze(rotated(read[index], degrees), track=False)
            assert scorer.score(face, 0.0).verdict.engaged, f"#{index} rolled {degrees}"


def test_eye_in_head_is_measured_in_the_heads_frame(pipeline, media):
    """The eyes' angles in the head barely move when the whole image rolls by 20 degrees (the head pose
    takes the roll), where an image-plane offset would rotate with it."""
    (pixels,) = frames(media, "single_face.mp4", {40}).values()
    (upright,) = pipeline.analyze(pixels, track=False)
    for degrees in (-20, 20):
        (turned,) = pipeline.analyze(rotated(pixels, degrees), track=False)
        assert abs(turned.head_pose.roll - upright.head_pose.roll) == pytest.approx(20, abs=3)
        eyes = np.subtract(turned.gaze_parts.eye_in_head, upright.gaze_parts.eye_in_head)
        assert np.abs(eyes).max() < 3.0


def test_raised_eyes_read_up_and_lens_eyes_do_not(pipeline, media):
    """WolfgangLanger tips her head back with her eyes raised above the lens (frames 254-266, labelled "up"
    by eye) and later looks into it (405-415): the vertical gaze tells them apart."""
    read = frames(media, "WolfgangLanger_Pexels.mp4", set(range(250, 416)))
    pipeline.reset()
    faces = {i: pipeline.analyze(px, track=True)[0] for i, px in sorted(read.items())}
    up = [
        faces[i].gaze[1]
        for i in range(254, 267)
        if LABELS["WolfgangLanger_Pexels.mp4"][str(i)]["gaze"] == "up"
    ]
    lens = [faces[i].gaze[1] for i in range(405, 416)]
    assert up and max(up) < -8.0  # up is negative
    assert min(lens) > -8.0 and max(lens) - min(lens) < 8


def test_iris_circle_centre_and_radius():
    """The algebraic circle fit recovers a circle from four points on it, in any position."""
    angles = np.radians([0, 90, 180, 270]) + 0.3
    ring = np.stack([3.0 + 2.0 * np.cos(angles), -1.0 + 2.0 * np.sin(angles)], axis=1)
    x, y, radius = gaze.circle_fit([tuple(p) for p in ring.tolist()])
    assert (x, y, radius) == pytest.approx((3.0, -1.0, 2.0))
    # A ring squashed by a lid or foreshortening still gives a centre between its points.
    x, y, _ = gaze.circle_fit([(1.0, 0.0), (0.0, 0.5), (-1.0, 0.0), (0.0, -0.5)])
    assert (x, y) == pytest.approx((0.0, 0.0), abs=1e-9)


@pytest.mark.parametrize("yaw_pitch_roll", [(15, -10, 20), (-25, 5, -15), (0, 20, 30)])
def test_toward_lens_inverts_compose(yaw_pitch_roll):
    """toward_lens() gives the eye angles whose gaze is exactly (0, 0), for any head rotation."""
    rotation = _rotation(*yaw_pitch_roll)
    assert gaze.compose(rotation, gaze.toward_lens(rotation)) == pytest.approx((0.0, 0.0), abs=1e-6)


@pytest.mark.parametrize("eyes", [(10.0, -5.0), (-20.0, 12.0)])
def test_compose_of_a_frontal_head_is_the_eyes_alone(eyes):
    assert gaze.compose(np.eye(3), eyes) == pytest.approx(eyes, abs=1e-6)


@pytest.mark.parametrize(("yaw", "pitch"), [(20.0, 0.0), (-15.0, 0.0), (0.0, 12.0), (0.0, -12.0)])
def test_a_head_turn_with_the_eyes_still_reads_as_the_head_pose_says(yaw, pitch):
    """The gaze's signs agree with the head pose's (booth.vision.reading): yaw toward image right is +x,
    chin up (positive pitch) is a gaze upward (-y); eyes still in the head follow the head."""
    from booth.vision.geometry import Pose

    rotation = _rotation(yaw, pitch, 0.0)
    pose = Pose(rotation, 1.0, np.zeros(3)).head_pose()
    assert abs(pose.yaw) == pytest.approx(abs(yaw), abs=1e-6)
    assert abs(pose.pitch) == pytest.approx(abs(pitch), abs=1e-6)
    assert gaze.compose(rotation, (0.0, 0.0)) == pytest.approx((pose.yaw, -pose.pitch), abs=1e-6)


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    y, p, r = (math.radians(v) for v in (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return ry @ rx @ rz


def test_the_blendshape_vote_reads_a_look_to_the_side(pipeline, media):
    """WolfgangLanger looks far to her left at frame 236 (labelled up-left): both votes say so, with the
    head nearly frontal."""
    (pixels,) = frames(media, "WolfgangLanger_Pexels.mp4", {236}).values()
    (face,) = pipeline.analyze(pixels, track=False)
    assert face.gaze_parts.geometric[0] > 15 and face.gaze_parts.blendshape[0] > 15
    assert face.gaze[0] > 15 and not engaged_alone(pipeline, pixels)

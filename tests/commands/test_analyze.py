"""`booth analyze` end to end, run as a real subprocess on real photos and clips."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FIELDS = {"image", "frame", "box", "score", "blendshapes", "emotions", "head_pose", "eye_openness",
          "eyes_open", "eye_state", "eye_in_head", "gaze_votes",
          "gaze", "gaze_engaged", "looks", "timings_ms"}  # fmt: skip


def analyze(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "booth", "analyze", *args], capture_output=True, text=True, timeout=120
    )


def test_json_lines_for_photo_and_video(media):
    proc = analyze("--json", "--every", "12", str(media("astronaut.png")), str(media("single_face.mp4")))
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == 1 + 6
    photo, *video = records
    assert set(photo) >= FIELDS
    assert photo["image"] == "astronaut.png" and photo["frame"] is None
    assert max(photo["emotions"], key=photo["emotions"].get) == "happy"
    assert [r["frame"] for r in video] == [0, 12, 24, 36, 48, 60]
    assert set(photo["head_pose"]) == {"yaw", "pitch", "roll"}
    assert set(photo["gaze"]) == {"x", "y"} and set(photo["eye_openness"]) == {"left", "right"}
    x0, y0, x1, y1 = photo["box"]
    assert 150 < x0 < x1 < 300 and 50 < y0 < y1 < 200  # the astronaut's face in the 512 px photo


def test_bad_files_are_reported_and_the_rest_still_analysed(tmp_path, media):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    proc = analyze(
        "--json", str(empty), str(text), str(media("grace_hopper.jpg")), str(tmp_path / "gone.png")
    )
    assert proc.returncode == 1
    assert len(proc.stdout.splitlines()) == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("booth analyze:")]
    assert len(errors) == 3
    assert any("empty.jpg" in e for e in errors) and any("gone.png" in e for e in errors)
    assert "Traceback" not in proc.stderr


def test_no_face_is_a_note_not_an_error(media):
    proc = analyze(str(media("free-mountain-vector-01.jpg")))
    assert proc.returncode == 0
    assert proc.stdout == ""
    assert "no face found" in proc.stderr


@pytest.mark.parametrize("size", [(1, 1), (12000, 12000)])
def test_degenerate_sizes(tmp_path, size):
    from PIL import Image

    path = tmp_path / "odd.jpg"
    Image.new("RGB", size, (200, 180, 160)).save(path, quality=30)
    proc = analyze("--json", str(path))
    assert proc.returncode == 0 and proc.stdout == ""


def test_table_output(media):
    proc = analyze(str(media("single_face.jpg")))
    assert proc.returncode == 0
    assert "single_face.jpg" in proc.stdout and "happy" in proc.stdout and "engaged" in proc.stdout


def test_looks_verdict_and_hint_with_a_baseline_and_target(media):
    """Issue 3's fields: against the sitter's own first second, his smile is no longer a look."""
    clip = str(media("single_face.mp4"))
    plain = analyze("--json", "--every", "12", "--target", "approachable", clip)
    calibrated = analyze(
        "--json", "--every", "12", "--target", "intense", "--baseline", str(media("single_face.jpg")), clip
    )
    assert plain.returncode == 0 and calibrated.returncode == 0, plain.stderr + calibrated.stderr
    raw = [json.loads(line) for line in plain.stdout.splitlines()]
    based = [json.loads(line) for line in calibrated.stdout.splitlines()]
    for record in raw + based:
        assert set(record["looks"]) == {"approachable", "confident", "intense", "vulnerable", "playful"}
        assert isinstance(record["dead_gaze"], bool) and isinstance(record["hint"], str) and record["hint"]
        assert set(record["verdict"]) == {"engaged", "reasons"}
    assert raw[-1]["looks"]["approachable"] > 0.6  # smiling, no baseline
    assert based[-1]["looks"]["approachable"] < 0.6  # below the 0.6 that fires: his own smiling photo is rest
    assert raw[-1]["hint"] == "Hold that!" and based[-1]["hint"] != "Hold that!"


def test_unknown_target_look_is_one_line(media):
    proc = analyze("--target", "grumpy", str(media("single_face.jpg")))
    assert proc.returncode == 2 and "grumpy" in proc.stderr and "Traceback" not in proc.stderr


def test_gaze_engaged_is_the_looks_verdict_on_the_frame_alone(media):
    """Perception reports angles only; ``gaze_engaged`` is the looks' judgement with no hold, so it is the
    held verdict minus its settling time, and a still's equals its verdict."""
    photos = analyze("--json", str(media("0-f1-su-ph.jpg")), str(media("45-m7-di-ph.jpg")))
    video = analyze("--json", "--every", "2", str(media("single_face.mp4")))
    assert photos.returncode == 0 and video.returncode == 0, photos.stderr + video.stderr
    frontal, turned = (json.loads(line) for line in photos.stdout.splitlines())
    assert frontal["gaze_engaged"] and frontal["verdict"]["engaged"]
    assert not turned["gaze_engaged"] and not turned["verdict"]["engaged"]
    assert any(r.startswith("looking away") for r in turned["verdict"]["reasons"])
    records = [json.loads(line) for line in video.stdout.splitlines()]
    for record in records:
        assert record["gaze_engaged"] == (not set(record["verdict"]["reasons"]) - {"settling"}), record[
            "frame"
        ]
    assert any(r["gaze_engaged"] and r["verdict"]["reasons"] == ["settling"] for r in records)
    assert list(records[0]).index("gaze_engaged") == list(records[0]).index("gaze") + 1


def test_a_baseline_from_named_frames_calibrates_the_sitters_lens(media):
    """WolfgangLanger looks into the lens at frames 398-409 (labelled by eye): calibrated there, her look
    into the lens at 412 reads engaged, and her look up and to her left at 240 does not."""
    clip = str(media("WolfgangLanger_Pexels.mp4"))
    proc = analyze("--json", "--every", "4", "--baseline", f"{clip}@398-409", clip)
    assert proc.returncode == 0, proc.stderr
    assert "lens calibration from 12 frames" in proc.stderr
    records = {r["frame"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert records[412]["gaze_engaged"] and not records[240]["gaze_engaged"]
    assert records[240]["eye_state"] == "open" and set(records[240]["gaze_votes"]) == {
        "geometric",
        "blendshape",
    }


def test_a_baseline_with_eyes_shut_falls_back_and_says_why(media):
    clip = str(media("WolfgangLanger_Pexels.mp4"))
    proc = analyze("--baseline", f"{clip}@40-60", str(media("grace_hopper.jpg")))
    assert proc.returncode == 0, proc.stderr
    assert "lens calibration not used (eyes closed): the population gaze model applies" in proc.stderr


def test_a_badly_named_baseline_span_is_one_line(media):
    proc = analyze("--baseline", "clip.mp4@9-3", str(media("grace_hopper.jpg")))
    assert proc.returncode == 2
    assert "FILE@FROM-TO" in proc.stderr and "Traceback" not in proc.stderr

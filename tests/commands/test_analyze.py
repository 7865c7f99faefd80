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


def test_no_face_exits_3_with_one_line_on_stderr(media):
    photo, clip = media("free-mountain-vector-01.jpg"), media("no_face.mp4")
    proc = analyze(str(photo), str(clip))
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"booth analyze: {path}: no face found; use a photo or clip with a face clearly in view, "
        "facing the camera"
        for path in (photo, clip)
    ]


def test_one_faceless_file_among_others_still_exits_3_and_unreadable_wins(tmp_path, media):
    mixed = analyze("--json", str(media("grace_hopper.jpg")), str(media("free-mountain-vector-01.jpg")))
    assert mixed.returncode == 3 and len(mixed.stdout.splitlines()) == 1
    both = analyze(str(tmp_path / "gone.png"), str(media("free-mountain-vector-01.jpg")))
    assert both.returncode == 1
    assert len(both.stderr.splitlines()) == 2 and "Traceback" not in both.stderr


def test_help_documents_the_exit_codes():
    proc = analyze("--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "1 a file could not be read" in text and "3 a file had no face in it" in text


@pytest.mark.parametrize("size", [(1, 1), (12000, 12000)])
def test_degenerate_sizes(tmp_path, size):
    from PIL import Image

    path = tmp_path / "odd.jpg"
    Image.new("RGB", size, (200, 180, 160)).save(path, quality=30)
    proc = analyze("--json", str(path))
    assert proc.returncode == 3 and proc.stdout == ""
    assert "no face found" in proc.stderr and "Traceback" not in proc.stderr


def face_blocks(stdout: str) -> list[list[str]]:
    """The text output cut into one block per face: its row, then its indented lines."""
    blocks: list[list[str]] = []
    for line in stdout.splitlines():
        if line.startswith("    "):
            blocks[-1].append(line.strip())
        else:
            blocks.append([line])
    return blocks


def test_table_output(media):
    proc = analyze(str(media("single_face.jpg")))
    assert proc.returncode == 0
    assert "single_face.jpg" in proc.stdout and "happy" in proc.stdout and "engaged" in proc.stdout


def test_table_shows_every_look_the_target_against_its_threshold_the_verdict_and_hint(media):
    """The smiling sitter over approachable's 0.60 with "Hold that!"; the same face with --target intense
    under it with the intense coaching; a face turned away with the gaze reason and its hint."""
    smiling, turned = str(media("single_face.jpg")), str(media("45-m7-di-ph.jpg"))
    plain = analyze(smiling, turned)
    intense = analyze("--target", "intense", smiling)
    assert plain.returncode == 0 and intense.returncode == 0, plain.stderr + intense.stderr
    (row, looks_line, verdict, hint), away = face_blocks(plain.stdout)
    assert row.startswith("single_face.jpg")
    assert looks_line.startswith("looks ")
    for look in ("confident", "intense", "vulnerable", "playful"):
        assert f" {look} 0." in looks_line
    assert "[approachable 1.00: target, threshold 0.60, over]" in looks_line
    assert verdict == "verdict  eyes open, engaged"
    assert hint == "hint     Hold that!"
    assert away[0].startswith("45-m7-di-ph.jpg")
    assert "[approachable 0.00: target, threshold 0.60, under]" in away[1]
    assert away[2] == "verdict  eyes open, not engaged: looking away (right)"
    assert away[3] == "hint     Look into the lens"
    ((_, looks_line, _, hint),) = face_blocks(intense.stdout)
    assert "[intense 0.00: target, threshold 0.60, under]" in looks_line
    assert " approachable 1.00" in f" {looks_line}" and "[approachable" not in looks_line
    assert hint != "hint     Hold that!" and "smile" in hint


def test_table_shows_closed_eyes_as_the_verdict(media):
    proc = analyze("--every", "1000", str(media("WolfgangLanger_Pexels.mp4")))  # frame 0: eyes shut
    assert proc.returncode == 0, proc.stderr
    ((_, _, verdict, hint),) = face_blocks(proc.stdout)
    assert verdict == "verdict  not engaged: eyes closed" and hint == "hint     Open your eyes"


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

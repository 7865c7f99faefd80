"""`booth simulate`'s report, run as a real subprocess on real clips: text by default, JSON with --json.

The firing path itself (where it fires, latency, calibration) is tested in tests/test_shooting.py; here it
is what the command says: each fire with its time, look and still, and why nothing fired in a clip.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import av
import pytest

from booth.media import iter_video


def simulate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "booth", "simulate", "--fast", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def is_json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def eyes_shut_clip(media, tmp_path_factory) -> Path:
    """WolfgangLanger's first 100 frames, re-encoded: her eyes are shut throughout (the gaze labels in
    tests/data start at 397), so she is never engaged."""
    path = tmp_path_factory.mktemp("clips") / "eyes_shut.mp4"
    with av.open(str(path), "w") as out:
        stream = None
        for frame in iter_video(media("WolfgangLanger_Pexels.mp4")):
            if frame.index is not None and frame.index >= 100:
                break
            if stream is None:
                stream = out.add_stream("mpeg4", rate=30)
                stream.height, stream.width = frame.pixels.shape[:2]
                stream.pix_fmt = "yuv420p"
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame.pixels, format="rgb24")))
        assert stream is not None
        out.mux(stream.encode())
    return path


def test_the_default_is_a_text_report_of_fires_and_of_why_nothing_fired(media, tmp_path, eyes_shut_clip):
    proc = simulate(
        "--out", str(tmp_path), str(media("single_face.mp4")), str(media("no_face.mp4")), str(eyes_shut_clip)
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert not any(is_json(line) for line in lines)
    fire, no_face, shut, summary = lines
    match = re.fullmatch(
        r"single_face\.mp4 at (\d+\.\d\d) s \(frame (\d+)\): fired on approachable (\d\.\d\d); "
        r"kept (\S+) \(decided \d+ ms after the peak\)",
        fire,
    )
    assert match, fire
    seconds, frame, score, still = match.groups()
    assert int(frame) > 18 and 0.6 < float(seconds) < 2.5 and float(score) >= 0.6
    assert Path(still).parent == tmp_path and Path(still).stat().st_size > 10_000
    assert (
        no_face == "no_face.mp4: nothing fired in 95 frames: no face; most frames: no face in view (95 of 95)"
    )
    assert shut.startswith("eyes_shut.mp4: nothing fired in 100 frames: never engaged; best approachable 0.")
    assert shut.endswith("(fires at 0.60); most frames: eyes closed (100 of 100)")
    assert summary.startswith("simulate: 1 kept, 0 discarded, from 3 clip(s); decision latency p50 ")


def test_json_prints_one_line_per_fire_and_the_key_value_summary(media, tmp_path):
    proc = simulate(
        "--json", "--out", str(tmp_path), str(media("single_face.mp4")), str(media("no_face.mp4"))
    )
    assert proc.returncode == 0, proc.stderr
    *lines, summary = proc.stdout.strip().splitlines()
    (record,) = (json.loads(line) for line in lines)  # no line for the clip that did not fire
    assert record["video"] == "single_face.mp4" and record["look"] == "approachable"
    assert 0.6 < record["time_s"] < 2.5 and record["retake"] is False and Path(record["still"]).is_file()
    assert summary.startswith("simulate: fires=1 retakes=0 p50_latency_ms=")


def test_a_look_never_reached_says_the_best_score_against_the_threshold(media, tmp_path):
    """He smiles into the lens throughout: engaged, but intense never comes near its 0.60."""
    proc = simulate("--target", "intense", "--out", str(tmp_path), str(media("single_face.mp4")))
    assert proc.returncode == 0, proc.stderr
    why, summary = proc.stdout.strip().splitlines()
    match = re.fullmatch(
        r"single_face\.mp4: nothing fired in 72 frames: best intense (\d\.\d\d) < 0\.60 while engaged.*; "
        r"most frames: intense below 0\.60 \((\d+) of 72\)",
        why,
    )
    assert match, why
    assert float(match.group(1)) < 0.3 and int(match.group(2)) > 36
    assert summary == "simulate: 0 kept, 0 discarded, from 1 clip(s)"


def test_a_look_reached_but_not_held_says_so(media, tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text("[policy]\nmin_frames = 300\n")
    proc = simulate("--config", str(config), "--out", str(tmp_path), str(media("single_face.mp4")))
    assert proc.returncode == 0, proc.stderr
    why = proc.stdout.strip().splitlines()[0]
    assert why.startswith(
        "single_face.mp4: nothing fired in 72 frames: approachable reached 1.00 (fires at 0.60)"
    )
    assert "but was never held 300 frames and 120 ms" in why
    assert "most frames: approachable not held long enough yet" in why


def test_help_no_longer_calls_json_the_default():
    proc = subprocess.run(
        [sys.executable, "-m", "booth", "simulate", "--help"], capture_output=True, text=True, timeout=60
    )
    text = " ".join(proc.stdout.split())
    assert proc.returncode == 0 and "the default prints the same" not in text
    assert "default: a text report" in text


def test_a_discarded_still_says_it_was_a_retake_and_why():
    """No clip of the suite makes a fired still fail its re-check, so the line is checked on a record as
    simulate_video returns one."""
    from booth.commands.simulate import fire_line

    record = {
        "video": "clip.mp4",
        "time_s": 2.5,
        "peak_frame": 75,
        "look": "approachable",
        "score": 0.71,
        "engaged": True,
        "retake": True,
        "reason": "eyes closed in the still",
        "still": None,
        "latency_ms": 12.0,
    }
    assert fire_line(record) == (
        "clip.mp4 at 2.50 s (frame 75): fired on approachable 0.71; "
        "discarded, a retake: eyes closed in the still"
    )

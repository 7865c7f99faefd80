"""The firing path end to end on real footage: replay camera, perception, looks, policy, mock GPIO.

Mocked only at the hardware boundary: gpiozero's MockFactory stands in for the pins, and the replay camera
(real decoding of the real clip) for the Pi camera.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from booth import config, looks
from booth.camera import open_camera
from booth.hardware import Hardware
from booth.imaging import encode_jpeg
from booth.media import iter_video
from booth.shooting import Shooter


def test_neutral_to_smile_clip_fires_once_after_the_smile(models, media, tmp_path):
    settings = config.Settings()
    settings.camera.replay_realtime = True
    shooter = Shooter.from_settings(settings, looks.load(), models)
    factory = MockFactory(pin_class=MockPWMPin)
    fires, stills, last = [], [], 0
    with (
        Hardware(settings.pins, pin_factory=factory) as hw,
        open_camera(f"replay:{media('single_face.mp4')}", settings.camera) as camera,
    ):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            frame = camera.wait_frame(last, timeout=2)
            assert frame is not None, camera.state.fault
            if frame.sequence < last:
                continue
            if last and frame.sequence > 72:  # one pass of the 72-frame clip
                break
            last = frame.sequence
            result = shooter.step(
                frame.pixels, frame.timestamp, frame.sequence, "approachable", time.monotonic()
            )
            if result.decision.fire:
                fires.append(result.decision)
                hw.fire(block=True)
                still = camera.still(result.decision.peak_timestamp)
                assert still.sequence == result.decision.peak_sequence  # the peak frame itself
                assert shooter.check_still(still.pixels, "approachable").ok
                path = tmp_path / f"shot-{still.sequence}.jpg"
                path.write_bytes(encode_jpeg(still.pixels))
                stills.append(path)
        shutter = factory.pin(settings.pins.shutter)
        assert [p.line for p in hw.pulses] == ["shutter", "focus"]  # one shot: focus held around the shutter
    assert len(fires) == 1
    assert fires[0].peak_sequence > 20  # the smile begins around frame 20 (1-based sequence here)
    assert len(stills) == 1 and stills[0].stat().st_size > 10_000
    assert [state for _, state in shutter.states][-2:] == [True, False]


def run_simulate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "booth", "simulate", "--fast", "--json", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_simulate_reports_each_fire_and_never_fires_on_closed_or_away_eyes(media, tmp_path):
    proc = run_simulate(
        "--out", str(tmp_path), str(media("single_face.mp4")), str(media("WolfgangLanger_Pexels.mp4"))
    )
    assert proc.returncode == 0, proc.stderr
    *lines, summary = proc.stdout.strip().splitlines()
    records = [json.loads(line) for line in lines]
    assert set(records[0]) >= {
        "video",
        "frame",
        "peak_frame",
        "latency_ms",
        "look",
        "score",
        "engaged",
        "still",
    }
    single = [r for r in records if r["video"] == "single_face.mp4"]
    wolfgang = [r for r in records if r["video"] == "WolfgangLanger_Pexels.mp4"]
    assert len(single) == 1 and single[0]["peak_frame"] > 18
    # Only where she smiles into the lens (frames 397-423 and 433-437, labelled by eye in
    # tests/data/gaze_labels.json): never at 257, head tipped back with her eyes raised above the lens.
    labels = json.loads((Path(__file__).parent / "data" / "gaze_labels.json").read_text())["clips"]
    assert wolfgang, "she does smile into the lens"
    for record in wolfgang:
        label = labels["WolfgangLanger_Pexels.mp4"][str(record["peak_frame"])]
        assert label["gaze"] == "lens" and label["smile"], record
    assert all(r["engaged"] for r in records)
    # The decision comes within one frame interval plus 20 ms of the peak at 30 fps.
    assert all(r["latency_ms"] <= 1000 / 30 + 20 for r in records)
    assert summary.startswith(f"simulate: fires={len(records)} retakes=0 p50_latency_ms=")
    assert len(list(tmp_path.glob("*.jpg"))) == len(records)


def test_simulate_calibrates_the_sitter_from_named_frames(media, tmp_path):
    """--calibrate takes the sitter's lens from frames of her looking into it: the fires stay on frames
    labelled "lens", and a calibration with her eyes shut is refused with the reason on stderr."""
    clip = str(media("WolfgangLanger_Pexels.mp4"))
    proc = run_simulate("--out", str(tmp_path), "--calibrate", f"{clip}@398-409", clip)
    assert proc.returncode == 0, proc.stderr
    assert "lens calibration from 12 frames" in proc.stderr
    labels = json.loads((Path(__file__).parent / "data" / "gaze_labels.json").read_text())["clips"]
    records = [json.loads(line) for line in proc.stdout.strip().splitlines()[:-1]]
    assert records and all(labels[Path(clip).name][str(r["peak_frame"])]["gaze"] == "lens" for r in records)
    refused = run_simulate("--out", str(tmp_path), "--calibrate", f"{clip}@40-60", clip)
    assert refused.returncode == 0 and "not used (eyes closed)" in refused.stderr


def test_simulate_rejects_an_unknown_look(media):
    proc = run_simulate("--target", "grumpy", str(media("single_face.mp4")))
    assert proc.returncode == 2 and "grumpy" in proc.stderr


def test_a_book_that_reads_no_emotion_runs_the_model_only_where_the_smile_call_reads_it(models, media):
    """No look reads an emotion, so the model is skipped on a closed mouth (frames 0-15 of the clip) and
    run on the broad smile (from frame 21: the smile call's crying check reads sad and happy there, and
    the baseline's rest check and the status's ``smiling`` rest on that call)."""
    book = looks.load()
    plain = looks.recipes.Recipe(
        "calm", "Calm", "Imagine calm.", (looks.recipes.Term("squint", 1.0, 0.0, 0.3),)
    )
    quiet = dataclasses.replace(
        book, looks={"calm": plain}, dead_gaze=dataclasses.replace(book.dead_gaze, recipe=plain)
    )
    frames = [f.pixels for f in iter_video(media("single_face.mp4"))][:30]
    shooter = Shooter.from_settings(config.Settings(), quiet, models)
    readings = [shooter.step(px, i / 30, i, "calm", i / 30).faces[0][0] for i, px in enumerate(frames)]
    assert all(r.emotions == {} for r in readings[:15])
    assert all(r.emotions for r in readings[21:])
    assert all(bool(r.emotions) == looks.smile.reads_emotions(r.blendshapes) for r in readings)
    shooter.set_book(book)  # the operator's looks file now reads emotions again
    assert shooter.step(frames[0], 1.0, 99, "approachable", 1.0).faces[0][0].emotions


def test_the_next_frame_is_read_precisely_only_near_the_threshold_while_shooting(media):
    """With light tracking: near the target's threshold the shooter asks for FaceMesh v2 next frame."""
    settings = config.Settings.model_validate({"vision": {"tracking": "light", "full_every": 60}})
    shooter = Shooter.from_settings(settings, looks.load())
    meshes: dict[bool, list[tuple[str, bool]]] = {True: [], False: []}
    for may_fire in (False, True):
        shooter.reset()
        last_near = False
        for i, frame in enumerate(iter_video(media("single_face.mp4"))):
            result = shooter.step(frame.pixels, i / 30, i, "approachable", i / 30, may_fire=may_fire)
            if 1 < i < 60:  # frame 60 is the periodic full one (full_every)
                meshes[may_fire].append((result.faces[0][0].mesh, last_near))
            d = result.decision
            last_near = d.score >= d.threshold - settings.vision.full_near
    assert all(mesh == "light" for mesh, _ in meshes[False])  # the live view only: never precise
    near = [mesh for mesh, was_near in meshes[True] if was_near]
    assert near and all(mesh == "full" for mesh in near)
    assert any(mesh == "light" for mesh, was_near in meshes[True] if not was_near)

"""``booth simulate``: the whole firing path on recorded footage, for tuning thresholds on your own clips.

Frames are replayed from the file (in real time, or as fast as possible with ``--fast``) through perception,
looks and the trigger policy; fires drive gpiozero's mock pins (the page of a real booth shows the same
pulses) and save the peak frame from a ring of recent frames, re-checked as the booth re-checks its stills.
One JSON line per fire, then a summary line.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from booth import config, looks, settings_check
from booth.commands.baseline import capture_baseline, span_argument
from booth.hardware import Hardware, mock_pin_factory
from booth.imaging import encode_jpeg
from booth.media import iter_video
from booth.shooting import Shooter
from booth.vision import FacePipeline

RING_FRAMES = 45


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("simulate", help="replay footage through the trigger path (mock pins)")
    parser.add_argument("videos", nargs="+", type=Path, metavar="VIDEO")
    parser.add_argument("--target", default="approachable", help="the look to fire on")
    parser.add_argument("--fast", action="store_true", help="as fast as possible instead of real time")
    parser.add_argument("--json", action="store_true", help="JSON lines (the default prints the same)")
    parser.add_argument("--config", type=Path, help="booth config file (policy thresholds, pins)")
    parser.add_argument("--looks", type=Path, help="operator's looks file")
    parser.add_argument("--out", type=Path, help="folder for the saved stills (default: a temporary one)")
    parser.add_argument(
        "--calibrate",
        type=span_argument,
        metavar="MEDIA[@FROM-TO]",
        help="lens calibration (the baseline step's gaze part) from a still, or a video's frames FROM-TO "
        "of the sitter looking at the lens",
    )
    parser.set_defaults(func=run)


def simulate_video(
    path: Path, shooter: Shooter, hardware: Hardware, out: Path, realtime: bool, target: str
) -> list[dict[str, Any]]:
    """Run one clip firing on ``target``; return one record per fire (saved or retaken)."""
    fires = []
    ring: deque[tuple[int, float, np.ndarray]] = deque(maxlen=RING_FRAMES)
    shooter.reset()
    start = time.monotonic()
    for position, frame in enumerate(iter_video(path)):
        sequence = frame.index if frame.index is not None else position
        # The clip's own clock is the capture time, so --fast decides exactly as real time would; the
        # decision time adds the real processing time of this frame.
        captured = start + frame.timestamp
        if realtime and captured > time.monotonic():
            time.sleep(captured - time.monotonic())
        ring.append((sequence, captured, frame.pixels))
        began = time.perf_counter()
        result = shooter.step(frame.pixels, captured, sequence, target, captured)
        result = dataclasses.replace(
            result,
            decision=dataclasses.replace(result.decision, decided_at=captured + time.perf_counter() - began),
        )
        decision = result.decision
        if not decision.fire or decision.peak_timestamp is None:
            continue
        fired_at = time.monotonic()
        release = hardware.fire(max(1, len(decision.burst)))
        peak = next((r for r in ring if r[0] == decision.peak_sequence), ring[-1])
        check = shooter.check_still(peak[2], decision.look)
        still = None
        if check.ok:
            still = out / f"{path.stem}-{peak[0]:05d}-{decision.look}.jpg"
            still.write_bytes(encode_jpeg(peak[2]))
        release.wait()
        shutter_at = release.first_pulse_at
        fires.append(
            {
                "video": path.name,
                "frame": decision.sequence,
                "peak_frame": decision.peak_sequence,
                "latency_ms": round((decision.decided_at - decision.peak_timestamp) * 1000, 2),
                # capture -> shutter line active: the decision latency plus the GPIO sequence (focus lead)
                "shutter_ms": round(
                    (decision.decided_at - decision.timestamp + shutter_at - fired_at) * 1000, 2
                )
                if shutter_at
                else None,
                "look": decision.look,
                "score": round(decision.peak_score or decision.score, 3),
                "engaged": bool(decision.subject and decision.subject.engaged),
                "still": str(still) if still else None,
                "retake": not check.ok,
                "reason": check.reason,
            }
        )
    return fires


def run(args: argparse.Namespace) -> int:
    settings = config.load(args.config)
    book = looks.load(args.looks)
    settings_check.check(settings, book, str(args.config or "the defaults"))
    if args.target not in book.looks:
        print(
            f"booth simulate: no look named {args.target!r}; choose one of {', '.join(book.looks)}",
            file=sys.stderr,
        )
        return 2
    out = args.out or Path(tempfile.mkdtemp(prefix="booth-simulate-"))
    out.mkdir(parents=True, exist_ok=True)
    shooter = Shooter.from_settings(settings, book)
    if args.calibrate is not None:
        baseline = capture_baseline(
            FacePipeline(models=shooter.models, params=shooter.vision), args.calibrate
        )
        print(f"booth simulate: {baseline.calibration.describe()}", file=sys.stderr)
        # The gaze part only: the named frames show where the lens is, not necessarily a resting face (a
        # smile taken as rest would hide every smile after it). `booth analyze --baseline` takes both.
        shooter.set_baseline(looks.Baseline({}, baseline.calibration))
    records: list[dict[str, Any]] = []
    # Mock pins on purpose: simulate never drives a real camera remote.
    with Hardware(settings.pins, pin_factory=mock_pin_factory()) as hardware:
        for video in args.videos:
            for record in simulate_video(video, shooter, hardware, out, not args.fast, args.target):
                records.append(record)
                print(json.dumps(record), flush=True)
    saved = [r for r in records if not r["retake"]]
    latencies = [r["latency_ms"] for r in saved] or [float("nan")]
    print(
        f"simulate: fires={len(saved)} retakes={len(records) - len(saved)} "
        f"p50_latency_ms={np.percentile(latencies, 50):.1f} p95_latency_ms={np.percentile(latencies, 95):.1f}"
    )
    return 0

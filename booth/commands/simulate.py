"""``booth simulate``: the whole firing path on recorded footage, for tuning thresholds on your own clips.

Frames are replayed from the file (in real time, or as fast as possible with ``--fast``) through perception,
looks and the trigger policy; fires drive gpiozero's mock pins (the page of a real booth shows the same
pulses) and save the peak frame from a ring of recent frames, re-checked as the booth re-checks its stills.

The report is text by default: each fire with its time in the clip, its look and score, and whether the
still was kept or discarded (a retake, with the reason); a clip where nothing fired says why, from the
policy's own reasons (:class:`booth.policy.Decision`): no face, never engaged, or the best score against
the threshold, with the reason that blocked the most frames. ``--json`` prints one JSON line per fire and a
``simulate: fires=...`` summary line instead, for scripts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from booth import config, looks, settings_check
from booth.commands.baseline import capture_baseline, span_argument
from booth.hardware import Hardware, mock_pin_factory
from booth.imaging import encode_jpeg
from booth.media import iter_video
from booth.policy import Decision, PolicyParams, TriggerState
from booth.shooting import Shooter, StillCheck
from booth.vision import FacePipeline

RING_FRAMES = 45


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("simulate", help="replay footage through the trigger path (mock pins)")
    parser.add_argument("videos", nargs="+", type=Path, metavar="VIDEO")
    parser.add_argument("--target", default="approachable", help="the look to fire on")
    parser.add_argument("--fast", action="store_true", help="as fast as possible instead of real time")
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON line per fire and a summary line (default: a text report, saying why when "
        "nothing fired)",
    )
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


#: The states in which every gate before the look (face, size, cooldown, eyes, gaze) was open.
GATES_OPEN = (TriggerState.NOT_THE_LOOK, TriggerState.ALMOST, TriggerState.FIRING)


def blocking_reason(decision: Decision) -> str:
    """What kept one frame from firing, in words that add up over a clip (no per-frame numbers)."""
    state, look = decision.state, decision.look
    if state is TriggerState.NO_FACE:
        return "no face in view" if decision.subject is None else "face too small"
    if state is TriggerState.MULTIPLE_FACES:
        return "several faces of similar size"
    if state is TriggerState.COOLDOWN:
        return "cooldown after a shot"
    if state is TriggerState.DEAD_GAZE:
        return "blank stare"
    if state is TriggerState.NOT_ENGAGED:
        return decision.reason.split("; ")[0] or "not engaged"
    if decision.reason.startswith("hold the"):
        return f"{look} not held long enough yet"
    return f"{look} below {decision.threshold:.2f}"


@dataclass
class ClipTally:
    """Every decision of one clip, summed up to say why nothing fired (:meth:`why`)."""

    video: str
    look: str
    threshold: float
    frames: int = 0
    best: float = 0.0  # the target score on any frame with a subject
    best_open: float | None = None  # ... on a frame whose gates were all open
    kinds: Counter[str] = field(default_factory=Counter)  # frames with a "face", a "clear" subject, "big"
    blocks: Counter[str] = field(default_factory=Counter)

    def add(self, decision: Decision) -> None:
        self.frames += 1
        if decision.fire:
            return
        self.blocks[blocking_reason(decision)] += 1
        if decision.subject is not None or decision.state is TriggerState.MULTIPLE_FACES:
            self.kinds["face"] += 1
        if decision.subject is not None:
            self.kinds["clear"] += 1
            self.best = max(self.best, decision.score)
            if decision.state is not TriggerState.NO_FACE:
                self.kinds["big"] += 1
        if decision.state in GATES_OPEN:
            self.best_open = max(self.best_open or 0.0, decision.score)

    def why(self, params: PolicyParams) -> str:
        """The first thing that never happened in the clip, in the policy's order of rules, and the best
        score reached."""
        look, threshold = self.look, self.threshold
        if not self.frames:
            return "the clip has no frames"
        if not self.kinds["face"]:
            return "no face"
        best = f"best {look} {self.best:.2f} (fires at {threshold:.2f})"
        if not self.kinds["clear"]:
            return "never one clear face (several of similar size)"
        if not self.kinds["big"]:
            return f"face always too small (step closer); {best}"
        if self.best_open is None:
            return f"never engaged; {best}"
        if self.best_open < threshold:
            line = f"best {look} {self.best_open:.2f} < {threshold:.2f} while engaged"
            return line + (f" ({self.best:.2f} while not)" if self.best - self.best_open >= 0.005 else "")
        return (
            f"{look} reached {self.best_open:.2f} (fires at {threshold:.2f}) but was never held "
            f"{params.min_frames} frames and {params.min_ms:g} ms"
        )

    def report(self, params: PolicyParams) -> str:
        """One line: nothing fired, why, and the reason that blocked the most frames."""
        line = f"{self.video}: nothing fired in {self.frames} frames: {self.why(params)}"
        if self.blocks:
            reason, count = self.blocks.most_common(1)[0]
            line += f"; most frames: {reason} ({count} of {self.frames})"
        return line


def simulate_video(
    path: Path,
    shooter: Shooter,
    hardware: Hardware,
    out: Path,
    realtime: bool,
    target: str,
    tally: ClipTally | None = None,
) -> list[dict[str, Any]]:
    """Run one clip firing on ``target``; return one record per fire (saved or retaken). Every decision
    goes to ``tally`` when given."""
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
        decision = dataclasses.replace(result.decision, decided_at=captured + time.perf_counter() - began)
        if tally is not None:
            tally.add(decision)
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
        shutter_ms = (
            (decision.decided_at - decision.timestamp + release.first_pulse_at - fired_at) * 1000
            if release.first_pulse_at
            else None
        )
        fires.append(_fire_record(path, decision, peak[1] - start, shutter_ms, still, check))
    return fires


def _fire_record(
    path: Path,
    decision: Decision,
    clip_time: float,
    shutter_ms: float | None,
    still: Path | None,
    check: StillCheck,
) -> dict[str, Any]:
    """One fire as ``--json`` prints it (and the text report reads it)."""
    assert decision.peak_timestamp is not None  # a fire names its peak
    return {
        "video": path.name,
        "frame": decision.sequence,
        "peak_frame": decision.peak_sequence,
        "time_s": round(clip_time, 3),  # the peak frame's time in the clip
        "latency_ms": round((decision.decided_at - decision.peak_timestamp) * 1000, 2),
        # capture -> shutter line active: the decision latency plus the GPIO sequence (focus lead)
        "shutter_ms": round(shutter_ms, 2) if shutter_ms is not None else None,
        "look": decision.look,
        "score": round(decision.peak_score or decision.score, 3),
        "engaged": bool(decision.subject and decision.subject.engaged),
        "still": str(still) if still else None,
        "retake": not check.ok,
        "reason": check.reason,
    }


def fire_line(record: dict[str, Any]) -> str:
    """A fire in the text report: when, on what, and whether the still was kept."""
    what = f"{record['video']} at {record['time_s']:.2f} s (frame {record['peak_frame']}): "
    what += f"fired on {record['look']} {record['score']:.2f}"
    if not record["engaged"]:
        what += " (not engaged)"
    if record["retake"]:
        return f"{what}; discarded, a retake: {record['reason']}"
    return f"{what}; kept {record['still']} (decided {record['latency_ms']:.0f} ms after the peak)"


def summary_line(records: list[dict[str, Any]], clips: int, as_json: bool) -> str:
    """The last line: ``--json``'s fixed ``key=value`` form, or the text report's sentence."""
    saved = [r for r in records if not r["retake"]]
    latencies = [r["latency_ms"] for r in saved] or [float("nan")]
    p50, p95 = np.percentile(latencies, 50), np.percentile(latencies, 95)
    if as_json:
        return (
            f"simulate: fires={len(saved)} retakes={len(records) - len(saved)} "
            f"p50_latency_ms={p50:.1f} p95_latency_ms={p95:.1f}"
        )
    line = f"simulate: {len(saved)} kept, {len(records) - len(saved)} discarded, from {clips} clip(s)"
    return line + (f"; decision latency p50 {p50:.1f} ms, p95 {p95:.1f} ms" if saved else "")


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
    threshold = shooter.params.thresholds.for_look(args.target)
    # Mock pins on purpose: simulate never drives a real camera remote.
    with Hardware(settings.pins, pin_factory=mock_pin_factory()) as hardware:
        for video in args.videos:
            tally = ClipTally(video.name, args.target, threshold)
            fires = simulate_video(video, shooter, hardware, out, not args.fast, args.target, tally)
            for record in fires:
                print(json.dumps(record) if args.json else fire_line(record), flush=True)
            if not fires and not args.json:
                print(tally.report(shooter.params), flush=True)
            records += fires
    print(summary_line(records, len(args.videos), args.json))
    return 0

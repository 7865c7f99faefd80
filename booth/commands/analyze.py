"""``booth analyze``: read photos and videos, print what the booth sees in each face.

One JSON object per face per frame with ``--json``; otherwise a short block per face: the reading (top
emotion, head pose, eyes, gaze), every look's score with the ``--target`` look marked against its threshold,
the eye and gaze verdict, and the coaching hint toward the target. An unreadable file, or one with no face in
it, is one line on stderr; the other files are still analysed, and the exit code says what went wrong
(:data:`EXIT_CODES`, also in ``--help``).

Thresholds and the minimum face size are the booth's defaults (no config file is read). Each face is
scored twice by the looks: once as the booth reads a sitter (video frames smoothed and held), and once on
its own with no hold, as the booth re-checks a still; the second gives ``gaze_engaged``, "engaged in this
frame", which the held verdict cannot say during its settling time.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from booth import looks
from booth.commands.baseline import capture_baseline, span_argument
from booth.config import PolicySettings, VisionSettings
from booth.errors import BoothError, MediaError
from booth.looks.engine import ENGAGED_HOLD_SECONDS
from booth.media import iter_frames
from booth.vision import FacePipeline, FaceReading, Models, VisionParams

#: 0 every file read and a face found in each; 1 a file could not be read (wins over 3); 2 a usage or
#: settings error (``booth.cli``'s code for every refusal); 3 a file read but with no face in it.
EXIT_UNREADABLE = 1
EXIT_NO_FACE = 3
EXIT_CODES = (
    "exit codes: 0 a face found in every file; 1 a file could not be read; 2 bad arguments (an unknown "
    "--target, say); 3 a file had no face in it (1 wins when both happen)"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze", help="analyse photos and videos (faces, expressions, gaze)", epilog=EXIT_CODES
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="jpg, png, ppm, mp4, mov ...")
    parser.add_argument("--json", action="store_true", help="one JSON object per face per frame")
    parser.add_argument("--every", type=int, default=1, metavar="N", help="analyse every N-th video frame")
    parser.add_argument("--max-faces", type=int, default=8, help="faces per frame (default 8)")
    parser.add_argument(
        "--target",
        default="approachable",
        help="look marked against its threshold, and the one the hint coaches toward (default approachable)",
    )
    parser.add_argument("--looks", type=Path, help="operator's looks file (adds to or replaces the defaults)")
    parser.add_argument(
        "--baseline",
        type=span_argument,
        metavar="PATH[@FROM-TO]",
        help="the sitter at rest, looking at the lens: a still, a video's frames FROM-TO, "
        "or its first second",
    )
    parser.set_defaults(func=run)


def _table_row(name: str, frame: int | None, reading: FaceReading, engaged: bool) -> str:
    emotions = reading.emotions
    top = max(emotions, key=lambda e: emotions[e]) if emotions else "-"
    pose = reading.head_pose
    return (
        f"{name[:28]:28} {'' if frame is None else frame:>5} "
        f"{top:>8} {emotions.get(top, 0):4.2f} "
        f"yaw {pose.yaw:6.1f} pitch {pose.pitch:6.1f} roll {pose.roll:6.1f} "
        f"eyes {'open' if reading.eyes_open else 'shut'} "
        f"gaze {reading.gaze[0]:6.1f},{reading.gaze[1]:6.1f} {'engaged' if engaged else '-'}"
    )


def _looks_lines(
    reading: FaceReading, result: looks.LookResult, engaged: bool, target: str, threshold: float
) -> list[str]:
    """The rest of a face's block, indented under its row: the looks (the target marked against its
    threshold), the eye and gaze verdict, and the hint toward the target."""
    parts = []
    for name, score in result.scores.items():
        if name == target:
            over = "over" if score >= threshold else "under"
            parts.append(f"[{name} {score:.2f}: target, threshold {threshold:.2f}, {over}]")
        else:
            parts.append(f"{name} {score:.2f}")
    reasons = list(result.verdict.reasons)
    verdict = "engaged" if not reasons else "not engaged: " + "; ".join(reasons)
    if engaged and reasons == ["settling"]:
        verdict += " (engaged in this frame alone)"
    if result.dead_gaze:  # the trigger refuses it whatever the gaze
        verdict += "; a blank stare (dead gaze)"
    return [
        f"    looks    {'  '.join(parts)}",
        # Eyes that are not open are the verdict's first reason already.
        f"    verdict  {'eyes open, ' if reading.eyes_open else ''}{verdict}",
        f"    hint     {result.hint or '-'}",
    ]


def _record(
    name: str, frame: int | None, reading: FaceReading, result: looks.LookResult, engaged: bool
) -> dict:
    """One ``--json`` line: the reading's fields with ``gaze_engaged`` beside the gaze, then the looks."""
    record: dict = {"image": name, "frame": frame}
    for key, value in reading.to_json().items():
        record[key] = value
        if key == "gaze":
            record["gaze_engaged"] = engaged
    record.update(result.to_json())
    return record


class _Scorers:
    """The two looks scorers of one file: held as the booth reads a sitter, and frame by frame."""

    def __init__(self, book: looks.LookBook, baseline: looks.Baseline | None, video: bool) -> None:
        policy = PolicySettings.model_validate({})  # the booth's defaults
        self.thresholds = thresholds = looks.Thresholds.from_settings(policy)
        hold = ENGAGED_HOLD_SECONDS if video else 0.0
        self.held = looks.LookScorer(book, thresholds, policy.min_face_size, baseline, hold_seconds=hold)
        # A still is read alone already: its one scorer has no hold.
        self.alone = (
            looks.LookScorer(book, thresholds, policy.min_face_size, baseline, hold_seconds=0.0)
            if video
            else self.held
        )

    def score(self, reading: FaceReading, now: float, target: str) -> tuple[looks.LookResult, bool]:
        """The held result, and whether the face is engaged in this frame alone."""
        result = self.held.score(reading, now, target)
        if self.alone is self.held:
            return result, result.verdict.engaged
        return result, self.alone.score(reading, now, target).verdict.engaged


def run(args: argparse.Namespace) -> int:
    if args.every < 1:
        print("booth analyze: --every must be 1 or more", file=sys.stderr)
        return 2
    if not 1 <= args.max_faces <= 8:
        print("booth analyze: --max-faces must be 1 to 8", file=sys.stderr)
        return 2
    params = VisionParams.from_settings(VisionSettings.model_validate({"max_faces": args.max_faces}))
    pipeline = FacePipeline(models=Models.load(params), params=params)
    book = looks.load(args.looks)
    if args.target not in book.looks:
        raise BoothError(f"no look named {args.target!r}; choose one of {', '.join(book.looks)}")
    baseline = capture_baseline(pipeline, args.baseline) if args.baseline else None
    if baseline is not None:
        print(f"booth analyze: {baseline.calibration.describe()}", file=sys.stderr)
    unreadable = faceless = False
    for path in args.paths:
        try:
            found = _analyze_file(pipeline, path, book, baseline, args)
        except MediaError as err:
            print(f"booth analyze: {err}", file=sys.stderr)
            unreadable = True
            continue
        if not found:
            print(
                f"booth analyze: {path}: no face found; use a photo or clip with a face clearly in view, "
                "facing the camera",
                file=sys.stderr,
            )
            faceless = True
    sys.stdout.flush()
    return EXIT_UNREADABLE if unreadable else EXIT_NO_FACE if faceless else 0


def _analyze_file(
    pipeline: FacePipeline,
    path: Path,
    book: looks.LookBook,
    baseline: looks.Baseline | None,
    args: argparse.Namespace,
) -> bool:
    """Print every face of one file; return whether there was one."""
    pipeline.reset()
    faces = 0
    scorers: _Scorers | None = None
    for frame in iter_frames(path, every=args.every):
        video = frame.index is not None
        if scorers is None or not video or frame.index == 0:
            scorers = _Scorers(book, baseline, video)
        for reading in pipeline.analyze(frame.pixels, track=video):
            faces += 1
            result, engaged = scorers.score(reading, frame.timestamp, args.target)
            if args.json:
                print(json.dumps(_record(path.name, frame.index, reading, result, engaged)), flush=False)
            else:
                print(_table_row(path.name, frame.index, reading, engaged))
                threshold = scorers.thresholds.for_look(args.target)
                print("\n".join(_looks_lines(reading, result, engaged, args.target, threshold)))
    return faces > 0

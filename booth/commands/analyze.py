"""``booth analyze``: read photos and videos, print what the booth sees in each face.

One JSON object per face per frame with ``--json``; a short table otherwise. An unreadable file is one line
on stderr and exit code 1 at the end; the other files are still analysed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from booth import looks
from booth.config import VisionSettings
from booth.errors import BoothError, MediaError
from booth.media import iter_frames
from booth.vision import FacePipeline, FaceReading


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("analyze", help="analyse photos and videos (faces, expressions, gaze)")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="jpg, png, ppm, mp4, mov ...")
    parser.add_argument("--json", action="store_true", help="one JSON object per face per frame")
    parser.add_argument("--every", type=int, default=1, metavar="N", help="analyse every N-th video frame")
    parser.add_argument("--max-faces", type=int, default=8, help="faces per frame (default 8)")
    parser.add_argument("--target", default="approachable", help="look the hint coaches toward")
    parser.add_argument("--looks", type=Path, help="operator's looks file (adds to or replaces the defaults)")
    parser.add_argument(
        "--baseline", type=Path, metavar="PATH", help="the sitter at rest: a still, or a video's first second"
    )
    parser.set_defaults(func=run)


def capture_baseline(pipeline: FacePipeline, path: Path) -> looks.Baseline:
    """Baseline from a still, or from the first second of a video (largest face per frame)."""
    readings = []
    for frame in iter_frames(path):
        if frame.index is not None and frame.timestamp > 1.0:
            break
        faces = pipeline.analyze(frame.pixels, track=frame.index is not None)
        if faces:
            readings.append(max(faces, key=lambda f: f.area))
    pipeline.reset()
    if not readings:
        raise MediaError(f"{path}: no face in the baseline; use a photo or clip of the sitter at rest")
    return looks.Baseline.capture(readings)


def _table_row(name: str, frame: int | None, reading: FaceReading) -> str:
    top = max(reading.emotions, key=reading.emotions.get) if reading.emotions else "-"
    pose = reading.head_pose
    return (
        f"{name[:28]:28} {'' if frame is None else frame:>5} "
        f"{top:>8} {reading.emotions.get(top, 0):4.2f} "
        f"yaw {pose.yaw:6.1f} pitch {pose.pitch:6.1f} roll {pose.roll:6.1f} "
        f"eyes {'open' if reading.eyes_open else 'shut'} "
        f"gaze {reading.gaze[0]:6.1f},{reading.gaze[1]:6.1f} {'engaged' if reading.gaze_engaged else '-'}"
    )


def run(args: argparse.Namespace) -> int:
    if args.every < 1:
        print("booth analyze: --every must be 1 or more", file=sys.stderr)
        return 2
    if not 1 <= args.max_faces <= 8:
        print("booth analyze: --max-faces must be 1 to 8", file=sys.stderr)
        return 2
    pipeline = FacePipeline(settings=VisionSettings(max_faces=args.max_faces))
    book = looks.load(args.looks)
    if args.target not in book.looks:
        raise BoothError(f"no look named {args.target!r}; choose one of {', '.join(book.looks)}")
    baseline = capture_baseline(pipeline, args.baseline) if args.baseline else None
    failed = False
    for path in args.paths:
        pipeline.reset()
        faces = 0
        try:
            for frame in iter_frames(path, every=args.every):
                video = frame.index is not None
                if not video or frame.index == 0:
                    scorer = looks.LookScorer(book, baseline, args.target, hold_seconds=0.2 if video else 0.0)
                for reading in pipeline.analyze(frame.pixels, track=video):
                    faces += 1
                    result = scorer.score(reading, frame.timestamp)
                    if args.json:
                        record = {"image": path.name, "frame": frame.index, **reading.to_json()}
                        record.update(result.to_json())
                        print(json.dumps(record), flush=False)
                    else:
                        print(_table_row(path.name, frame.index, reading))
        except MediaError as err:
            print(f"booth analyze: {err}", file=sys.stderr)
            failed = True
            continue
        if not faces:
            print(f"booth analyze: {path}: no face found", file=sys.stderr)
    sys.stdout.flush()
    return 1 if failed else 0

"""``booth eval LABELS.json``: accuracy, precision and recall of the booth's calls against hand labels."""

from __future__ import annotations

import argparse
from pathlib import Path

from booth import assets
from booth.errors import MediaError
from booth.evaluate import evaluate, load_labels
from booth.media import MediaSpan


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="score the booth's calls against hand labels")
    parser.add_argument(
        "labels",
        type=Path,
        nargs="+",
        help="labels files, e.g. tests/data/labels.json tests/data/gaze_labels.json",
    )
    parser.add_argument(
        "--calibrate",
        action="append",
        default=[],
        metavar="VIDEO@FROM-TO",
        help="calibrate that clip's sitter from these frames (left out of the counts); repeatable",
    )
    against = parser.add_mutually_exclusive_group()
    against.add_argument(
        "--mesh",
        action="store_true",
        help="instead, hold the light tracking mesh against FaceMesh v2 on the labelled clips: landmark and "
        "blendshape differences, changed calls and trigger peaks (booth.evaluate_mesh)",
    )
    against.add_argument(
        "--fp16",
        action="store_true",
        help='instead, hold FaceMesh v2 in half precision (vision.precision = "fp16") against fp32 the '
        "same way; it differs only on a CPU with fp16 arithmetic, such as a Pi 5's",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    spans = [MediaSpan.parse(text) for text in args.calibrate]
    for span in spans:
        if span.first is None:
            # Without a range the whole clip would calibrate and then be left out of every count.
            raise MediaError(f"--calibrate {span}: name the frames, as VIDEO@FROM-TO")
    if args.mesh or args.fp16:
        from booth.evaluate_mesh import FP16, LIGHT, mesh_report

        mesh = mesh_report(args.labels, [_resolved(s) for s in spans], FP16 if args.fp16 else LIGHT)
        print("\n".join(mesh.lines()))
        return 0 if mesh.passed() else 1
    models = None
    for path in args.labels:
        items = load_labels(path)
        labelled = {item["media"] for item in items}
        for span in spans:
            if span.path.name not in labelled:
                print(f"booth eval: {path}: no labels for {span.path.name}; --calibrate {span} unused")
        report = evaluate(items, models, calibrate=[_resolved(s) for s in spans])
        print(f"== {path}")
        for line in report.lines():
            print(line)
    return 0


def _resolved(span: MediaSpan) -> MediaSpan:
    """A span naming a test medium by its bare name (as the labels do) is that medium."""
    return span if span.path.exists() else MediaSpan(assets.media_path(span.path.name), span.first, span.last)

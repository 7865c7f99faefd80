"""``booth eval LABELS.json``: accuracy, precision and recall of the booth's calls against hand labels."""

from __future__ import annotations

import argparse
from pathlib import Path

from booth.evaluate import evaluate, load_labels


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="score the booth's calls against hand labels")
    parser.add_argument("labels", type=Path, help="labels file, e.g. tests/data/labels.json")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for line in evaluate(load_labels(args.labels)).lines():
        print(line)
    return 0

"""``booth models fetch|verify|list``: the model and media files of ``models/manifest.toml``."""

from __future__ import annotations

import argparse
import sys

from booth import assets


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="fetch, verify or list the models and test media")
    parser.add_argument("action", choices=("fetch", "verify", "list"))
    parser.add_argument("--media", action="store_true", help="the real face media (tests, demo) instead")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    kind = "media" if args.media else "model"
    selected = [a for a in assets.load_manifest() if a.kind == kind]
    if args.action == "list":
        for asset in selected:
            print(f"{asset.file:48} {asset.package:22} {asset.licence}")
        return 0
    if args.action == "fetch":
        written = assets.fetch(selected)
        print(f"{kind}: {len(selected)} verified, {len(written)} fetched now")
        return 0
    failed = [err for _, err in assets.verify(selected) if err]
    for err in failed:
        print(err, file=sys.stderr)
    print(f"{kind}: {len(selected) - len(failed)} of {len(selected)} verified")
    return 1 if failed else 0

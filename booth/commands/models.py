"""``booth models fetch|verify|list``: the model and media files of ``models/manifest.toml``.

``list`` says where each file is and whether it is there and verified (its sha256 matches the manifest), so
a test or the demo camera that cannot find its footage can be traced to a folder; the models live in
``BOOTH_MODELS_DIR`` (else the checkout's ``models/``), the media in ``BOOTH_CACHE_DIR``'s ``media/`` (else
the XDG cache). Listing never fails: ``verify`` is the command whose exit code says whether all is well.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from booth import assets, paths


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="fetch, verify or list the models and test media")
    parser.add_argument(
        "action",
        choices=("fetch", "verify", "list"),
        help="list: each file's path, and whether it is present and verified",
    )
    parser.add_argument("--media", action="store_true", help="the real face media (tests, demo) instead")
    parser.set_defaults(func=run)


def _state(asset: assets.Asset, error: str | None) -> str:
    """One word for a listed file: verified, missing or bad (present, but unreadable or the wrong sha256)."""
    if error is None:
        return "verified"
    return "bad" if asset.path().is_file() else "missing"


def _folder(kind: str) -> tuple[Path, str]:
    """The folder the kind's files live in, and what moves it."""
    if kind == "model":
        return paths.models_dir(), "BOOTH_MODELS_DIR"
    return paths.media_dir(), "BOOTH_CACHE_DIR"


def list_assets(kind: str, selected: list[assets.Asset]) -> None:
    """One line per file (state, path, package, licence); a summary naming the folder and the fix."""
    folder, variable = _folder(kind)
    print(f"{kind} folder: {folder} (set {variable} to move it)")
    checked = assets.verify(selected)
    width = max((len(str(a.path())) for a in selected), default=0)
    for asset, error in checked:
        print(f"{_state(asset, error):8}  {asset.path()!s:{width}}  {asset.package:22} {asset.licence}")
    problems = [err for _, err in checked if err]
    fetch = "booth models fetch" + (" --media" if kind == "media" else "")
    print(
        f"{kind}: {len(selected) - len(problems)} of {len(selected)} verified"
        + (f"; `{fetch}` fetches the rest" if problems else "")
    )


def run(args: argparse.Namespace) -> int:
    kind = "media" if args.media else "model"
    selected = [a for a in assets.load_manifest() if a.kind == kind]
    if args.action == "list":
        list_assets(kind, selected)
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

"""``booth retention``: delete sessions older than the configured number of days (run daily by a timer)."""

from __future__ import annotations

import argparse
from pathlib import Path

from booth import config
from booth.storage import Storage


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("retention", help="delete sessions past the retention period")
    parser.add_argument("--config", type=Path, help="booth config file")
    parser.add_argument("--data", type=Path, default=Path("var"), help="the booth's data folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = config.load(args.config)
    with Storage(args.data, settings.storage) as store:
        deleted = store.prune()
    print(f"retention: {len(deleted)} session(s) older than {settings.storage.retention_days:g} days deleted")
    return 0

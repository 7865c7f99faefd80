"""``booth retention``: delete sessions older than the configured number of days (run daily by a timer).

It runs beside the live booth (the timer is ``Persistent=true``, so a missed night runs at boot, just as the
booth starts), hence storage is opened with ``recover=False``: no lock taken and no crash recovery, which
would abort the booth's running session and delete the photos it is writing. Only ended sessions are
pruned; deletions go through this process's storage writer, and SQLite orders them with the booth's writes.

Settings: the same files as ``booth run`` (``--config``, else ``$BOOTH_CONFIG``, else
``/etc/booth/booth.toml``; the page's changes in ``<data>/booth.toml`` over it).
"""

from __future__ import annotations

import argparse

from booth.commands import options
from booth.commands.run import load_settings, settings_files
from booth.storage import Storage


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("retention", help="delete sessions past the retention period")
    options.add_config(parser)
    options.add_data(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data_dir = args.data.expanduser().resolve()
    settings = load_settings(*settings_files(args.config, data_dir))
    store = Storage(data_dir, settings.storage)
    store.open(recover=False)
    try:
        deleted = store.prune()
    finally:
        store.close()
    print(f"retention: {len(deleted)} session(s) older than {settings.storage.retention_days:g} days deleted")
    return 0

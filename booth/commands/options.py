"""The options that several commands share, written once: which settings file, which data folder.

Why one home: ``booth retention``, ``booth delivery`` and ``booth fleet`` read the same two settings files
as ``booth run`` and, where they touch the database, the same data folder; a default or a help text that
drifted between them would have an operator's timer read another file than the booth it serves.
"""

from __future__ import annotations

import argparse
from pathlib import Path

#: ``booth run``'s data folder when none is given (the appliance passes --data /var/lib/booth).
DEFAULT_DATA = Path("var")


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="settings file (default: $BOOTH_CONFIG, else /etc/booth/booth.toml)",
    )


def add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        metavar="DIR",
        help="the booth's data folder (default ./var)",
    )

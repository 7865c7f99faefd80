"""``booth config check|show``: validate the configuration file, or print the settings in effect.

``check`` is what provisioning and an operator run after editing ``/etc/booth/booth.toml`` (with ``--data``,
the page's changes over it too): ``OK`` and exit 0 (after a ``warning:`` line for each threshold a look
cannot reach, or barely), or every error, one line each (file, key, cause and fix), and exit 2. ``show``
prints every key with its effective value and its description (as a comment) as TOML, which loads back to
the same settings, or the values alone as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from booth import config, settings_check

APPLIANCE_CONFIG = Path("/etc/booth/booth.toml")


def resolve_config_path(given: Path | None) -> Path | None:
    """The config file to use: the one given, else ``$BOOTH_CONFIG``, else the appliance's if present.

    ``None`` means none: the defaults apply (development without a config file).
    """
    if given is not None:
        return given
    env = os.environ.get("BOOTH_CONFIG")
    if env:
        return Path(env)
    return APPLIANCE_CONFIG if APPLIANCE_CONFIG.is_file() else None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "config", help="validate the configuration file or show the settings in effect"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="validate FILE; prints OK, or every error one per line (exit 2)")
    _file_argument(check)
    _data_argument(check)
    check.set_defaults(func=run_check)
    show = actions.add_parser("show", help="print every setting with its effective value")
    _file_argument(show)
    show.add_argument("--config", dest="config_file", type=Path, metavar="FILE", help="same as FILE")
    _data_argument(show)
    show.add_argument("--json", action="store_true", help="JSON (the values only) instead of described TOML")
    show.set_defaults(func=run_show)


def _file_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        metavar="FILE",
        help="default: $BOOTH_CONFIG, else /etc/booth/booth.toml",
    )


def _data_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help=f"the booth's data folder: include the page's changes saved there ({config.CHANGES_FILE})",
    )


def run_check(args: argparse.Namespace) -> int:
    path = resolve_config_path(args.file)
    changes = args.data / config.CHANGES_FILE if args.data else None
    # Every error, one line each like booth.cli's: each file's own keys, then what they name (looks, shot
    # lists) against the looks they load. A file that is not TOML at all is booth.cli's one line.
    found = settings_check.report(path, changes)
    for warning in found.warnings:
        print(f"warning: {warning}")
    for error in found.errors:
        print(f"booth: {error}", file=sys.stderr)
    if found.errors:
        return 2
    layers = f" + {changes}" if changes is not None and changes.is_file() else ""
    print(f"OK {path}{layers}" if path else f"OK (no config file: defaults){layers}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    path = resolve_config_path(args.file or args.config_file)
    changes = args.data / config.CHANGES_FILE if args.data else None
    settings = config.load_layered(path, changes)
    settings_check.checked_book(settings, str(path or "the defaults"))
    if args.json:
        text = json.dumps(settings.model_dump(mode="json"), indent=2) + "\n"
    else:
        layers = f"{path or 'defaults (no config file)'}" + (
            f" + {changes}" if changes and changes.is_file() else ""
        )
        header = [
            f"effective settings from {layers}",
            'every key under its description; an unset value (None) is written "none"',
        ]
        text = config.described(settings, header)
    return _print(text)


def _print(text: str) -> int:
    """Write ``text`` and flush it here, so a reader that stopped early (``| head``) raises BrokenPipeError
    inside the command, where :func:`booth.cli.main` ends it quietly, not at the interpreter's exit (an
    "Exception ignored" traceback)."""
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0

"""``booth config check|show``: validate the configuration file, or print the settings in effect.

``check`` is what provisioning and an operator run after editing ``/etc/booth/booth.toml``: ``OK`` and exit
0 (after a ``warning:`` line for each threshold a look cannot reach, or barely), or the one-line error
(file, key, suggestion) and exit 2. ``show`` prints every key with its effective
value as TOML (which loads back to the same settings) or as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
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
    check = actions.add_parser("check", help="validate FILE; prints OK or the one-line error (exit 2)")
    _file_argument(check)
    check.set_defaults(func=run_check)
    show = actions.add_parser("show", help="print every setting with its effective value")
    _file_argument(show)
    show.add_argument("--config", dest="config_file", type=Path, metavar="FILE", help="same as FILE")
    show.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="the booth's data folder: include the page's changes saved there",
    )
    show.add_argument("--json", action="store_true", help="JSON instead of TOML")
    show.set_defaults(func=run_show)


def _file_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        metavar="FILE",
        help="default: $BOOTH_CONFIG, else /etc/booth/booth.toml",
    )


def run_check(args: argparse.Namespace) -> int:
    path = resolve_config_path(args.file)
    # A ConfigError is printed by booth.cli as one line, exit code 2: first the file's own shape, then what
    # it names (looks, shot lists) against the looks it loads.
    settings = config.load(path)
    book = settings_check.checked_book(settings, str(path or "the defaults"))
    for warning in settings_check.warnings(settings, book):
        print(f"warning: {warning}")
    print(f"OK {path}" if path else "OK (no config file: defaults)")
    return 0


def run_show(args: argparse.Namespace) -> int:
    path = resolve_config_path(args.file or args.config_file)
    changes = args.data / config.CHANGES_FILE if args.data else None
    settings = config.load_layered(path, changes)
    settings_check.checked_book(settings, str(path or "the defaults"))
    data = settings.model_dump(mode="json")
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        layers = f"{path or 'defaults (no config file)'}" + (
            f" + {changes}" if changes and changes.is_file() else ""
        )
        print(f"# effective settings from {layers}")
        print(config.to_toml(data))
    return 0

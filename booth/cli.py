"""The ``booth`` command: wires the concrete parts together.

Each subcommand lives in ``booth/commands/<name>.py``. Errors the booth raises on purpose
(:class:`booth.errors.BoothError`) print as one line on stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from booth import __version__
from booth.errors import BoothError

COMMANDS = (
    "analyze",
    "config",
    "delivery",
    "doctor",
    "eval",
    "fleet",
    "looks",
    "models",
    "retention",
    "run",
    "simulate",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="booth", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"booth {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"booth.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args) or 0)
    except BoothError as err:
        print(f"booth: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _reader_went_away()


def _reader_went_away() -> int:
    """The reader of our output closed the pipe (``booth config show | head``): stop quietly, as shell
    tools do, rather than print a traceback. stdout is pointed at /dev/null first, so the interpreter's own
    flush at exit does not raise the same error again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141  # 128 + SIGPIPE, what a shell reports for a command its reader stopped

"""Secrets the studio hands the booth (bucket keys, broker password): from a 0600 file or the environment.

Why one format for both: a credentials file is ``NAME=value`` lines, the same lines systemd's
``EnvironmentFile=`` reads, so a studio can give the booth its keys either way and the names are the ones
the tools already use (``AWS_ACCESS_KEY_ID``...). Why refuse a readable file rather than warn: a key that
any user of the Pi can read is a leaked key; the message says the one command that fixes it. The values are
never logged, and never written into the settings file (:mod:`booth.config.outbound` refuses them there).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from booth.errors import ConfigError


def read_private(path: Path, what: str = "credentials") -> str:
    """The text of a secret file (a key, a passphrase), refused unless only its owner can read it.

    Raises a one-line :class:`ConfigError` naming the cause and the fix: missing, unreadable, or readable
    by group or others.
    """
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} file not found; create it (mode 0600) or unset it") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the {what} file ({err}); check its owner and mode") from None
    if stat.S_IMODE(mode) & 0o077:
        raise ConfigError(
            f"{path}: {what} readable by other users (mode {stat.S_IMODE(mode):o}); run chmod 600 {path}"
        )
    return text


def read_env_file(path: Path) -> dict[str, str]:
    """The ``NAME=value`` pairs of ``path`` (``#`` comments, blank lines, ``export`` and quotes allowed).

    Raises a one-line :class:`ConfigError` as :func:`read_private` does, or for a line that is not
    ``NAME=value``.
    """
    text = read_private(path)
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ConfigError(f"{path}:{number}: expected NAME=value; fix or remove that line")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def credentials(
    path: Path | None,
    names: Iterable[str],
    *,
    environ: Mapping[str, str] | None = None,
    required: bool = True,
) -> dict[str, str]:
    """``names`` from ``path`` when given, else from the environment.

    With ``required``, every name must be there and non-empty, or a one-line :class:`ConfigError` says
    which is missing and where to put it. Without it, the names found (possibly none) come back.
    """
    source = read_env_file(path) if path is not None else dict(os.environ if environ is None else environ)
    found = {name: source[name] for name in names if source.get(name)}
    missing = [name for name in names if name not in found]
    if required and missing:
        where = str(path) if path is not None else "the environment"
        raise ConfigError(f"{', '.join(missing)} not set in {where}; add {missing[0]}=... there")
    return found

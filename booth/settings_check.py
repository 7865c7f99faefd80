"""The checks that span parts of the settings: looks named in shot lists, thresholds and budgets, and the
warnings for thresholds a look cannot reach.

Why not in :mod:`booth.config`: config knows the shape of each section, but whether ``"smize"`` is a look
depends on the looks file, and whether ``"solo"`` is a shot list on the presets. Those checks need the
loaded looks, so they run here, once, wherever settings are loaded (the commands) or changed (the operator
page, a session's preset), with the looks already in hand rather than parsing the looks file per check.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from booth import config, looks, shot_lists
from booth.config import Settings
from booth.errors import ConfigError
from booth.looks import LookBook
from booth.looks.recipes import CEILING_MARGIN, SCORE_MEANING
from booth.secrets_file import credentials, read_private


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(names)}"
    return f"unknown {kind} {name!r}; {hint}"


def problems(settings: Settings, book: LookBook) -> list[str]:
    """Every cross-part problem of ``settings`` with these looks, each one line naming the key and the fix.

    The looks are the shipped ones with the operator's ``looks.file`` over them (``book``); every table that
    names looks is checked against them: the shot lists' members, ``session.per_look`` and
    ``policy.thresholds`` (a threshold for a misspelt look would otherwise do nothing, silently)."""
    found = []
    names = set(book.looks)
    s = settings.session
    for list_name, members in s.custom_shot_lists.items():
        found += [
            f"session.custom_shot_lists: shot list {list_name!r}: {_unknown('look', look, names)}"
            for look in members
            if look not in names
        ]
    lists = shot_lists.known(s.custom_shot_lists)
    if s.shot_list not in lists:
        found.append(f"session.shot_list: {_unknown('shot list', s.shot_list, lists)}")
    found += [
        f"session.per_look: {_unknown('look', look, names)}" for look in s.per_look if look not in names
    ]
    found += [
        f"policy.thresholds: {_unknown('look', look, names)}"
        for look in settings.policy.thresholds
        if look not in names
    ]
    return found


def warnings(settings: Settings, book: LookBook) -> list[str]:
    """Settings that load but will not do what the operator expects: a look's threshold above what its
    recipe can reach (it never fires) or within ``CEILING_MARGIN`` of it (only a perfect frame fires)."""
    found = []
    thresholds = looks.Thresholds.from_settings(settings.policy)
    for name, recipe in book.looks.items():
        threshold, ceiling = thresholds.for_look(name), recipe.ceiling()
        key = (
            f"policy.thresholds.{name}" if name in settings.policy.thresholds else "policy.default_threshold"
        )
        if threshold > ceiling:
            found.append(
                f"{key} = {threshold:g}: look {name!r} can reach only {ceiling:.2f}, so it never fires; "
                f"lower it (0.6 is what {SCORE_MEANING[0.6]!r} scores)"
            )
        elif threshold > ceiling - CEILING_MARGIN:
            found.append(
                f"{key} = {threshold:g}: close to the ceiling of look {name!r} ({ceiling:.2f}), so only "
                f"a perfect frame fires; 0.9 is already {SCORE_MEANING[0.9]!r}"
            )
    return found


def outbound_problems(settings: Settings) -> list[str]:
    """The files the delivery, the fleet link and the hotspot read at start, checked as they will read
    them (readable, the secrets 0600, the names present), for the parts the settings turn on."""
    found: list[str] = []

    def attempt(key: str, read: Callable[[], object]) -> None:
        try:
            read()
        except ConfigError as err:
            found.append(f"{key}: {err}")

    delivery, fleet = settings.delivery, settings.fleet
    if delivery.enabled:
        names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        attempt("delivery.credentials_file", lambda: credentials(delivery.credentials_file, names))
    if fleet.enabled:
        if fleet.credentials_file is not None:
            names = ("MQTT_USERNAME", "MQTT_PASSWORD")
            attempt("fleet.credentials_file", lambda: credentials(fleet.credentials_file, names))
        for key, path in (("ca_file", fleet.ca_file), ("cert_file", fleet.cert_file)):
            if path is not None and not path.is_file():
                found.append(f"fleet.{key}: {path} not found; copy the certificate there or unset it")
        if (key_file := fleet.key_file) is not None:
            attempt("fleet.key_file", lambda: read_private(key_file, "private key"))
    hotspot = settings.hotspot
    if hotspot.enabled:
        attempt("hotspot.password_file", lambda: read_private(hotspot.password_file, "passphrase"))
    return found


def check(settings: Settings, book: LookBook, source: str = "<config>") -> None:
    """Raise one :class:`ConfigError` line for the first cross-part problem (see :func:`problems`)."""
    found = problems(settings, book)
    if found:
        raise ConfigError(f"{source}: {found[0]}")


def checked_book(settings: Settings, source: str = "<config>") -> LookBook:
    """Load the looks ``settings`` name and check the settings against them; the looks, for the caller."""
    book = looks.load(settings.looks.file)
    check(settings, book, source)
    return book


@dataclass(frozen=True)
class Report:
    """What ``booth config check`` finds: every error (one line each, naming file, key and fix) and the
    warnings (settings that load but will not do what was meant)."""

    errors: list[str]
    warnings: list[str]


def _layer(settings: Settings | None, path: Path, source: str, errors: list[str]) -> Settings | None:
    """``settings`` with the file at ``path`` laid over them; its errors appended, its wrong keys left out."""
    try:
        data = config.parse(path)
    except ConfigError as err:
        errors.append(str(err))
        return settings
    merged = config.deep_merge(settings.model_dump(mode="json"), data) if settings else data
    errors += [f"{source}: {line}" for line in config.error_lines(merged)]
    return config.salvage(merged)


def report(base: Path | None, changes: Path | None = None) -> Report:
    """Check the base config file, and the page's changes file over it when given, in full: every wrong key
    of each file, then the looks they name (against the looks they load), rather than stopping at the first.

    Why go on past a wrong key: an operator who fixes one line per run of ``booth config check`` learns the
    file's problems one restart at a time; a wrong key is left out (its default used) to check the rest.
    """
    errors: list[str] = []
    source = str(base) if base else "the defaults"
    settings = _layer(None, base, source, errors) if base else Settings()
    if changes is not None and changes.is_file() and not (base and base.resolve() == changes.resolve()):
        source = f"{changes} (over {base or 'the defaults'})"
        settings = _layer(settings, changes, source, errors)
    if settings is None:  # wrong beyond leaving keys out: the errors say what to fix first
        return Report(errors, [])
    try:
        book = looks.load(settings.looks.file)
    except ConfigError as err:
        return Report([*errors, f"{source}: looks.file: {err}"], [])
    errors += [f"{source}: {line}" for line in problems(settings, book) + outbound_problems(settings)]
    return Report(errors, warnings(settings, book))

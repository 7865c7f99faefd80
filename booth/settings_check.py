"""The checks that span parts of the settings: looks named in shot lists, thresholds and budgets.

Why not in :mod:`booth.config`: config knows the shape of each section, but whether ``"smize"`` is a look
depends on the looks file, and whether ``"solo"`` is a shot list on the presets. Those checks need the
loaded looks, so they run here, once, wherever settings are loaded (the commands) or changed (the operator
page, a session's preset), with the looks already in hand rather than parsing the looks file per check.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from booth import looks, shot_lists
from booth.config import Settings
from booth.errors import ConfigError
from booth.looks import LookBook


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(names)}"
    return f"unknown {kind} {name!r}; {hint}"


def problems(settings: Settings, book: LookBook) -> list[str]:
    """Every cross-part problem of ``settings`` with these looks, each one line naming the key and the fix."""
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

"""The checks that span parts of the settings: looks named in shot lists, thresholds and budgets, and the
warnings for thresholds a look cannot reach.

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
from booth.looks.recipes import CEILING_MARGIN, SCORE_MEANING


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

"""The shot lists a session can walk: the presets the booth ships and the studio's own, with their budgets.

A tiny pure module of its own because three parts read it and none owns it: the settings check (is the
named list known?), the operator page (which lists to offer) and the session (which looks to shoot, for how
long). Keeping it out of :mod:`booth.config` keeps config free of the domain, and out of
:mod:`booth.session` keeps the page from importing the state machine to list names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The five looks the booth ships (``booth/looks/default_looks.toml``), in the order of the full range.
LOOKS = ("confident", "approachable", "intense", "vulnerable", "playful")

#: Shot-list presets; the studio may add its own in ``[session] custom_shot_lists``.
PRESETS: dict[str, tuple[str, ...]] = {
    "commercial": ("approachable", "confident"),
    "theatrical": ("intense", "vulnerable", "playful"),
    "full range": LOOKS,
}


@dataclass(frozen=True)
class LookPlan:
    """One look of a session's shot list: how many shots to keep and the time it may take."""

    look: str
    shots: int
    seconds: float


def known(custom: Mapping[str, Sequence[str]] | None = None) -> dict[str, tuple[str, ...]]:
    """Every shot list by name; a custom list shadows a preset of the same name."""
    return {**PRESETS, **{name: tuple(looks) for name, looks in (custom or {}).items()}}


def resolve(
    name: str,
    custom: Mapping[str, Sequence[str]] | None,
    shots: int,
    seconds: float,
    per_look: Mapping[str, Any] | None = None,
) -> tuple[LookPlan, ...]:
    """The looks of preset or custom list ``name``, each with ``shots`` and ``seconds`` unless ``per_look``
    overrides them (values with ``shots`` and ``seconds`` attributes or keys; a missing or None one keeps
    the list's). Raises KeyError naming the lists for an unknown name."""
    lists = known(custom)
    if name not in lists:
        raise KeyError(f"unknown shot list {name!r}; use one of {', '.join(sorted(lists))}")
    plans = []
    for look in lists[name]:
        override = (per_look or {}).get(look)
        if isinstance(override, Mapping):
            own_shots, own_seconds = override.get("shots"), override.get("seconds")
        else:
            own_shots, own_seconds = getattr(override, "shots", None), getattr(override, "seconds", None)
        plans.append(
            LookPlan(
                look,
                int(own_shots) if own_shots is not None else shots,
                float(own_seconds) if own_seconds is not None else seconds,
            )
        )
    return tuple(plans)

"""How far a sitter is through the shot list, look by look: what the kiosk's list, clocks and end screen show.

Kept apart from the state machine (:mod:`booth.session`) because it is a view of it, built whole by
:meth:`booth.session.Session.progress` and read by the status, never a second copy of the session's state.

Why each look carries its own state: a look that ended with no photo must read as *missed* on the list and
on the end screen ("4 photos, 3 of 5 looks"), not as ticked off because the shot list moved past it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class LookState(enum.StrEnum):
    NEXT = "next"  # not started yet
    CURRENT = "current"  # being shot (or paused by a fault)
    DONE = "done"  # finished with at least one photo
    MISSED = "missed"  # finished, or never reached, with no photo


class MissedBecause(enum.StrEnum):
    """Why a look has no photo; empty for a look that is not missed."""

    NONE = ""
    TIME = "time"  # its seconds ran out
    STOPPED = "stopped"  # the session ended on it or before it


@dataclass(frozen=True)
class LookProgress:
    look: str
    shots: int  # photos the look asks for
    seconds: float  # the look's time budget
    kept: int
    state: LookState
    missed_because: MissedBecause = MissedBecause.NONE


@dataclass(frozen=True)
class Progress:
    """The session's progress at one moment.

    ``look_index`` is the look being shot (kept at the last one on the review and end screens) and None
    before the first look starts; ``kept`` counts the photos kept per look, including one of a look a
    settings change took off the list meanwhile. ``look_seconds_left`` is the current look's time left
    (None when no look is being shot) and ``seconds_left`` that plus the looks still to come.
    """

    looks: tuple[str, ...]
    look_index: int | None
    kept: Mapping[str, int]
    plan: tuple[LookProgress, ...] = ()
    look_seconds_left: float | None = None
    seconds_left: float | None = None

    @property
    def shots_kept(self) -> int:
        return sum(self.kept.values())

    @property
    def looks_with_photos(self) -> int:
        return sum(1 for p in self.plan if p.kept > 0)

    @property
    def seconds_total(self) -> float:
        return sum(p.seconds for p in self.plan)


def seconds_left(plan: tuple[LookProgress, ...], look_left: float | None) -> float | None:
    """The current look's time left plus the budgets of the looks still to come (None when not shooting)."""
    if look_left is None:
        return None
    return look_left + sum(p.seconds for p in plan if p.state is LookState.NEXT)

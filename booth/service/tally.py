"""The shutter's account of one session: every fire, every pulse, and what became of every still.

Why it exists: with a tethered camera each shutter pulse is an exposure on the card, so the operator must be
able to reconcile the GPIO count with the photos the session kept. Every still a fire takes ends either kept
or discarded with its reason, and a pose the booth would have discarded as a duplicate is counted as
*held back* (not fired at all). Owned by the session runner, reset for each sitter; the status shows a
frozen copy (:meth:`ShutterTally.snapshot`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Discards listed on the operator page (the counts stay exact however many there are).
SHOWN_DISCARDS = 20


@dataclass(frozen=True)
class Discard:
    look: str
    reason: str


@dataclass(frozen=True)
class ShutterCount:
    """A frozen copy of the tally for the status (see the module docstring)."""

    fires: int = 0
    pulses: int = 0
    kept: int = 0
    discarded: int = 0
    held_back: int = 0
    discards: tuple[Discard, ...] = ()  # the latest SHOWN_DISCARDS of them

    def to_json(self) -> dict[str, Any]:
        return {
            "fires": self.fires,
            "pulses": self.pulses,
            "kept": self.kept,
            "discarded": self.discarded,
            "held_back": self.held_back,
            "discards": [{"look": d.look, "reason": d.reason} for d in self.discards],
        }


#: No fires yet: what the status shows while idle.
NO_SHOTS = ShutterCount()


@dataclass
class ShutterTally:
    """Counts for the session on screen. Not thread-safe: the analysis thread only."""

    fires: int = 0
    pulses: int = 0
    kept: int = 0
    held_back: int = 0
    discards: list[Discard] = field(default_factory=list)

    def fired(self, pulses: int) -> None:
        self.fires += 1
        self.pulses += pulses

    def keep(self) -> None:
        self.kept += 1

    def discard(self, look: str, reason: str) -> None:
        self.discards.append(Discard(look, reason))

    def hold_back(self) -> None:
        self.held_back += 1

    def reset(self) -> None:
        self.fires = self.pulses = self.kept = self.held_back = 0
        self.discards = []

    def snapshot(self) -> ShutterCount:
        shown = tuple(self.discards[-SHOWN_DISCARDS:])
        return ShutterCount(self.fires, self.pulses, self.kept, len(self.discards), self.held_back, shown)

"""What the fleet link needs from the booth: :class:`FleetPort`, met by :class:`booth.service.BoothService`.

Why a protocol: the fleet link is a front end like the page; naming the few calls it makes keeps it off the
service's internals (never the analysis thread's state, only the published status and the queued actions)
and lets the tests read what a command may do at a glance.
"""

from __future__ import annotations

from typing import Protocol

from booth.config import Settings
from booth.service.status import BoothStatus
from booth.storage import OutboxSummary, Storage


class FleetPort(Protocol):
    """The service as the fleet sees it; its status carries ``paused`` (why no session starts, or None)."""

    settings: Settings
    storage: Storage

    def status(self) -> BoothStatus: ...

    def start_session(self, preset: str | None = None) -> BoothStatus: ...

    def cancel_session(self) -> BoothStatus: ...

    def pause(self, reason: str) -> BoothStatus: ...

    def resume(self) -> BoothStatus: ...

    def reload_looks_now(self) -> None: ...

    def outbox(self) -> OutboxSummary | None: ...

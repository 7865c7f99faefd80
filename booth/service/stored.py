"""How many sessions storage holds, for the operator's page, without asking storage on every status."""

from __future__ import annotations

import logging
from collections.abc import Callable

from booth.storage import Storage

log = logging.getLogger(__name__)

#: Seconds between recounts of the stored sessions (the operator may delete some from the page).
SESSIONS_EVERY = 2.0


class StoredSessions:
    """How many sessions storage holds, for the operator's page: recounted every :data:`SESSIONS_EVERY` s
    (the operator may delete some) or at once after a new one; never an error (a count is not worth one)."""

    def __init__(self, storage: Storage, clock: Callable[[], float]) -> None:
        self._storage, self._clock = storage, clock
        self._count: int | None = None
        self._counted_at = float("-inf")

    def recount_soon(self) -> None:
        self._counted_at = float("-inf")

    def count(self) -> int | None:
        now = self._clock()
        if now - self._counted_at >= SESSIONS_EVERY:
            self._counted_at = now
            try:
                self._count = self._storage.count_sessions()  # read-only WAL: never waits
            except Exception as err:
                log.warning("cannot count stored sessions: %s", err)
        return self._count

"""The stored sessions' count the operator page shows (booth/service/stored.py): recounted at most every
SESSIONS_EVERY seconds, at once after a new session, and never an error. On a real Storage."""

from __future__ import annotations

import logging

from booth.config import StorageSettings
from booth.service.stored import SESSIONS_EVERY, StoredSessions
from booth.storage import Storage


def test_the_count_follows_storage_at_its_own_pace(tmp_path, caplog):
    now = [100.0]
    with Storage(tmp_path / "store", StorageSettings(min_free_mb=0)) as storage:
        stored = StoredSessions(storage, lambda: now[0])
        assert stored.count() == 0
        storage.start_session(("confident",))
        assert stored.count() == 0  # counted a moment ago: not asked again yet
        stored.recount_soon()  # a session was opened: the next count asks
        assert stored.count() == 1
        storage.start_session(("confident",))
        now[0] += SESSIONS_EVERY
        assert stored.count() == 2

        def broken() -> int:
            raise OSError("database is locked")

        storage.count_sessions = broken  # type: ignore[method-assign]
        now[0] += SESSIONS_EVERY
        with caplog.at_level(logging.WARNING, logger="booth.service.stored"):
            assert stored.count() == 2  # the last count, and one line in the log
        assert "cannot count stored sessions: database is locked" in caplog.text

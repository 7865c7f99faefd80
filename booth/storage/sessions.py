"""The writer's side of sessions and events: start, end, delete, mark best, log.

Each function here runs on the writer thread (see :mod:`booth.storage.writer`) inside one transaction, and
takes the clock as an argument so its timestamps are those of the write, not of the request that queued it.

Why the folder is made inside the transaction and removed after it: a session's folder is named by its id,
which only the INSERT gives, and a crash between ``mkdir`` and ``COMMIT`` leaves an empty folder no row
refers to, which recovery removes. A deletion removes rows first, files after, for the same reason: a crash
in between leaves only unreferenced files, never a row whose photo is gone.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import sqlite3
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from booth.atomic import fsync_dir
from booth.errors import StorageError
from booth.storage.layout import EXPORTS_DIR, SESSIONS_DIR, export_names
from booth.storage.outbox import queue_folder_delete
from booth.storage.records import SessionRecord
from booth.storage.writer import Writer, inserted_id

log = logging.getLogger(__name__)

Clock = Callable[[], float]


def insert_event(
    conn: sqlite3.Connection,
    at: float,
    session_id: int | None,
    kind: str,
    message: str,
    data: Mapping[str, Any],
) -> None:
    """Append one event row (inside the caller's transaction); ``session_id`` None is booth-wide."""
    conn.execute(
        "INSERT INTO events (session_id, at, kind, message, data) VALUES (?, ?, ?, ?, ?)",
        (session_id, at, kind, message, json.dumps(dict(data), default=str)),
    )


def start_session(
    writer: Writer, root: Path, clock: Clock, shot_list: tuple[str, ...], consent_text: str
) -> SessionRecord:
    """Insert the session with a new token, then name and create its folder ``<date>-<id>``."""
    now = clock()
    token = secrets.token_urlsafe(24)  # 192 random bits: the gallery link's only secret
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    with writer.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO sessions (token, shot_list, consent_text, dir, created_at) VALUES (?, ?, ?, ?, ?)",
            (token, json.dumps(list(shot_list)), consent_text, f"pending-{token}", now),
        )
        sid = inserted_id(cur)
        rel = f"{SESSIONS_DIR}/{stamp}-{sid:06d}"
        conn.execute("UPDATE sessions SET dir = ? WHERE id = ?", (rel, sid))
        insert_event(conn, clock(), sid, "session", "Session started.", {"shot_list": list(shot_list)})
        (root / rel).mkdir(exist_ok=True)
        fsync_dir(root / SESSIONS_DIR)
        row = conn.execute("SELECT * FROM sessions WHERE id = ?", (sid,)).fetchone()
    log.info("session %d started (%s)", sid, rel)
    return SessionRecord.from_row(row)


def end_session(writer: Writer, clock: Clock, session_id: int, status: str) -> None:
    """Mark an active session ended; an ended one keeps its first ending (idempotent)."""
    with writer.transaction() as conn:
        cur = conn.execute(
            "UPDATE sessions SET status = ?, ended_at = ? WHERE id = ? AND status = 'active'",
            (status, clock(), session_id),
        )
        if cur.rowcount:
            insert_event(conn, clock(), session_id, "session", f"Session {status}.", {})


def delete_session(
    writer: Writer, root: Path, clock: Clock, session_id: int, reason: str, ended_only: bool = False
) -> bool:
    """Delete the rows (shots and events cascade), then the files; False if there is nothing to delete.

    ``ended_only`` (retention) re-checks inside the transaction that the session has ended, rather than
    trusting a read made before it: the live booth may have started it meanwhile.
    """
    with writer.transaction() as conn:
        row = conn.execute("SELECT dir, status FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None or (ended_only and row["status"] == "active"):
            return False
        queue_folder_delete(conn, session_id, reason, clock())  # the remote copies go too
        conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        insert_event(
            conn, clock(), None, "deleted", f"Session {session_id} deleted ({reason}).", {"dir": row["dir"]}
        )
    remove_session_files(root, row["dir"])
    log.info("session %d deleted (%s)", session_id, reason)
    return True


def remove_session_files(root: Path, session_dir: str) -> None:
    """The session's folder (photos, sidecars) and its export zips, made durable with the folder fsync."""
    shutil.rmtree(root / session_dir, ignore_errors=True)
    for name in export_names(session_dir):
        (root / EXPORTS_DIR / name).unlink(missing_ok=True)
    fsync_dir(root / SESSIONS_DIR)


def mark_best(writer: Writer, shot_id: int) -> None:
    """Make ``shot_id`` the one best shot of its look in its session (one UPDATE: never two or none)."""
    with writer.transaction() as conn:
        row = conn.execute("SELECT session_id, look FROM shots WHERE id = ?", (shot_id,)).fetchone()
        if row is None:
            raise StorageError(f"no shot {shot_id}; it was deleted or never saved")
        conn.execute(
            "UPDATE shots SET best = (id = ?) WHERE session_id = ? AND look = ?",
            (shot_id, row["session_id"], row["look"]),
        )


def log_event(
    writer: Writer, clock: Clock, session_id: int | None, kind: str, message: str, data: Mapping[str, Any]
) -> None:
    """Append one event in its own transaction."""
    with writer.transaction() as conn:
        insert_event(conn, clock(), session_id, kind, message, data)

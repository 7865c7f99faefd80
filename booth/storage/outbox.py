"""The outbox: what a delivered session still needs in the bucket, and what the bucket must lose.

Why in the booth's own SQLite, beside the sessions: a delivery is queued in the same database, through the
same single writer, as the session it delivers, so a power cut or a SIGKILL at any moment leaves either no
job or a whole one, and the next start simply carries on (nothing here is held in memory between calls).

The rules, each in one place here:

* **Idempotent.** A session has at most one delivery (its folder and link are kept from the first call), and
  each object key is unique, so queuing a delivery twice adds nothing. The uploader records each object's
  sha256 when it is done; it checks the bucket before putting, so an object already there with that hash is
  not sent again after a crash between the upload and its ``done`` mark.
* **Order.** Deletes go first (a client who asked to be forgotten is not kept waiting behind uploads), then
  uploads in the order they were queued. A session's gallery page is due only once every other object of
  that session is up, so its link never shows a photo that is not there yet.
* **Retries.** A failed attempt keeps the job, records the one-line reason and the time of the next try
  (the uploader picks the backoff); nothing is ever dropped for failing.
* **Deletion.** Deleting a session (the operator, the client's link, retention) removes its upload jobs with
  it (CASCADE) and queues one delete job for its remote folder in the same transaction, so the remote copies
  go too even if the booth is offline for days; a failed remote delete is retried like an upload.

Every ``*_tx`` function runs on the writer thread inside the caller's transaction or its own; the readers
use short read-only connections like the rest of storage.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from booth.errors import SessionNotFound
from booth.storage.reader import read_only
from booth.storage.records import DeliveryRecord, OutboxJob, OutboxSummary, UploadPlan
from booth.storage.writer import Writer

Clock = Callable[[], float]

#: How many failing jobs and finished uploads the summary lists (the counts are always whole).
FAILURES_LISTED = 20
RECENT_LISTED = 10

UPLOAD, DELETE = "upload", "delete"

#: An upload row ``u`` may run: not a page, or a page whose session has every other object up.
_PAGE_READY = (
    "(u.variant != 'page' OR NOT EXISTS (SELECT 1 FROM uploads o"
    " WHERE o.session_id = u.session_id AND o.done = 0 AND o.variant != 'page'))"
)

_DELIVERY = """
    SELECT d.*, COUNT(u.id) FILTER (WHERE u.done = 0) AS pending,
           COUNT(u.id) FILTER (WHERE u.done = 0 AND u.last_error != '') AS failing,
           COALESCE((SELECT last_error FROM uploads WHERE session_id = d.session_id AND done = 0
                     AND last_error != '' ORDER BY next_at DESC LIMIT 1), '') AS last_error
    FROM deliveries d LEFT JOIN uploads u ON u.session_id = d.session_id
    WHERE d.session_id = ? GROUP BY d.session_id
"""


def _delivery_record(row: sqlite3.Row) -> DeliveryRecord:
    return DeliveryRecord(
        session_id=row["session_id"],
        folder=row["folder"],
        link=row["link"],
        created_at=row["created_at"],
        done_at=row["done_at"],
        pending=row["pending"],
        failing=row["failing"],
        last_error=row["last_error"],
    )


def deliver(
    writer: Writer, clock: Clock, session_id: int, folder: str, link: str, plans: Sequence[UploadPlan]
) -> DeliveryRecord:
    """Queue the session's delivery (idempotent: see the module docstring) and return it."""
    now = clock()
    with writer.transaction() as conn:
        if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
            raise SessionNotFound(f"no session {session_id}; it was deleted before its delivery")
        conn.execute(
            "INSERT OR IGNORE INTO deliveries (session_id, folder, link, created_at) VALUES (?, ?, ?, ?)",
            (session_id, folder, link, now),
        )
        kept = conn.execute("SELECT folder FROM deliveries WHERE session_id = ?", (session_id,)).fetchone()
        for plan in plans:
            if not plan.key.startswith(kept["folder"] + "/"):
                continue  # planned under another folder by a second call: the first call's folder stands
            conn.execute(
                "INSERT OR IGNORE INTO uploads (session_id, shot_id, variant, key, content_type, next_at,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, plan.shot_id, plan.variant, plan.key, plan.content_type, now, now),
            )
        _finish_if_done(conn, session_id, now)
        row = conn.execute(_DELIVERY, (session_id,)).fetchone()
    return _delivery_record(row)


def queue_folder_delete(conn: sqlite3.Connection, session_id: int, reason: str, now: float) -> None:
    """Inside a session's deletion: queue the removal of its remote folder, if it was ever delivered."""
    row = conn.execute("SELECT folder FROM deliveries WHERE session_id = ?", (session_id,)).fetchone()
    if row is not None:
        conn.execute(
            "INSERT INTO remote_deletes (folder, reason, next_at, created_at) VALUES (?, ?, ?, ?)",
            (row["folder"], reason, now, now),
        )


def next_job(db_path: Path, now: float) -> OutboxJob | None:
    """The next due job: deletes first, then uploads in id order, a session's page last of its session."""
    with read_only(db_path, "reading the outbox") as conn:
        row = conn.execute(
            "SELECT * FROM remote_deletes WHERE done = 0 AND next_at <= ? ORDER BY next_at, id LIMIT 1",
            (now,),
        ).fetchone()
        if row is not None:
            return _delete_job(row)
        row = conn.execute(
            f"SELECT * FROM uploads u WHERE done = 0 AND next_at <= ? AND {_PAGE_READY} ORDER BY id LIMIT 1",
            (now,),
        ).fetchone()
    return None if row is None else _upload_job(row)


def next_due(db_path: Path) -> float | None:
    """The earliest time a job may run (None: nothing can: the outbox is empty). A page waiting for its
    photos is not counted: it becomes due when they are done, and the uploader is busy until then."""
    with read_only(db_path, "reading the outbox") as conn:
        row = conn.execute(
            f"SELECT MIN(t) FROM (SELECT MIN(next_at) AS t FROM uploads u WHERE done = 0 AND {_PAGE_READY}"
            " UNION ALL SELECT MIN(next_at) FROM remote_deletes WHERE done = 0)"
        ).fetchone()
    return None if row[0] is None else float(row[0])


def _table(kind: str) -> str:
    if kind not in (UPLOAD, DELETE):
        raise ValueError(f"outbox job kind {kind!r}; use {UPLOAD!r} or {DELETE!r}")
    return "uploads" if kind == UPLOAD else "remote_deletes"


def mark_done(writer: Writer, clock: Clock, job_id: int, kind: str, sha256: str, size: int) -> bool:
    """Record a job as done; False when it is gone (its session was deleted while it ran)."""
    now = clock()
    with writer.transaction() as conn:
        if kind == UPLOAD:
            cur = conn.execute(
                "UPDATE uploads SET done = 1, done_at = ?, sha256 = ?, bytes = ?, last_error = ''"
                " WHERE id = ? AND done = 0",
                (now, sha256, size, job_id),
            )
            row = conn.execute("SELECT session_id FROM uploads WHERE id = ?", (job_id,)).fetchone()
            if row is not None:
                _finish_if_done(conn, row["session_id"], now)
        else:
            cur = conn.execute(
                "UPDATE remote_deletes SET done = 1, done_at = ?, last_error = '' WHERE id = ? AND done = 0",
                (now, job_id),
            )
    return cur.rowcount > 0


def mark_failed(writer: Writer, job_id: int, kind: str, error: str, retry_at: float) -> None:
    """Record a failed attempt: the job stays, with its reason and when to try again."""
    with writer.transaction() as conn:
        conn.execute(
            f"UPDATE {_table(kind)} SET attempts = attempts + 1, last_error = ?, next_at = ?"
            " WHERE id = ? AND done = 0",
            (error[:500], retry_at, job_id),
        )


def _finish_if_done(conn: sqlite3.Connection, session_id: int, now: float) -> None:
    conn.execute(
        "UPDATE deliveries SET done_at = ? WHERE session_id = ? AND done_at IS NULL AND NOT EXISTS"
        " (SELECT 1 FROM uploads WHERE session_id = ? AND done = 0)"
        " AND EXISTS (SELECT 1 FROM uploads WHERE session_id = ?)",
        (now, session_id, session_id, session_id),
    )


def delivery(db_path: Path, session_id: int) -> DeliveryRecord | None:
    with read_only(db_path, f"reading the delivery of session {session_id}") as conn:
        row = conn.execute(_DELIVERY, (session_id,)).fetchone()
    return None if row is None else _delivery_record(row)


def summary(db_path: Path) -> OutboxSummary:
    """Counts, the failing jobs with their reasons and the latest uploads, in one read-only snapshot."""
    with read_only(db_path, "reading the outbox") as conn:
        counts = conn.execute(
            "SELECT"
            " (SELECT COUNT(*) FROM uploads WHERE done = 0 AND last_error = '')"
            " + (SELECT COUNT(*) FROM remote_deletes WHERE done = 0 AND last_error = ''),"
            " (SELECT COUNT(*) FROM uploads WHERE done = 0 AND last_error != '')"
            " + (SELECT COUNT(*) FROM remote_deletes WHERE done = 0 AND last_error != ''),"
            " (SELECT COUNT(*) FROM uploads WHERE done = 1),"
            " (SELECT MIN(t) FROM (SELECT MIN(created_at) AS t FROM uploads WHERE done = 0"
            "   UNION ALL SELECT MIN(created_at) FROM remote_deletes WHERE done = 0)),"
            " (SELECT MIN(t) FROM (SELECT MIN(next_at) AS t FROM uploads WHERE done = 0 AND last_error != ''"
            "   UNION ALL SELECT MIN(next_at) FROM remote_deletes WHERE done = 0 AND last_error != ''))"
        ).fetchone()
        failing = [
            _delete_job(r)
            for r in conn.execute(
                "SELECT * FROM remote_deletes WHERE done = 0 AND last_error != '' ORDER BY id LIMIT ?",
                (FAILURES_LISTED,),
            )
        ]
        failing += [
            _upload_job(r)
            for r in conn.execute(
                "SELECT * FROM uploads WHERE done = 0 AND last_error != '' ORDER BY id LIMIT ?",
                (FAILURES_LISTED - len(failing),),
            )
        ]
        recent = conn.execute(
            "SELECT session_id, key, done_at FROM uploads WHERE done = 1"
            " ORDER BY done_at DESC, id DESC LIMIT ?",
            (RECENT_LISTED,),
        ).fetchall()
    return OutboxSummary(
        pending=int(counts[0]),
        failing=int(counts[1]),
        done=int(counts[2]),
        oldest_pending_at=counts[3],
        next_retry_at=counts[4],
        failures=tuple(failing),
        recent=tuple((int(r["session_id"]), str(r["key"]), float(r["done_at"])) for r in recent),
    )


def _upload_job(row: sqlite3.Row) -> OutboxJob:
    return OutboxJob(
        id=row["id"],
        kind=UPLOAD,
        session_id=row["session_id"],
        shot_id=row["shot_id"],
        variant=row["variant"],
        key=row["key"],
        content_type=row["content_type"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        next_at=row["next_at"],
    )


def _delete_job(row: sqlite3.Row) -> OutboxJob:
    return OutboxJob(
        id=row["id"],
        kind=DELETE,
        session_id=None,
        shot_id=None,
        variant="",
        key=row["folder"],
        content_type="",
        attempts=row["attempts"],
        last_error=row["last_error"],
        next_at=row["next_at"],
    )

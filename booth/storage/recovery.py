"""Start-up recovery: undo what a crash left behind, before the first write.

What a crash can leave, given how writes are made (see :mod:`booth.storage.shots`): temp files of atomic
writes in flight, sessions still ``active`` whose process died, files whose row never committed, folders of
sessions whose deletion was cut short. And what the card itself can do: lose or alter a committed photo.

Why this is safe only under ``booth.lock`` (see :mod:`booth.storage.lock`): every one of those is also what
a *running* booth has in flight. The facade refuses to recover without the lock.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

from booth.storage.layout import EXPORTS_DIR, SESSIONS_DIR, export_names
from booth.storage.records import RecoveryReport
from booth.storage.sessions import insert_event
from booth.storage.writer import Writer

log = logging.getLogger(__name__)


def recover(writer: Writer, root: Path, clock: Callable[[], float], verify_hashes: bool) -> RecoveryReport:
    """Remove temp files, abort sessions left active, flag missing or altered photos, remove orphans.

    Rows are changed in one transaction; files no row refers to are removed after it, when the rows that
    say what to keep are final.
    """
    temp = remove_temp_files(root)
    with writer.transaction() as conn:
        aborted = abort_active_sessions(conn, clock)
        missing = verify_rows(conn, root, clock, verify_hashes)
    orphans = remove_orphans(writer.conn, root)
    report = RecoveryReport(temp, aborted, missing, orphans)
    if temp or aborted or missing or orphans:
        log.warning("recovered %s: %s", root, report)
    return report


def remove_temp_files(root: Path) -> int:
    """Delete every ``.*.tmp`` under ``sessions/`` and ``exports/``; return how many."""
    removed = 0
    for folder in (root / SESSIONS_DIR, root / EXPORTS_DIR):
        for path in folder.rglob(".*.tmp"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def abort_active_sessions(conn: sqlite3.Connection, clock: Callable[[], float]) -> tuple[int, ...]:
    """Mark every session still ``active`` as aborted (its process died), with an event saying so."""
    aborted = tuple(r["id"] for r in conn.execute("SELECT id FROM sessions WHERE status = 'active'"))
    for sid in aborted:
        conn.execute("UPDATE sessions SET status = 'aborted', ended_at = ? WHERE id = ?", (clock(), sid))
        insert_event(conn, clock(), sid, "recovered", "The booth restarted mid-session; session aborted.", {})
    return aborted


def verify_rows(
    conn: sqlite3.Connection, root: Path, clock: Callable[[], float], verify_hashes: bool
) -> tuple[int, ...]:
    """Flag ``ok`` rows whose photo is missing or altered; return their ids.

    The size is always checked (cheap); the sha256 only with ``verify_hashes`` (reads every photo, slow on
    a big store). A flagged row is kept, not deleted, so the event log and the sidecar still explain it.
    """
    bad: list[tuple[int, int, str, str]] = []
    for row in conn.execute("SELECT id, session_id, path, sha256, bytes FROM shots WHERE status = 'ok'"):
        status = photo_status(root / row["path"], row["bytes"], row["sha256"], verify_hashes)
        if status != "ok":
            bad.append((row["id"], row["session_id"], status, row["path"]))
    for shot_id, sid, status, path in bad:
        conn.execute("UPDATE shots SET status = ? WHERE id = ?", (status, shot_id))
        message = f"Photo {path} is {status}; hidden from the gallery."
        insert_event(conn, clock(), sid, "recovered", message, {})
    return tuple(b[0] for b in bad)


def photo_status(photo: Path, size: int, sha256: str, verify_hash: bool) -> str:
    """``ok``, ``missing`` or ``corrupt`` (wrong size, or with ``verify_hash`` wrong sha256)."""
    try:
        actual = photo.stat().st_size
    except FileNotFoundError:
        return "missing"
    if actual != size:
        return "corrupt"
    if verify_hash and hashlib.sha256(photo.read_bytes()).hexdigest() != sha256:
        return "corrupt"
    return "ok"


def remove_orphans(conn: sqlite3.Connection, root: Path) -> int:
    """Remove files and folders no row refers to (writes that never committed, deletions cut short)."""
    dirs = {r["dir"] for r in conn.execute("SELECT dir FROM sessions")}
    files: set[str] = set()
    for r in conn.execute("SELECT path FROM shots"):
        files.add(r["path"])
        files.add(str(Path(r["path"]).with_suffix(".json")))
    removed = _remove_unreferenced_sessions(root, dirs, files)
    names = {name for d in dirs for name in export_names(d)}
    for path in (root / EXPORTS_DIR).iterdir():
        if path.name not in names:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _remove_unreferenced_sessions(root: Path, dirs: set[str], files: set[str]) -> int:
    """Under ``sessions/``: whole entries not in ``dirs``, and files of known folders not in ``files``."""
    removed = 0
    for folder in sorted((root / SESSIONS_DIR).iterdir()):
        rel = f"{SESSIONS_DIR}/{folder.name}"
        if rel not in dirs:
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
            else:
                folder.unlink(missing_ok=True)
            removed += 1
            continue
        for path in folder.iterdir():
            if f"{rel}/{path.name}" not in files:
                path.unlink(missing_ok=True)
                removed += 1
    return removed

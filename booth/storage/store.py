"""The :class:`Storage` facade: the booth's one door to its sessions, shots, events, photos and exports.

Why a facade over small modules: callers (the service, the page, the commands, the tests) see one object
with the same methods as ever, while each rule lives in one module: :mod:`~booth.storage.lock` (one booth
per folder), :mod:`~booth.storage.writer` (one writer thread), :mod:`~booth.storage.shots` (files inside
the row's transaction), :mod:`~booth.storage.export`, :mod:`~booth.storage.recovery`. This class only
checks preconditions (open, lock, disk), routes writes through the writer and reads through
:func:`~booth.storage.reader.read_only`, and turns results into records.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from booth.errors import DiskFullError, SessionNotFound, StorageError
from booth.storage import export, marks, outbox, recovery, sessions
from booth.storage.faults import os_error, translated
from booth.storage.layout import EXPORTS_DIR, LOCK_NAME, MB, SESSIONS_DIR, default_free_space
from booth.storage.lock import DataLock
from booth.storage.reader import read_only
from booth.storage.records import (
    STATUSES,
    DeliveryRecord,
    OutboxJob,
    OutboxSummary,
    RecoveryReport,
    SessionRecord,
    ShotRecord,
    UploadPlan,
)
from booth.storage.shots import check_room_for, prepare_shot, save_shot
from booth.storage.writer import Writer

if TYPE_CHECKING:
    from booth.config import StorageSettings

T = TypeVar("T")


class Storage:
    """The booth's store under ``root``: ``booth.db``, ``sessions/<dir>/`` photos, ``exports/`` zips.

    Use as a context manager (``with Storage(root) as store:``) or call :meth:`open`/:meth:`close`.
    Longer than the 300-line guide because it is the one door: each method is a precondition and a route
    to the module that holds the rule (the outbox's are one line each), and splitting the door in two would
    give callers two objects over the one writer thread and lock.
    ``free_space`` (bytes free at a path) and ``clock`` (wall-clock seconds) are injectable for tests.
    Reads work on a Storage that was never opened (they need only the database file).
    """

    def __init__(
        self,
        root: Path | str,
        settings: StorageSettings | None = None,
        *,
        free_space: Callable[[Path], int] = default_free_space,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if settings is None:
            from booth.config import StorageSettings  # deferred: config pulls in pydantic

            settings = StorageSettings.model_validate({})
        self.root = Path(root)
        self.settings = settings
        self._writer = Writer(self.root)
        self.db_path = self._writer.db_path
        self._lock = DataLock(self.root / LOCK_NAME)
        self.lock_path = self._lock.path
        self._free_space = free_space
        self._clock = clock
        self.recovery: RecoveryReport | None = None

    # -- life cycle ------------------------------------------------------------------------------------

    def open(self, recover: bool = True) -> RecoveryReport:
        """Create or migrate the database, recover from any crash, start the writer thread.

        ``recover=True`` (the booth) takes the data folder's lock first and keeps it until :meth:`close`;
        a second opener with recovery gets a one-line :class:`StorageError`. ``recover=False`` (a helper
        such as ``booth retention``) takes no lock and leaves everything as it finds it: the report is empty.
        """
        for sub in (self.root, self.root / SESSIONS_DIR, self.root / EXPORTS_DIR):
            sub.mkdir(parents=True, exist_ok=True)
        if recover:
            self._lock.acquire()
        try:
            self._writer.connect()
            self.recovery = self.recover() if recover else RecoveryReport()
        except BaseException:
            self._writer.disconnect(truncate=self._lock.held)
            self._lock.release()
            raise
        self._writer.start()
        return self.recovery

    def close(self) -> None:
        """Finish queued writes, stop the writer, close the database, release the lock."""
        self._writer.stop()
        try:
            self._writer.disconnect(truncate=self._lock.held)
        finally:
            self._lock.release()

    def check_lock(self) -> None:
        """Raise :meth:`open`'s one-line :class:`StorageError` now if another booth holds the lock.

        For ``booth run`` before it claims the camera and the pins, whose own "busy" errors would not say
        that another booth is the cause. Takes the lock and drops it at once; :meth:`open` keeps it.
        """
        if not self._lock.held:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
            self._lock.release()

    def __enter__(self) -> Storage:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def recover(self) -> RecoveryReport:
        """Run at start, before any write: undo what a crash left behind (see :mod:`booth.storage.recovery`).

        Removes temp files, marks sessions still ``active`` as aborted (their process died), flags rows
        whose photo is missing or (with ``verify_hashes_on_start``) altered, and removes files and folders
        no row refers to. All of that is only true of a booth that is not running, hence the lock.
        """
        if not self._lock.held:
            raise StorageError(
                f"{self.root}: recovery needs {LOCK_NAME}, which this Storage does not hold; "
                "open it with recover=True"
            )
        with translated(self.db_path, "recovering after a restart"):
            return recovery.recover(
                self._writer, self.root, self._clock, self.settings.verify_hashes_on_start
            )

    def _call(self, doing: str, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the writer thread (``doing`` names it in an error) and return its result."""
        return self._writer.call(fn, *args, doing=doing, timeout=self.settings.write_timeout)

    # -- disk guard ------------------------------------------------------------------------------------

    def free_bytes(self) -> int:
        try:
            return int(self._free_space(self.root))
        except OSError as err:  # the data folder gone (a USB drive pulled): the booth's one line, not a trace
            raise os_error(err, "measuring the free space") from None

    def check_can_start(self) -> None:
        """Raise :class:`DiskFullError` if a new session must not start (the page may call it to warn)."""
        free, need = self.free_bytes(), self.settings.min_free_mb * MB
        if free < need:
            raise DiskFullError(
                f"only {free / MB:.0f} MB free on {self.root}, a new session needs {need / MB:.0f} MB; "
                "delete old sessions or free disk space"
            )

    # -- writes ----------------------------------------------------------------------------------------

    def start_session(self, shot_list: Sequence[str] = (), consent_text: str = "") -> SessionRecord:
        """Create a session (call on consent: nothing is stored before). Refuses when the disk is low."""
        self.check_can_start()
        return self._call(
            "starting a session",
            sessions.start_session,
            self._writer,
            self.root,
            self._clock,
            tuple(shot_list),
            consent_text,
        )

    def add_shot(
        self,
        session_id: int,
        look: str,
        image: np.ndarray | bytes,
        *,
        scores: Mapping[str, Any],
        verdicts: Mapping[str, Any] | None = None,
        combined: float | None = None,
        crops: Mapping[str, Sequence[int]] | None = None,
        best: bool = False,
        signals: Mapping[str, float] | None = None,
    ) -> ShotRecord:
        """Keep one photo (RGB pixels, or JPEG bytes already encoded) with its scores and crop boxes, and
        the subject's ``signals`` relative to the sitter's rest (what a refit of its look learns from).

        Refuses with :class:`DiskFullError` before writing anything when the disk is too full for it.
        """
        shot = prepare_shot(
            session_id,
            look,
            image,
            self.settings.jpeg_quality,
            scores=scores,
            verdicts=verdicts,
            combined=combined,
            crops=crops,
            best=best,
            signals=signals,
        )
        check_room_for(shot, self.root, self.free_bytes(), self.settings.shot_reserve_mb)
        doing = f"saving a photo of session {session_id}"
        return self._call(doing, save_shot, self._writer, self.root, self._clock, shot)

    def mark_best(self, shot_id: int) -> None:
        """Make ``shot_id`` the one best shot of its look in its session."""
        self._call(f"marking shot {shot_id} best", sessions.mark_best, self._writer, shot_id)

    def mark_shot(self, shot_id: int, good: bool | None) -> bool:
        """The photographer's mark on ``shot_id`` for the look it was shot for (None clears it); False if
        there is no such shot."""
        return self._call(f"marking shot {shot_id}", marks.mark_shot, self._writer, shot_id, good)

    def log_event(
        self, session_id: int | None, kind: str, message: str, data: Mapping[str, Any] | None = None
    ) -> None:
        """Append to the session's events (``session_id`` None: a booth-wide event)."""
        args = (self._writer, self._clock, session_id, kind, message, dict(data or {}))
        self._call(f"logging a {kind} event", sessions.log_event, *args)

    def end_session(self, session_id: int, status: str) -> None:
        """Close an active session as delivered, expired or aborted (idempotent for an ended one)."""
        if status not in STATUSES[1:]:
            raise ValueError(f"status {status!r}; use one of {', '.join(STATUSES[1:])}")
        doing = f"ending session {session_id}"
        self._call(doing, sessions.end_session, self._writer, self._clock, session_id, status)

    def delete_session(self, session_id: int, reason: str = "on request") -> bool:
        """Delete a session's rows, photos, sidecars and export; False if there was no such session."""
        return self._delete(session_id, reason, ended_only=False)

    def _delete(self, session_id: int, reason: str, ended_only: bool) -> bool:
        args = (self._writer, self.root, self._clock, session_id, reason, ended_only)
        return self._call(f"deleting session {session_id}", sessions.delete_session, *args)

    def prune(self, now: float | None = None) -> list[int]:
        """Delete ended sessions older than ``retention_days``; returns their ids (none if retention is 0).

        Never an active one: the booth may be running it right now (``booth retention`` runs beside it).
        """
        days = self.settings.retention_days
        if days <= 0:
            return []
        cutoff = (self._clock() if now is None else now) - days * 86400
        with read_only(self.db_path, "finding sessions to delete") as conn:
            query = "SELECT id FROM sessions WHERE created_at < ? AND status != 'active' ORDER BY id"
            ids = [int(r["id"]) for r in conn.execute(query, (cutoff,))]
        # ended_only: checked again inside the delete's transaction, not just trusted from the read above.
        reason = f"older than {days:g} days"
        return [sid for sid in ids if self._delete(sid, reason, ended_only=True)]

    # -- the outbox (cloud delivery; see booth.storage.outbox) -------------------------------------------

    def deliver(self, session_id: int, folder: str, link: str, plans: Sequence[UploadPlan]) -> DeliveryRecord:
        """Queue the session's delivery under ``folder`` (idempotent: a second call keeps the first)."""
        args = (self._writer, self._clock, session_id, folder, link, tuple(plans))
        return self._call(f"queuing the delivery of session {session_id}", outbox.deliver, *args)

    def delivery(self, session_id: int) -> DeliveryRecord | None:
        return outbox.delivery(self.db_path, session_id)

    def next_outbox_job(self, now: float) -> OutboxJob | None:
        return outbox.next_job(self.db_path, now)

    def next_outbox_due(self) -> float | None:
        return outbox.next_due(self.db_path)

    def outbox_done(self, job_id: int, kind: str, sha256: str = "", size: int = 0) -> bool:
        args = (self._writer, self._clock, job_id, kind, sha256, size)
        return self._call(f"recording {kind} {job_id} as done", outbox.mark_done, *args)

    def outbox_failed(self, job_id: int, kind: str, error: str, retry_at: float) -> None:
        args = (self._writer, job_id, kind, error, retry_at)
        self._call(f"recording a failed {kind} {job_id}", outbox.mark_failed, *args)

    def outbox_summary(self) -> OutboxSummary:
        return outbox.summary(self.db_path)

    def day_counts(self, since: float) -> tuple[int, int]:
        """(sessions started, photos kept) since ``since`` (wall-clock seconds), for the fleet's status."""
        with read_only(self.db_path, "counting today's sessions") as conn:
            row = conn.execute(
                "SELECT (SELECT COUNT(*) FROM sessions WHERE created_at >= ?),"
                " (SELECT COUNT(*) FROM shots WHERE taken_at >= ?)",
                (since, since),
            ).fetchone()
        return int(row[0]), int(row[1])

    # -- reads -----------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def reader(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection for one request (any thread); SQLite errors come out as StorageError."""
        with read_only(self.db_path) as conn:
            yield conn

    def session(self, session_id: int) -> SessionRecord | None:
        with read_only(self.db_path, f"reading session {session_id}") as conn:
            row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return SessionRecord.from_row(row) if row else None

    def session_by_token(self, token: str) -> SessionRecord | None:
        with read_only(self.db_path, "looking up a gallery link") as conn:
            row = conn.execute("SELECT * FROM sessions WHERE token = ?", (token,)).fetchone()
        return SessionRecord.from_row(row) if row else None

    def sessions(self, limit: int = 100) -> list[SessionRecord]:
        with read_only(self.db_path, "listing sessions") as conn:
            rows = conn.execute("SELECT * FROM sessions ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [SessionRecord.from_row(r) for r in rows]

    def count_sessions(self) -> int:
        """How many sessions are stored, whatever their status (a read-only WAL read: never waits)."""
        with read_only(self.db_path, "counting sessions") as conn:
            return int(conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])

    def shots(self, session_id: int, only_ok: bool = True) -> list[ShotRecord]:
        query = "SELECT * FROM shots WHERE session_id = ?" + (" AND status = 'ok'" if only_ok else "")
        with read_only(self.db_path, f"reading the shots of session {session_id}") as conn:
            rows = conn.execute(query + " ORDER BY id", (session_id,)).fetchall()
        return [ShotRecord.from_row(r) for r in rows]

    def events(self, session_id: int) -> list[dict[str, Any]]:
        with read_only(self.db_path, f"reading the events of session {session_id}") as conn:
            query = "SELECT * FROM events WHERE session_id = ? ORDER BY id"
            rows = conn.execute(query, (session_id,)).fetchall()
        return [{**dict(r), "data": json.loads(r["data"])} for r in rows]

    def marked(self, look: str | None = None) -> list[ShotRecord]:
        """Every intact shot with a mark (of ``look`` only, if given), oldest first: a refit's examples."""
        return marks.marked(self.db_path, look)

    def gallery(self, token: str) -> list[ShotRecord]:
        """The photos a gallery link shows: committed, verified rows only (an unknown token shows nothing)."""
        session = self.session_by_token(token)
        return [] if session is None else self.shots(session.id)

    def path_of(self, shot: ShotRecord) -> Path:
        return self.root / shot.path

    # -- export ----------------------------------------------------------------------------------------

    def export_zip(self, session_id: int, *, sidecars: bool) -> Path:
        """Return a zip of the session's originals and 4:5 and 1:1 crops, built only when needed: with
        ``sidecars`` the operator's ``exports/<dir>.zip`` (each photo's sidecar too), without them the
        client's ``exports/<dir>.photos.zip`` (their photos and nothing else).

        Built here, renamed on the writer only if the session still exists; reused while its shots are
        unchanged (see :mod:`booth.storage.export` for why).
        """
        session = self.session(session_id)
        if session is None:
            raise SessionNotFound(f"no session {session_id}; it was deleted or never started")

        def install(tmp: Path, target: Path) -> bool:
            args = (self._writer, session_id, session.token, tmp, target)
            return self._call(f"exporting session {session_id}", export.install_export, *args)

        shots = self.shots(session_id)
        quality = self.settings.jpeg_quality

        def add_shot(zf: zipfile.ZipFile, shot: ShotRecord) -> None:
            self._export_shot(zf, shot, sidecars)

        target = export.build_export(self.root, session, shots, quality, add_shot, install, sidecars=sidecars)
        if target is None:
            raise SessionNotFound(f"no session {session_id}; it was deleted while its zip was being built")
        return target

    def _export_shot(self, zf: zipfile.ZipFile, shot: ShotRecord, sidecars: bool) -> None:
        """One shot's entries in an export (a seam: the tests subclass it to delete mid-export)."""
        export.export_shot(zf, self.path_of(shot), shot.crops, self.settings.jpeg_quality, sidecars=sidecars)

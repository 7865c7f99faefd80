"""Sessions, shots and events in SQLite; photos as files beside it. Built so that nothing is ever lost.

Why it is shaped like this:

* **One writer.** Every write runs on one thread fed by a queue (:meth:`Storage._call`), so SQLite never sees
  two writers and the order of writes is the order of calls. The page reads through short-lived read-only
  connections (:meth:`Storage.reader`); WAL mode lets them read while the writer writes.
* **Files before rows, rows inside one transaction.** A shot is ``BEGIN IMMEDIATE``, insert the row (which
  gives the file its id), write the photo and its JSON sidecar atomically (temp file in the same folder,
  fsync, rename, fsync the folder), ``COMMIT``. A crash at any point leaves either a committed row whose
  complete files exist, or no row and some unreferenced files, which the next start removes
  (:meth:`Storage.recover`). The gallery lists rows, never folders, so it cannot show a half-written file.
* **Files alone are self-describing.** Photo ``NNNNN-look.jpg`` has ``NNNNN-look.json`` beside it with its
  scores, verdicts, crop boxes and sha256: a folder copied off the card still says what every photo is.
* **Versioned schema.** :data:`MIGRATIONS` is append-only; ``PRAGMA user_version`` records how many ran. Each
  migration runs in one transaction with its version bump.
* **One booth per data folder.** The booth holds an exclusive ``flock`` on ``booth.lock`` for as long as its
  storage is open, and :meth:`Storage.recover` runs only under that lock: recovery treats every ``active``
  session, temp file and unreferenced file as a crash's leftovers, which is true only when no other process
  is writing. A helper (``booth retention``) opens with ``recover=False``: no lock, no recovery, and it
  deletes only ended sessions, so it can run next to the live booth. The kernel drops the lock when the
  holder dies, however it dies, so a crashed booth never blocks its own restart.
* **Disk guard.** A new session needs ``min_free_mb`` free; a shot needs its own size plus
  ``shot_reserve_mb``. Both refuse with a one-line :class:`~booth.errors.DiskFullError` before writing
  anything, and a real ENOSPC mid-write rolls the row back and removes the partial files, so the session's
  earlier shots stay intact either way.

Each session's gallery link carries ``token`` (``secrets.token_urlsafe(24)``: 192 random bits); its folder
is named by date and id, never by the token.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io
import json
import logging
import os
import queue
import re
import secrets
import shutil
import sqlite3
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from booth.atomic import fsync_dir, write_atomic
from booth.errors import DiskFullError, SessionNotFound, StorageError

log = logging.getLogger(__name__)

MB = 1024 * 1024
DB_NAME = "booth.db"
LOCK_NAME = "booth.lock"
SESSIONS_DIR = "sessions"
EXPORTS_DIR = "exports"
STATUSES = ("active", "delivered", "expired", "aborted")
SIDECAR_FORMAT = "headshot-booth shot v1"
EXPORT_FORMAT = "headshot-booth export v1"

#: Append-only. Migration ``n`` (1-based) brings the schema from ``user_version`` n-1 to n.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        token TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL DEFAULT 'active'
            CHECK (status IN ('active', 'delivered', 'expired', 'aborted')),
        shot_list TEXT NOT NULL DEFAULT '[]',
        consent_text TEXT NOT NULL DEFAULT '',
        dir TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL,
        ended_at REAL
    );
    CREATE TABLE shots (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        look TEXT NOT NULL,
        combined REAL,
        scores TEXT NOT NULL DEFAULT '{}',
        verdicts TEXT NOT NULL DEFAULT '{}',
        best INTEGER NOT NULL DEFAULT 0,
        path TEXT NOT NULL UNIQUE,
        sha256 TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        crops TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'missing', 'corrupt')),
        taken_at REAL NOT NULL
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        session_id INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        data TEXT NOT NULL DEFAULT '{}'
    );
    """,
    """
    CREATE INDEX shots_by_session ON shots(session_id);
    CREATE INDEX events_by_session ON events(session_id);
    CREATE INDEX sessions_by_created ON sessions(created_at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


# ----------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class SessionRecord:
    id: int
    token: str  # the gallery link's secret
    status: str
    shot_list: tuple[str, ...]
    consent_text: str
    dir: str  # relative to the storage root
    created_at: float  # wall-clock seconds
    ended_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> SessionRecord:
        return cls(
            id=row["id"],
            token=row["token"],
            status=row["status"],
            shot_list=tuple(json.loads(row["shot_list"])),
            consent_text=row["consent_text"],
            dir=row["dir"],
            created_at=row["created_at"],
            ended_at=row["ended_at"],
        )


@dataclass(frozen=True)
class ShotRecord:
    id: int
    session_id: int
    look: str
    combined: float | None
    scores: dict[str, Any]
    verdicts: dict[str, Any]
    best: bool
    path: str  # the photo, relative to the storage root; the sidecar is the same path with .json
    sha256: str
    bytes: int
    width: int
    height: int
    crops: dict[str, tuple[int, int, int, int]]
    status: str  # ok, missing, corrupt
    taken_at: float

    @property
    def sidecar(self) -> str:
        return str(Path(self.path).with_suffix(".json"))

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ShotRecord:
        return cls(
            id=row["id"],
            session_id=row["session_id"],
            look=row["look"],
            combined=row["combined"],
            scores=json.loads(row["scores"]),
            verdicts=json.loads(row["verdicts"]),
            best=bool(row["best"]),
            path=row["path"],
            sha256=row["sha256"],
            bytes=row["bytes"],
            width=row["width"],
            height=row["height"],
            crops={k: tuple(v) for k, v in json.loads(row["crops"]).items()},
            status=row["status"],
            taken_at=row["taken_at"],
        )


@dataclass(frozen=True)
class RecoveryReport:
    """What :meth:`Storage.recover` found and fixed at start."""

    temp_removed: int = 0
    sessions_aborted: tuple[int, ...] = ()
    shots_missing: tuple[int, ...] = ()
    orphans_removed: int = 0


# ----------------------------------------------------------------------------------------------- helpers


def encode_jpeg(pixels: np.ndarray, quality: int = 92) -> bytes:
    """HxWx3 uint8 RGB to JPEG bytes (Pillow)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), "RGB").save(
        buf, "JPEG", quality=quality, optimize=False
    )
    return buf.getvalue()


def is_temp_name(name: str) -> bool:
    """Names of in-flight writes: ``.<name>.<random>.tmp`` (see :func:`booth.atomic.write_atomic`)."""
    return name.startswith(".") and name.endswith(".tmp")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "look"


def _disk_error(err: BaseException) -> bool:
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return (
        isinstance(err, sqlite3.OperationalError)
        and getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    )


def _zip_comment(path: Path) -> bytes | None:
    """The comment of the zip at ``path``; None when there is none or it is not a readable zip."""
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.comment
    except (OSError, zipfile.BadZipFile):
        return None


def default_free_space(path: Path) -> int:
    """Free bytes for an unprivileged writer on the filesystem of ``path``."""
    return shutil.disk_usage(path).free


# ----------------------------------------------------------------------------------------------- storage


class Storage:
    """The booth's store under ``root``: ``booth.db``, ``sessions/<dir>/`` photos, ``exports/`` zips.

    Use as a context manager (``with Storage(root) as store:``) or call :meth:`open`/:meth:`close`.
    ``free_space`` (bytes free at a path) and ``clock`` (wall-clock seconds) are injectable for tests.
    """

    def __init__(
        self,
        root: Path | str,
        settings: Any = None,
        *,
        free_space: Callable[[Path], int] = default_free_space,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if settings is None:
            from booth.config import StorageSettings  # deferred: config pulls in pydantic

            settings = StorageSettings()
        self.root = Path(root)
        self.settings = settings
        self.db_path = self.root / DB_NAME
        self.lock_path = self.root / LOCK_NAME
        self._lock_fd: int | None = None
        self._free_space = free_space
        self._clock = clock
        self._conn: sqlite3.Connection | None = None
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
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
            self._lock()
        try:
            self._open_database()
            self.recovery = self.recover() if recover else RecoveryReport()
        except BaseException:
            self._close_database()
            self._unlock()
            raise
        self._thread = threading.Thread(target=self._run, name="storage-writer", daemon=True)
        self._thread.start()
        return self.recovery

    def _open_database(self) -> None:
        try:
            conn = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False, timeout=10)
            conn.row_factory = sqlite3.Row
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as err:
            raise StorageError(
                f"{self.db_path}: cannot open the database ({err}); restore it from a backup"
            ) from None
        if mode != "wal":
            log.warning("%s: journal mode is %s, not wal", self.db_path, mode)
        self._conn = conn
        migrate(conn, self.db_path)

    def close(self) -> None:
        """Finish queued writes, stop the writer, close the database, release the lock."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._close_database()
        self._unlock()

    def _close_database(self) -> None:
        if self._conn is not None:
            # TRUNCATE holds off other writers until readers finish: only the booth (the lock holder) may;
            # a helper beside the live booth must not stall its shots, so it checkpoints what it can.
            mode = "TRUNCATE" if self._lock_fd is not None else "PASSIVE"
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute(f"PRAGMA wal_checkpoint({mode})")
            self._conn.close()
            self._conn = None

    def check_lock(self) -> None:
        """Raise :meth:`open`'s one-line :class:`StorageError` now if another booth holds the lock.

        For ``booth run`` before it claims the camera and the pins, whose own "busy" errors would not say
        that another booth is the cause. Takes the lock and drops it at once; :meth:`open` keeps it.
        """
        if self._lock_fd is None:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock()
            self._unlock()

    def _lock(self) -> None:
        """Take ``booth.lock`` (exclusive, non-blocking) and write our pid into it for the error message."""
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
        except OSError as err:
            raise StorageError(
                f"{self.lock_path}: cannot open the lock ({err.strerror or err}); "
                "make the data folder writable by the booth's user"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            holder = f"pid {pid}" if pid else "another process"
            raise StorageError(
                f"{self.lock_path} is held by {holder}: another booth is running on this data folder; "
                "stop it (sudo systemctl stop booth) or pass another --data folder"
            ) from None
        except OSError:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the only descriptor releases the flock
            self._lock_fd = None

    def __enter__(self) -> Storage:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            fn, args, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as err:  # handed to the caller, who raises it
                future.set_exception(err)

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on the writer thread and return its result (or raise its error)."""
        if self._thread is None or not self._thread.is_alive():
            raise StorageError(f"{self.root}: storage is not open; open it before writing")
        future: Future = Future()
        self._queue.put((fn, args, future))
        try:
            return future.result(timeout=self.settings.write_timeout)
        except TimeoutError:
            raise StorageError(
                f"{self.root}: the writer did not answer within {self.settings.write_timeout:g} s; "
                "check the disk (slow or failing card)"
            ) from None

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # -- disk guard ------------------------------------------------------------------------------------

    def free_bytes(self) -> int:
        return int(self._free_space(self.root))

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
        return self._call(self._start_session, tuple(shot_list), consent_text)

    def _start_session(self, shot_list: tuple[str, ...], consent_text: str) -> SessionRecord:
        now = self._clock()
        token = secrets.token_urlsafe(24)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO sessions (token, shot_list, consent_text, dir, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (token, json.dumps(list(shot_list)), consent_text, f"pending-{token}", now),
            )
            sid = int(cur.lastrowid)
            rel = f"{SESSIONS_DIR}/{stamp}-{sid:06d}"
            conn.execute("UPDATE sessions SET dir = ? WHERE id = ?", (rel, sid))
            self._insert_event(sid, "session", "Session started.", {"shot_list": list(shot_list)})
            (self.root / rel).mkdir(exist_ok=True)
            fsync_dir(self.root / SESSIONS_DIR)
            row = conn.execute("SELECT * FROM sessions WHERE id = ?", (sid,)).fetchone()
        log.info("session %d started (%s)", sid, rel)
        return SessionRecord.from_row(row)

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
    ) -> ShotRecord:
        """Keep one photo (RGB pixels, or JPEG bytes already encoded) with its scores and crop boxes."""
        data = image if isinstance(image, bytes) else encode_jpeg(image, self.settings.jpeg_quality)
        with Image.open(io.BytesIO(data)) as probe:
            size = probe.size
        free, need = self.free_bytes(), 2 * len(data) + self.settings.shot_reserve_mb * MB
        if free < need:
            raise DiskFullError(
                f"only {free / MB:.0f} MB free on {self.root}, too little to keep another photo; "
                "end this session (its photos are safe) and free disk space"
            )
        meta = {
            "look": look,
            "scores": dict(scores),
            "verdicts": dict(verdicts or {}),
            "combined": combined,
            "crops": {k: [int(v) for v in box] for k, box in (crops or {}).items()},
            "best": best,
        }
        return self._call(self._add_shot, session_id, data, size, meta)

    def _add_shot(self, session_id: int, data: bytes, size: tuple[int, int], meta: dict) -> ShotRecord:
        now = self._clock()
        sha = hashlib.sha256(data).hexdigest()
        written: list[Path] = []
        try:
            with self._tx() as conn:
                session = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
                if session is None or session["status"] != "active":
                    state = "unknown" if session is None else session["status"]
                    raise StorageError(f"session {session_id} is {state}, not active; start a new session")
                cur = conn.execute(
                    "INSERT INTO shots (session_id, look, combined, scores, verdicts, best, path, sha256,"
                    " bytes, width, height, crops, taken_at) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?)",
                    (
                        session_id,
                        meta["look"],
                        meta["combined"],
                        json.dumps(meta["scores"]),
                        json.dumps(meta["verdicts"]),
                        int(meta["best"]),
                        sha,
                        len(data),
                        size[0],
                        size[1],
                        json.dumps(meta["crops"]),
                        now,
                    ),
                )
                shot_id = int(cur.lastrowid)
                rel = f"{session['dir']}/{shot_id:05d}-{_slug(meta['look'])}.jpg"
                conn.execute("UPDATE shots SET path = ? WHERE id = ?", (rel, shot_id))
                if meta["best"]:
                    conn.execute(
                        "UPDATE shots SET best = 0 WHERE session_id = ? AND look = ? AND id != ?",
                        (session_id, meta["look"], shot_id),
                    )
                photo = self.root / rel
                sidecar = {
                    "format": SIDECAR_FORMAT,
                    "session": session_id,
                    "shot": shot_id,
                    "photo": photo.name,
                    "sha256": sha,
                    "bytes": len(data),
                    "width": size[0],
                    "height": size[1],
                    "taken_at": now,
                    **meta,
                }
                written.append(photo)
                write_atomic(photo, data)
                written.append(photo.with_suffix(".json"))
                write_atomic(photo.with_suffix(".json"), json.dumps(sidecar, indent=1).encode())
                row = conn.execute("SELECT * FROM shots WHERE id = ?", (shot_id,)).fetchone()
        except (OSError, sqlite3.Error) as err:
            for path in written:
                path.unlink(missing_ok=True)
            if _disk_error(err):
                raise DiskFullError(
                    f"disk full while saving a photo of session {session_id} ({err.__class__.__name__}); "
                    "its earlier photos are intact: end the session and free disk space"
                ) from None
            if isinstance(err, StorageError):
                raise
            raise StorageError(
                f"cannot save a photo of session {session_id} ({err}); check the disk"
            ) from None
        return ShotRecord.from_row(row)

    def mark_best(self, shot_id: int) -> None:
        """Make ``shot_id`` the one best shot of its look in its session."""
        self._call(self._mark_best, shot_id)

    def _mark_best(self, shot_id: int) -> None:
        with self._tx() as conn:
            row = conn.execute("SELECT session_id, look FROM shots WHERE id = ?", (shot_id,)).fetchone()
            if row is None:
                raise StorageError(f"no shot {shot_id}; it was deleted or never saved")
            conn.execute(
                "UPDATE shots SET best = (id = ?) WHERE session_id = ? AND look = ?",
                (shot_id, row["session_id"], row["look"]),
            )

    def log_event(
        self, session_id: int | None, kind: str, message: str, data: Mapping[str, Any] | None = None
    ) -> None:
        """Append to the session's events (``session_id`` None: a booth-wide event)."""
        self._call(self._log_event, session_id, kind, message, dict(data or {}))

    def _log_event(self, session_id: int | None, kind: str, message: str, data: dict) -> None:
        with self._tx():
            self._insert_event(session_id, kind, message, data)

    def _insert_event(self, session_id: int | None, kind: str, message: str, data: dict) -> None:
        assert self._conn is not None
        self._conn.execute(
            "INSERT INTO events (session_id, at, kind, message, data) VALUES (?, ?, ?, ?, ?)",
            (session_id, self._clock(), kind, message, json.dumps(data, default=str)),
        )

    def end_session(self, session_id: int, status: str) -> None:
        """Close an active session as delivered, expired or aborted (idempotent for an ended one)."""
        if status not in STATUSES[1:]:
            raise ValueError(f"status {status!r}; use one of {', '.join(STATUSES[1:])}")
        self._call(self._end_session, session_id, status)

    def _end_session(self, session_id: int, status: str) -> None:
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE sessions SET status = ?, ended_at = ? WHERE id = ? AND status = 'active'",
                (status, self._clock(), session_id),
            )
            if cur.rowcount:
                self._insert_event(session_id, "session", f"Session {status}.", {})

    def delete_session(self, session_id: int, reason: str = "on request") -> bool:
        """Delete a session's rows, photos, sidecars and export; False if there was no such session."""
        return self._call(self._delete_session, session_id, reason)

    def _delete_session(self, session_id: int, reason: str, ended_only: bool = False) -> bool:
        with self._tx() as conn:
            row = conn.execute("SELECT dir, status FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None or (ended_only and row["status"] == "active"):
                return False
            conn.execute(
                "DELETE FROM sessions WHERE id = ?", (session_id,)
            )  # shots, events: ON DELETE CASCADE
            self._insert_event(
                None, "deleted", f"Session {session_id} deleted ({reason}).", {"dir": row["dir"]}
            )
        # Rows first: a crash here leaves only unreferenced files, which recover() removes.
        self._remove_session_files(row["dir"])
        log.info("session %d deleted (%s)", session_id, reason)
        return True

    def _remove_session_files(self, rel_dir: str) -> None:
        shutil.rmtree(self.root / rel_dir, ignore_errors=True)
        (self.root / EXPORTS_DIR / f"{Path(rel_dir).name}.zip").unlink(missing_ok=True)
        fsync_dir(self.root / SESSIONS_DIR)

    def prune(self, now: float | None = None) -> list[int]:
        """Delete ended sessions older than ``retention_days``; returns their ids (none if retention is 0).

        Never an active one: the booth may be running it right now (``booth retention`` runs beside it).
        """
        days = self.settings.retention_days
        if days <= 0:
            return []
        cutoff = (self._clock() if now is None else now) - days * 86400
        with self.reader() as conn:
            ids = [
                r["id"]
                for r in conn.execute(
                    "SELECT id FROM sessions WHERE created_at < ? AND status != 'active' ORDER BY id",
                    (cutoff,),
                )
            ]
        # ended_only: checked again inside the delete's transaction, not just trusted from the read above.
        reason = f"older than {days:g} days"
        return [sid for sid in ids if self._call(self._delete_session, sid, reason, True)]

    # -- reads -----------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def reader(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection for one request (any thread)."""
        try:
            conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        except sqlite3.Error as err:
            raise StorageError(
                f"{self.db_path}: cannot open for reading ({err}); is the booth set up?"
            ) from None
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        finally:
            conn.close()

    def session(self, session_id: int) -> SessionRecord | None:
        with self.reader() as conn:
            row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return SessionRecord.from_row(row) if row else None

    def session_by_token(self, token: str) -> SessionRecord | None:
        with self.reader() as conn:
            row = conn.execute("SELECT * FROM sessions WHERE token = ?", (token,)).fetchone()
        return SessionRecord.from_row(row) if row else None

    def sessions(self, limit: int = 100) -> list[SessionRecord]:
        with self.reader() as conn:
            rows = conn.execute("SELECT * FROM sessions ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [SessionRecord.from_row(r) for r in rows]

    def count_sessions(self) -> int:
        """How many sessions are stored, whatever their status (a read-only WAL read: never waits)."""
        with self.reader() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])

    def shots(self, session_id: int, only_ok: bool = True) -> list[ShotRecord]:
        query = "SELECT * FROM shots WHERE session_id = ?" + (" AND status = 'ok'" if only_ok else "")
        with self.reader() as conn:
            rows = conn.execute(query + " ORDER BY id", (session_id,)).fetchall()
        return [ShotRecord.from_row(r) for r in rows]

    def events(self, session_id: int) -> list[dict[str, Any]]:
        with self.reader() as conn:
            rows = conn.execute(
                "SELECT * FROM events WHERE session_id = ? ORDER BY id", (session_id,)
            ).fetchall()
        return [{**dict(r), "data": json.loads(r["data"])} for r in rows]

    def gallery(self, token: str) -> list[ShotRecord]:
        """The photos a gallery link shows: committed, verified rows only (an unknown token shows nothing)."""
        session = self.session_by_token(token)
        return [] if session is None else self.shots(session.id)

    def path_of(self, shot: ShotRecord) -> Path:
        return self.root / shot.path

    # -- export ----------------------------------------------------------------------------------------

    def export_zip(self, session_id: int) -> Path:
        """Return ``exports/<dir>.zip`` (originals, 4:5 and 1:1 crops, sidecars), built only when needed.

        Why it is built here but renamed on the writer: building takes seconds (every crop is re-encoded) and
        must not hold up shots, while the rename must be ordered with deletions. The writer renames inside a
        write transaction that first checks the session still exists: a deletion (this process's, on the
        same writer, or ``booth retention``'s, whose delete transaction waits for ours) either came first, and
        the export is dropped, or comes after, and removes the new zip with the rest of the session.

        Why a fingerprint and not the zip's age: the zip's comment records which shots it holds (ids,
        sha256s, crop quality), and a download whose shots match returns the zip as it is. A zip merely
        newer than the last shot could still miss a shot committed while it was being built, or hold one
        that recovery has since hidden.
        """
        session = self.session(session_id)
        if session is None:
            raise SessionNotFound(f"no session {session_id}; it was deleted or never started")
        shots = self.shots(session_id)
        exports = self.root / EXPORTS_DIR
        target = exports / f"{Path(session.dir).name}.zip"
        stamp = self._export_stamp(session, shots)
        if _zip_comment(target) == stamp:
            return target
        fd, tmp = tempfile.mkstemp(dir=exports, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
                    zf.comment = stamp
                    for shot in shots:
                        self._export_shot(zf, shot)
                fh.flush()
                os.fsync(fh.fileno())
            installed = self._call(self._install_export, session_id, session.token, Path(tmp), target)
        except StorageError:
            raise
        except OSError as err:
            if _disk_error(err):
                raise DiskFullError(
                    f"disk full while exporting session {session_id}; free disk space"
                ) from None
            raise StorageError(f"cannot export session {session_id} ({err}); check the disk") from None
        finally:
            Path(tmp).unlink(missing_ok=True)  # gone already once renamed
        if not installed:
            raise SessionNotFound(f"no session {session_id}; it was deleted while its zip was being built")
        return target

    def _install_export(self, session_id: int, token: str, tmp: Path, target: Path) -> bool:
        """Writer side of :meth:`export_zip`: rename the built zip into place only if its session exists."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT 1 FROM sessions WHERE id = ? AND token = ?", (session_id, token)
            ).fetchone()
            if row is None:  # deleted (SQLite may give its id to the next session: the token must match too)
                return False
            os.replace(tmp, target)
            fsync_dir(target.parent)
        return True

    def _export_stamp(self, session: SessionRecord, shots: Sequence[ShotRecord]) -> bytes:
        """The zip comment naming what an export holds (see :meth:`export_zip`)."""
        held = json.dumps([session.token, self.settings.jpeg_quality, [[s.id, s.sha256] for s in shots]])
        return f"{EXPORT_FORMAT} {hashlib.sha256(held.encode()).hexdigest()}".encode()

    def _export_shot(self, zf: zipfile.ZipFile, shot: ShotRecord) -> None:
        photo = self.path_of(shot)
        zf.write(photo, f"originals/{photo.name}")
        zf.write(photo.with_suffix(".json"), f"originals/{photo.with_suffix('.json').name}")
        if not shot.crops:
            return
        with Image.open(photo) as image:
            image.load()
            for name, box in shot.crops.items():
                buf = io.BytesIO()
                image.crop(box).save(buf, "JPEG", quality=self.settings.jpeg_quality)
                zf.writestr(f"crops/{photo.stem}-{name}.jpg", buf.getvalue())

    # -- recovery --------------------------------------------------------------------------------------

    def recover(self) -> RecoveryReport:
        """Run at start, before any write: undo what a crash left behind.

        Removes temp files, marks sessions still ``active`` as aborted (their process died), flags rows
        whose photo is missing or (with ``verify_hashes_on_start``) altered, and removes files and folders
        no row refers to (writes that never committed, deletions that were cut short).

        All of that is only true of a booth that is not running, hence the lock (see :meth:`open`).
        """
        if self._lock_fd is None:
            raise StorageError(
                f"{self.root}: recovery needs {LOCK_NAME}, which this Storage does not hold; "
                "open it with recover=True"
            )
        temp = 0
        for folder in (self.root / SESSIONS_DIR, self.root / EXPORTS_DIR):
            for path in folder.rglob(".*.tmp"):
                path.unlink(missing_ok=True)
                temp += 1
        conn = self._conn
        assert conn is not None
        with self._tx():
            aborted = tuple(r["id"] for r in conn.execute("SELECT id FROM sessions WHERE status = 'active'"))
            for sid in aborted:
                conn.execute(
                    "UPDATE sessions SET status = 'aborted', ended_at = ? WHERE id = ?", (self._clock(), sid)
                )
                self._insert_event(sid, "recovered", "The booth restarted mid-session; session aborted.", {})
            missing = self._verify_rows()
        orphans = self._remove_orphans()
        report = RecoveryReport(temp, aborted, missing, orphans)
        if temp or aborted or missing or orphans:
            log.warning("recovered %s: %s", self.root, report)
        return report

    def _verify_rows(self) -> tuple[int, ...]:
        assert self._conn is not None
        bad = []
        for row in self._conn.execute(
            "SELECT id, session_id, path, sha256, bytes FROM shots WHERE status = 'ok'"
        ):
            photo = self.root / row["path"]
            try:
                size = photo.stat().st_size
            except FileNotFoundError:
                status = "missing"
            else:
                status = "ok" if size == row["bytes"] else "corrupt"
                if status == "ok" and self.settings.verify_hashes_on_start:
                    status = (
                        "ok" if hashlib.sha256(photo.read_bytes()).hexdigest() == row["sha256"] else "corrupt"
                    )
            if status != "ok":
                bad.append((row["id"], row["session_id"], status, row["path"]))
        for shot_id, sid, status, path in bad:
            self._conn.execute("UPDATE shots SET status = ? WHERE id = ?", (status, shot_id))
            self._insert_event(sid, "recovered", f"Photo {path} is {status}; hidden from the gallery.", {})
        return tuple(b[0] for b in bad)

    def _remove_orphans(self) -> int:
        assert self._conn is not None
        dirs = {r["dir"] for r in self._conn.execute("SELECT dir FROM sessions")}
        files = set()
        for r in self._conn.execute("SELECT path FROM shots"):
            files.add(r["path"])
            files.add(str(Path(r["path"]).with_suffix(".json")))
        removed = 0
        for folder in sorted((self.root / SESSIONS_DIR).iterdir()):
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
        names = {f"{Path(d).name}.zip" for d in dirs}
        for path in (self.root / EXPORTS_DIR).iterdir():
            if path.name not in names:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def migrate(conn: sqlite3.Connection, where: Path | str = "<db>") -> int:
    """Bring the schema to :data:`SCHEMA_VERSION`, one transaction per step; return the old version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"{where}: schema v{version} is newer than this booth's v{SCHEMA_VERSION}; upgrade the booth"
        )
    for n in range(version, SCHEMA_VERSION):
        try:
            conn.executescript(f"BEGIN IMMEDIATE;\n{MIGRATIONS[n]}\nPRAGMA user_version = {n + 1};\nCOMMIT;")
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StorageError(
                f"{where}: migration to schema v{n + 1} failed ({err}); restore the database from a backup"
            ) from None
        log.info("%s: schema migrated to v%d", where, n + 1)
    return version

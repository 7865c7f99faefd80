"""Sessions, shots and events in SQLite; photos as files beside it. Built so that nothing is ever lost.

Why it is shaped like this (each rule has one module):

* **One writer** (:mod:`~booth.storage.writer`). Every write runs on one thread fed by a queue, so SQLite
  never sees two writers and the order of writes is the order of calls. The page reads through
  short-lived read-only connections (:mod:`~booth.storage.reader`); WAL mode lets them read while the
  writer writes.
* **Files before rows, rows inside one transaction** (:mod:`~booth.storage.shots`). A shot is ``BEGIN
  IMMEDIATE``, insert the row (which gives the file its id), write the photo and its JSON sidecar
  atomically (temp file in the same folder, fsync, rename, fsync the folder), ``COMMIT``. A crash at any
  point leaves either a committed row whose complete files exist, or no row and some unreferenced files,
  which the next start removes (:mod:`~booth.storage.recovery`). The gallery lists rows, never folders, so
  it cannot show a half-written file.
* **Files alone are self-describing.** Photo ``NNNNN-look.jpg`` has ``NNNNN-look.json`` beside it with its
  scores, verdicts, crop boxes and sha256: a folder copied off the card still says what every photo is.
* **Versioned schema** (:mod:`~booth.storage.schema`). :data:`MIGRATIONS` is append-only; ``PRAGMA
  user_version`` records how many ran. Each migration runs in one transaction with its version bump.
* **One booth per data folder** (:mod:`~booth.storage.lock`). The booth holds an exclusive ``flock`` on
  ``booth.lock`` for as long as its storage is open, and :meth:`Storage.recover` runs only under that lock:
  recovery treats every ``active`` session, temp file and unreferenced file as a crash's leftovers, which
  is true only when no other process is writing. A helper (``booth retention``) opens with
  ``recover=False``: no lock, no recovery, and it deletes only ended sessions, so it can run next to the
  live booth. The kernel drops the lock when the holder dies, however it dies, so a crashed booth never
  blocks its own restart.
* **Disk guard.** A new session needs ``min_free_mb`` free; a shot needs its own size plus
  ``shot_reserve_mb``. Both refuse with a one-line :class:`~booth.errors.DiskFullError` before writing
  anything, and a real ENOSPC mid-write rolls the row back and removes the partial files, so the session's
  earlier shots stay intact either way.
* **Marks** (:mod:`~booth.storage.marks`). Each kept photo carries the subject's signals (schema v3; NULL
  for older photos) and the photographer's good / not-good mark for its look, which a refit learns from.
* **One door for connections** (:mod:`~booth.storage.connection`). Every connection, the writer's and each
  reader's, reads the database without memory-mapping it, so a failing card is an error, not a SIGBUS;
  why WAL's ``-shm`` stays mapped, and how its SIGBUS still reaches the journal, is said there.
* **The outbox** (:mod:`~booth.storage.outbox`, schema v4). A delivered session's uploads to the studio's
  bucket and the remote deletes of deleted sessions are jobs in this database, queued in the same
  transaction as what causes them, so a crash never loses or doubles one.
* **One exception family** (:mod:`~booth.storage.faults`). Every SQLite error, on any read or write path,
  leaves this package as a one-line :class:`~booth.errors.StorageError` naming cause and fix, so no caller
  needs to import sqlite3.

Each session's gallery link carries ``token`` (``secrets.token_urlsafe(24)``: 192 random bits); its folder
is named by date and id, never by the token.
"""

from booth.errors import DiskFullError, SessionNotFound, StorageError
from booth.storage.layout import (
    DB_NAME,
    EXPORTS_DIR,
    LOCK_NAME,
    MB,
    SESSIONS_DIR,
    default_free_space,
    is_temp_name,
)
from booth.storage.records import (
    EXPORT_FORMAT,
    SIDECAR_FORMAT,
    STATUSES,
    DeliveryRecord,
    OutboxJob,
    OutboxSummary,
    RecoveryReport,
    SessionRecord,
    ShotRecord,
    UploadPlan,
)
from booth.storage.schema import MIGRATIONS, SCHEMA_VERSION, migrate
from booth.storage.store import Storage

__all__ = [
    "DB_NAME",
    "EXPORTS_DIR",
    "EXPORT_FORMAT",
    "LOCK_NAME",
    "MB",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SESSIONS_DIR",
    "SIDECAR_FORMAT",
    "STATUSES",
    "DeliveryRecord",
    "DiskFullError",
    "OutboxJob",
    "OutboxSummary",
    "RecoveryReport",
    "SessionNotFound",
    "SessionRecord",
    "ShotRecord",
    "Storage",
    "StorageError",
    "UploadPlan",
    "default_free_space",
    "is_temp_name",
    "migrate",
]

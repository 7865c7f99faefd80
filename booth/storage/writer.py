"""The one writer: a thread fed by a queue, owning the only read-write connection.

Why one thread: SQLite allows one writer at a time; with several threads writing, each would wait on the
others' locks (or fail with "database is locked" after the busy timeout), and the order of writes would
be the order the locks happened to be won. Funnelled through one queue, SQLite never sees two writers and
writes happen in the order they were asked for. Readers use their own read-only connections (WAL lets them
read while the writer writes), so the page never waits on a shot.

Every SQLite error a job raises comes back to its caller as :class:`~booth.errors.StorageError` (see
:mod:`booth.storage.faults`); a job's own :class:`~booth.errors.StorageError` comes back unchanged.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from booth.errors import StorageError
from booth.storage.connection import open_db
from booth.storage.faults import os_error, storage_error, translated
from booth.storage.layout import DB_NAME
from booth.storage.schema import migrate

log = logging.getLogger(__name__)

T = TypeVar("T")
#: One queued write: the function, its arguments, and the future its caller waits on.
Job = tuple[Callable[..., Any], tuple[Any, ...], "Future[Any]"]


class Writer:
    """The read-write connection to ``root/booth.db`` and the thread that runs every write on it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db_path = root / DB_NAME
        self._conn: sqlite3.Connection | None = None
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, for the writer thread (and for recovery, which runs before it starts)."""
        if self._conn is None:
            raise StorageError(f"{self.root}: storage is not open; open it before writing")
        return self._conn

    # -- connection ------------------------------------------------------------------------------------

    def connect(self) -> None:
        """Open (creating if needed) and migrate the database: WAL, ``synchronous=FULL``, foreign keys
        (and no memory-mapped reads: :mod:`booth.storage.connection`).

        ``synchronous=FULL`` because a committed shot must survive a power cut: its row promises a photo.
        ``check_same_thread=False`` because the caller's thread connects and recovers before the writer
        thread takes over; the two never use it at the same time.
        """
        with translated(self.db_path, "opening the database"):
            conn = open_db(self.db_path, isolation_level=None, check_same_thread=False)
        try:
            with translated(self.db_path, "opening the database"):
                conn.row_factory = sqlite3.Row
                mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA foreign_keys=ON")
            migrate(conn, self.db_path)
        except BaseException:
            conn.close()
            raise
        if mode != "wal":
            log.warning("%s: journal mode is %s, not wal", self.db_path, mode)
        self._conn = conn

    def disconnect(self, truncate: bool) -> None:
        """Checkpoint the WAL into the database and close.

        ``truncate`` only for the lock holder: TRUNCATE holds off other writers until readers finish, and a
        helper beside the live booth must not stall its shots, so a helper checkpoints what it can (PASSIVE).
        """
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(sqlite3.Error):
            conn.execute(f"PRAGMA wal_checkpoint({'TRUNCATE' if truncate else 'PASSIVE'})")
        with translated(self.db_path, "closing the database"):
            conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; any error in the block (or in the commit) rolls back.

        IMMEDIATE takes the write lock at the start, so a transaction never fails halfway for want of it
        (``booth retention``'s writer in another process waits its turn instead).
        """
        conn = self.conn
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

    # -- thread ----------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="storage-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the writes already queued, then end the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def call(self, fn: Callable[..., T], *args: Any, doing: str, timeout: float) -> T:
        """Run ``fn(*args)`` on the writer thread and return its result (or raise its error).

        ``doing`` names the write in an error message ("ending session 3"); ``timeout`` is how long the
        caller waits before saying the disk is too slow, though the write itself still runs.
        """
        if not self.running:
            raise StorageError(f"{self.root}: storage is not open; open it before writing")
        future: Future[T] = Future()
        self._queue.put((fn, args, future))
        try:
            return future.result(timeout=timeout)
        except TimeoutError:
            raise StorageError(
                f"{self.root}: the writer did not answer within {timeout:g} s; "
                "check the disk (slow or failing card)"
            ) from None
        except sqlite3.Error as err:
            raise storage_error(err, self.db_path, doing) from None
        except StorageError:
            raise
        except OSError as err:  # a folder or file the write needed (a session folder's mkdir, say)
            raise os_error(err, doing) from None

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


def inserted_id(cur: sqlite3.Cursor) -> int:
    """The id SQLite gave the row ``cur`` just inserted (always set after a successful INSERT)."""
    if cur.lastrowid is None:
        raise StorageError("the database gave no id for a new row; check booth.db (booth doctor)")
    return int(cur.lastrowid)

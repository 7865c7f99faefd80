"""Every SQLite connection the booth opens, the writer's and each reader's, comes from :func:`open_db`.

Why one door: a setting that every connection must have is then set once. The one it sets is
``PRAGMA mmap_size=0``: SQLite reads the database file with ``read()`` instead of mapping it into memory.
With a mapping, a page the kernel can no longer read or write (an SD card that failed or was pulled, a file
system the kernel remounted read-only after an error, a file truncated by another program) is a SIGBUS that
kills the booth on the spot, in C, with no Python error to catch or log; with ``read()`` it is an I/O error
that leaves :mod:`booth.storage` as a one-line :class:`~booth.errors.StorageError`. (The build this was
written against already defaults to 0; the pragma makes it true of every build.)

What it cannot cover is WAL's ``booth.db-shm``, the wal-index: SQLite always maps it, as its readers and its
writer share it through that memory. The only ways around are ``locking_mode=EXCLUSIVE`` (then the one
connection keeps the index in its own heap) or the ``unix-excl`` VFS (the same for one process), and both
shut every other connection out: the page's readers, which read while the writer writes, and ``booth
retention``, which runs beside the live booth. So the ``-shm`` stays mapped, and ``booth run`` turns on
:mod:`faulthandler` so that a SIGBUS there at least writes "Fatal Python error: Bus error" and every thread's
stack to stderr (the journal) before the process dies; systemd then restarts it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

#: Seconds a connection waits on another's lock before SQLITE_BUSY.
BUSY_TIMEOUT = 10.0


def open_db(target: Path | str, **options: Any) -> sqlite3.Connection:
    """``sqlite3.connect(target, **options)`` with the pragmas every booth connection has (see above).

    SQLite errors are raised as they are; the callers translate them (:mod:`booth.storage.faults`).
    """
    options.setdefault("timeout", BUSY_TIMEOUT)
    conn = sqlite3.connect(target, **options)
    try:
        conn.execute("PRAGMA mmap_size=0")
    except BaseException:
        conn.close()
        raise
    return conn

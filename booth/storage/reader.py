"""Short-lived read-only connections: how the page, the commands and retention read.

Why read-only and short-lived: a request on any thread opens its own connection (sqlite3 connections are
not to be shared across threads), reads a consistent snapshot while the writer goes on writing (WAL), and
closes it, so no reader can hold back a checkpoint or write by mistake. Opening needs no lock and no writer,
which is why a :class:`~booth.storage.Storage` that was never opened can still read.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from booth.storage.connection import open_db
from booth.storage.faults import storage_error


@contextlib.contextmanager
def read_only(db_path: Path, doing: str = "reading") -> Iterator[sqlite3.Connection]:
    """A read-only connection to ``db_path`` for one block; any SQLite error in the block (opening it, the
    queries, closing) comes out as :class:`~booth.errors.StorageError` naming ``doing``."""
    try:
        conn = open_db(f"file:{db_path}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise storage_error(err, db_path, doing) from None
    conn.row_factory = sqlite3.Row
    try:
        try:
            yield conn
        finally:
            conn.close()
    except sqlite3.Error as err:
        raise storage_error(err, db_path, doing) from None

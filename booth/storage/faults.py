"""SQLite's errors as the booth's one-line :class:`~booth.errors.StorageError`, naming cause and fix.

Why translate at the package's edge: callers (the service, the page, the commands) should catch one
exception family, :class:`~booth.errors.BoothError`, and show its line to the operator. A raw
``sqlite3.OperationalError: disk I/O error`` says neither what the booth was doing nor what to do about it,
and catching it would make every caller import sqlite3. So every path out of :mod:`booth.storage` that can
meet a SQLite error (reads, the writer thread, opening, recovery) passes it through :func:`storage_error`.

The cause is read from SQLite's primary result code (``sqlite_errorcode & 0xFF``), so extended codes such as
``SQLITE_IOERR_WRITE`` land on their family's advice; SQLite's own text and code name stay in the message
for whoever digs further.
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from booth.errors import DiskFullError, StorageError

_LOCKED = (
    "the database is locked",
    "another program holds booth.db (a sqlite3 shell, a backup tool); close it and retry",
)

#: Primary result code -> (cause, fix). Codes not listed get :data:`_OTHER`.
_ADVICE: dict[int, tuple[str, str]] = {
    sqlite3.SQLITE_FULL: ("the disk is full", "delete old sessions or free disk space"),
    sqlite3.SQLITE_IOERR: (
        "a disk I/O error",
        "check the SD card or disk (failing, full or unplugged) and the kernel log (dmesg)",
    ),
    sqlite3.SQLITE_BUSY: _LOCKED,
    sqlite3.SQLITE_LOCKED: _LOCKED,
    sqlite3.SQLITE_CORRUPT: (
        "the database is corrupt",
        "stop the booth and restore booth.db from a backup (or move it aside to start empty)",
    ),
    sqlite3.SQLITE_NOTADB: (
        "the file is not a booth database",
        "restore booth.db from a backup, or check that --data names the booth's data folder",
    ),
    sqlite3.SQLITE_CANTOPEN: (
        "the database cannot be opened",
        "check that the data folder exists and the booth's user may read and write it (is the booth set up?)",
    ),
    sqlite3.SQLITE_READONLY: (
        "the database is read-only",
        "make the data folder and booth.db writable by the booth's user",
    ),
    sqlite3.SQLITE_PERM: (
        "permission was denied",
        "make the data folder and booth.db readable and writable by the booth's user",
    ),
    sqlite3.SQLITE_CONSTRAINT: (
        "the database refused the change",
        "the session or shot it refers to was probably deleted meanwhile; retry with a current one",
    ),
}
_OTHER = ("a database error", "check the disk and booth.db (booth doctor)")
_CLOSED = ("the database connection is closed", "open the storage before using it")
_MISUSE = ("the booth misused the database", "this is a bug in the booth: report it with the booth's log")


def is_disk_full(err: BaseException) -> bool:
    """True for ENOSPC/EDQUOT from the file system or SQLITE_FULL from SQLite: the disk, not a bug."""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(err, sqlite3.Error) and _primary(err) == sqlite3.SQLITE_FULL


def os_error(err: OSError, doing: str) -> StorageError:
    """The one-line error for a file-system error met while ``doing`` (a folder or photo that could not be
    made): a full disk is a :class:`DiskFullError`, anything else names the path, the cause and the fix."""
    where = err.filename or "the data folder"
    cause = err.strerror or str(err)
    if is_disk_full(err):
        return DiskFullError(f"{where}: {doing}: the disk is full; delete old sessions or free disk space")
    return StorageError(
        f"{where}: {doing}: {cause}; check that the data folder is on a writable, mounted disk "
        "and belongs to the booth's user (booth doctor)"
    )


def _primary(err: sqlite3.Error) -> int | None:
    code = getattr(err, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def storage_error(err: sqlite3.Error, where: Path | str, doing: str) -> StorageError:
    """The one-line error for ``err``, met at ``where`` (the database) while ``doing`` (``"reading"``).

    It reads ``<where>: <doing>: <cause> (<SQLite's code and text>); <fix>``.

    A full disk gives :class:`~booth.errors.DiskFullError`, so callers that treat it specially (end the
    session, keep its photos) still can.
    """
    code = _primary(err)
    if code is not None:
        cause, fix = _ADVICE.get(code, _OTHER)
    elif "closed" in str(err).lower():  # no result code: the module refused before SQLite saw it
        cause, fix = _CLOSED
    elif isinstance(err, (sqlite3.ProgrammingError, sqlite3.InterfaceError)):
        cause, fix = _MISUSE
    else:
        cause, fix = _OTHER
    name = getattr(err, "sqlite_errorname", None)
    detail = " ".join((f"{name}: {err}" if name else f"{type(err).__name__}: {err}").split())  # one line
    message = f"{where}: {doing}: {cause} ({detail}); {fix}"
    return DiskFullError(message) if code == sqlite3.SQLITE_FULL else StorageError(message)


@contextlib.contextmanager
def translated(where: Path | str, doing: str) -> Iterator[None]:
    """Raise any SQLite error met in the block as :func:`storage_error`'s one line (traceback dropped)."""
    try:
        yield
    except sqlite3.Error as err:
        raise storage_error(err, where, doing) from None

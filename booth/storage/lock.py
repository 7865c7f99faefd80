"""``booth.lock``: one booth per data folder, released by the kernel however its holder dies.

Why a ``flock`` and not a pid file: recovery treats every ``active`` session, temp file and unreferenced
file as a crash's leftovers, which is true only when no other booth is writing, so exactly one process may
hold the folder. A pid file outlives a crash (and pids are reused); an ``flock`` belongs to the open file and
the kernel drops it when the process exits, so a crashed booth never blocks its own restart. The holder's
pid is still written into the file, but only to name it in the refusal.

flock locks belong to an open file description, so a second :class:`DataLock` in the same process is
refused too, exactly like a second process.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from booth.errors import StorageError


class DataLock:
    """The exclusive, non-blocking lock on one data folder's ``booth.lock``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock and write our pid into it; a one-line :class:`StorageError` names a holder."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
        except OSError as err:
            raise StorageError(
                f"{self.path}: cannot open the lock ({err.strerror or err}); "
                "make the data folder writable by the booth's user"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            holder = f"pid {pid}" if pid else "another process"
            raise StorageError(
                f"{self.path} is held by {holder}: another booth is running on this data folder; "
                "stop it (sudo systemctl stop booth) or pass another --data folder"
            ) from None
        except OSError:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Drop the lock if held (closing the only descriptor releases the flock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

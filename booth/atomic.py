"""Files that are never half-written: temp file in the same folder, fsync, rename, fsync the folder.

One home for the rule the whole booth relies on (photos, sidecars, exports, settings, secrets, fetched
models): after a crash or power cut a file is either the old one or the new one, never a mixture.

File modes. A written file gets what the umask allows for any new file (0644 under umask 022, 0640 under
booth.service's UMask=0027), like ``open(path, "w")`` would give it: the models that provisioning fetches as
root must stay readable by the service's own user. ``tempfile.mkstemp`` is not used because it always creates
0600, and the rename would keep that. Secrets pass ``mode=0o600``; the mode is set on the temp file before
the rename, so the secret is never readable by anyone else, not even for an instant.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# Enough attempts that a collision of 48 random bits never matters; a folder refusing every one is an error.
_NAME_ATTEMPTS = 100


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (a rename, a new file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_temp(folder: Path, name: str, mode: int | None) -> tuple[int, Path]:
    """Create ``.<name>.<random>.tmp`` in ``folder`` exclusively; return its descriptor and path.

    With ``mode`` None the kernel applies the umask (and a folder's default ACL) to 0666, exactly as for any
    new file; reading the umask instead would mean setting it, which is process-wide and races with other
    threads. An explicit mode is created no wider than itself and then set exactly.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    for _ in range(_NAME_ATTEMPTS):
        tmp = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666 if mode is None else mode)
        except FileExistsError:
            continue
        if mode is not None:
            try:
                os.fchmod(fd, mode)  # the umask may have removed bits the caller asked for
            except BaseException:
                os.close(fd)
                tmp.unlink(missing_ok=True)
                raise
        return fd, tmp
    raise FileExistsError(f"{folder}: no free temporary name for {name} after {_NAME_ATTEMPTS} tries")


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically; a failure leaves no temp file behind and the old file intact.

    ``mode`` None gives what the umask allows for a new file (never inherited from the file replaced);
    ``mode=0o600`` is for secrets. The folder is created if missing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path.parent, path.name, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)

"""Where the booth keeps models, cached downloads and its data.

The package is installed editable from its checkout (``make`` and the provisioning script both do), so the
checkout's ``models/`` folder, which holds the manifest, is also where fetched weights land. Each location can
be moved with an environment variable, which the appliance's systemd unit uses.
"""

import errno
import os
from pathlib import Path

from booth.errors import StorageError

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = REPO_ROOT / "models" / "manifest.toml"


def models_dir() -> Path:
    """Folder holding the fetched model files (``BOOTH_MODELS_DIR``, else the checkout's ``models/``)."""
    return Path(os.environ.get("BOOTH_MODELS_DIR") or REPO_ROOT / "models")


def cache_dir() -> Path:
    """Folder for downloaded wheels and test media, outside git (``BOOTH_CACHE_DIR``, else XDG cache)."""
    env = os.environ.get("BOOTH_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "headshot-booth"


def media_dir() -> Path:
    """Folder holding the real face photos and clips used by tests, evaluation and the demo camera."""
    return cache_dir() / "media"


def ensure_data_dir(path: Path) -> Path:
    """``path`` made if needed and writable by this process, or a one-line :class:`StorageError`.

    Why here and not at first use: the data folder is the booth's one writable place, and the first write
    into it (the lock, the database, the page's secret key) is deep inside a part that would report
    ``[Errno 30] Read-only file system`` as a traceback, naming neither ``--data`` nor what to do.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StorageError(_unusable(path, "cannot create the data folder", err)) from None
    if not os.access(path, os.W_OK | os.X_OK):
        code = errno.EROFS if _read_only_mount(path) else errno.EACCES
        raise StorageError(
            _unusable(path, "cannot write into the data folder", OSError(code, os.strerror(code)))
        )
    return path


def _read_only_mount(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _unusable(path: Path, what: str, err: OSError) -> str:
    """``<what> <path> (<cause>[ at <the part that failed>]); <fix>``: one line."""
    cause = err.strerror or str(err)
    failed = err.filename and Path(err.filename) != path
    where = f" at {err.filename}" if failed else ""
    if err.errno == errno.EROFS:
        fix = "it is on a read-only disk: pass --data a folder on a writable one (make run: DATA=DIR)"
    elif err.errno in (errno.EACCES, errno.EPERM):
        fix = (
            "the booth's user may not write there: pass --data a folder it owns (make run: DATA=DIR), "
            f"or create it for that user (sudo install -d -o $USER {path})"
        )
    elif err.errno in (errno.EEXIST, errno.ENOTDIR):
        fix = "a file is in the way: pass --data a folder (make run: DATA=DIR), or move the file"
    elif err.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "the disk is full: free space or pass --data a folder on another disk"
    else:
        fix = "pass --data a writable folder (make run: DATA=DIR)"
    return f"{what} {path} ({cause}{where}); {fix}"

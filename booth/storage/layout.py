"""Where things live in a data folder, and the names that tell a finished file from one being written.

Why a module of its own: the writer, recovery and export all derive paths from these names, and recovery
deletes whatever does not fit them, so they must agree exactly; one definition makes disagreement
impossible.
"""

from __future__ import annotations

import shutil
from pathlib import Path

MB = 1024 * 1024
DB_NAME = "booth.db"
LOCK_NAME = "booth.lock"
SESSIONS_DIR = "sessions"
EXPORTS_DIR = "exports"


def is_temp_name(name: str) -> bool:
    """Names of in-flight writes: ``.<name>.<random>.tmp`` (see :func:`booth.atomic.write_atomic`)."""
    return name.startswith(".") and name.endswith(".tmp")


def export_name(session_dir: str, *, sidecars: bool) -> str:
    """A zip of the session stored in ``session_dir``, named by its folder, never by its token: the
    operator's (with sidecars) ``<dir>.zip``, the client's (photos only) ``<dir>.photos.zip``."""
    return f"{Path(session_dir).name}{'' if sidecars else '.photos'}.zip"


def export_names(session_dir: str) -> tuple[str, str]:
    """Both zips a session may have (what deletion removes and recovery keeps)."""
    return export_name(session_dir, sidecars=True), export_name(session_dir, sidecars=False)


def default_free_space(path: Path) -> int:
    """Free bytes for an unprivileged writer on the filesystem of ``path``."""
    return shutil.disk_usage(path).free

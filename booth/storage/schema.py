"""The database schema as an append-only list of migrations, and the function that applies them.

Why append-only: ``PRAGMA user_version`` records how many migrations a database has had, so a booth can
open a database written by any older booth and bring it up to date, and refuses one written by a newer
booth instead of guessing. Each migration runs in one transaction together with its version bump, so a
crash mid-migration leaves the previous version intact, never a half-migrated schema.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from booth.errors import StorageError
from booth.storage.faults import translated

log = logging.getLogger(__name__)

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
    # v3 (teaching looks from review): each kept photo's subject signals, relative to the sitter's rest
    # (JSON; NULL for photos kept before v3, which cannot be refitted from), and the photographer's mark
    # for the look it was shot for (1 good, 0 not good, NULL unmarked).
    """
    ALTER TABLE shots ADD COLUMN signals TEXT;
    ALTER TABLE shots ADD COLUMN mark INTEGER CHECK (mark IN (0, 1));
    CREATE INDEX shots_by_marked_look ON shots(look, mark);
    """,
    # v4 (cloud delivery): the outbox. A delivered session's remote folder and link, one upload job per
    # object it needs in the bucket, and a delete job per folder whose session is gone. Upload jobs go
    # with their session (CASCADE); delete jobs have no session to go with (it was deleted: that is why
    # they exist), so they carry the folder itself. uploads_by_shot serves the shots(id) cascade: without
    # it every deleted shot scans the whole uploads table inside the writer's transaction. See
    # booth/storage/outbox.py.
    """
    CREATE TABLE deliveries (
        session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        folder TEXT NOT NULL UNIQUE,
        link TEXT NOT NULL,
        created_at REAL NOT NULL,
        done_at REAL
    );
    CREATE TABLE uploads (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES deliveries(session_id) ON DELETE CASCADE,
        shot_id INTEGER REFERENCES shots(id) ON DELETE CASCADE,
        variant TEXT NOT NULL CHECK (variant IN ('view', 'original', '4x5', '1x1', 'page')),
        key TEXT NOT NULL UNIQUE,
        content_type TEXT NOT NULL,
        sha256 TEXT NOT NULL DEFAULT '',
        bytes INTEGER NOT NULL DEFAULT 0,
        done INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        next_at REAL NOT NULL,
        created_at REAL NOT NULL,
        done_at REAL
    );
    CREATE INDEX uploads_due ON uploads(done, next_at);
    CREATE INDEX uploads_by_session ON uploads(session_id, done);
    CREATE INDEX uploads_by_shot ON uploads(shot_id);
    CREATE TABLE remote_deletes (
        id INTEGER PRIMARY KEY,
        folder TEXT NOT NULL,
        reason TEXT NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        next_at REAL NOT NULL,
        created_at REAL NOT NULL,
        done_at REAL
    );
    CREATE INDEX remote_deletes_due ON remote_deletes(done, next_at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, where: Path | str = "<db>") -> int:
    """Bring the schema to :data:`SCHEMA_VERSION`, one transaction per step; return the old version."""
    with translated(where, "reading the schema version"):
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
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

"""What storage hands out: immutable records of sessions and shots, and the report of a recovery.

Why frozen dataclasses rather than rows: a record is read on one thread (a page request) and may outlive
the connection it came from; a frozen copy with decoded JSON can be shared and compared (the tests compare
records for equality) without touching the database again.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATUSES = ("active", "delivered", "expired", "aborted")
SIDECAR_FORMAT = "headshot-booth shot v1"
EXPORT_FORMAT = "headshot-booth export v1"

#: A crop box in photo pixels: left, top, right, bottom.
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class SessionRecord:
    id: int
    token: str  # the gallery link's secret
    status: str
    shot_list: tuple[str, ...]
    consent_text: str
    dir: str  # relative to the storage root
    created_at: float  # wall-clock seconds
    ended_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> SessionRecord:
        return cls(
            id=row["id"],
            token=row["token"],
            status=row["status"],
            shot_list=tuple(json.loads(row["shot_list"])),
            consent_text=row["consent_text"],
            dir=row["dir"],
            created_at=row["created_at"],
            ended_at=row["ended_at"],
        )


@dataclass(frozen=True)
class ShotRecord:
    id: int
    session_id: int
    look: str
    combined: float | None
    scores: dict[str, Any]
    verdicts: dict[str, Any]
    best: bool
    path: str  # the photo, relative to the storage root; the sidecar is the same path with .json
    sha256: str
    bytes: int
    width: int
    height: int
    crops: dict[str, Box]
    status: str  # ok, missing, corrupt
    taken_at: float
    #: The subject's signals relative to the sitter's rest when it was kept (None: kept before schema v3).
    signals: dict[str, float] | None = None
    #: The photographer's mark for its look: True good, False not good, None unmarked.
    mark: bool | None = None

    @property
    def sidecar(self) -> str:
        return str(Path(self.path).with_suffix(".json"))

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ShotRecord:
        return cls(
            id=row["id"],
            session_id=row["session_id"],
            look=row["look"],
            combined=row["combined"],
            scores=json.loads(row["scores"]),
            verdicts=json.loads(row["verdicts"]),
            best=bool(row["best"]),
            path=row["path"],
            sha256=row["sha256"],
            bytes=row["bytes"],
            width=row["width"],
            height=row["height"],
            crops={k: tuple(v) for k, v in json.loads(row["crops"]).items()},
            status=row["status"],
            taken_at=row["taken_at"],
            signals=json.loads(row["signals"]) if row["signals"] else None,
            mark=None if row["mark"] is None else bool(row["mark"]),
        )


@dataclass(frozen=True)
class RecoveryReport:
    """What :meth:`Storage.recover` found and fixed at start."""

    temp_removed: int = 0
    sessions_aborted: tuple[int, ...] = ()
    shots_missing: tuple[int, ...] = ()
    orphans_removed: int = 0


@dataclass(frozen=True)
class UploadPlan:
    """One object a delivery wants in the bucket (planned by :mod:`booth.delivery.plan`)."""

    shot_id: int | None  # None: the session's gallery page
    variant: str  # "view", "original", "4x5", "1x1" or "page"
    key: str  # the full object key, under the delivery's folder
    content_type: str


@dataclass(frozen=True)
class DeliveryRecord:
    """A session's delivery: where it goes, the link its QR code encodes, and how far the upload is."""

    session_id: int
    folder: str  # "<prefix>/<unguessable id>", no trailing slash
    link: str  # the gallery page's URL (presigned or public), known before the upload is done
    created_at: float
    done_at: float | None  # when the last of its objects was uploaded
    pending: int  # its jobs not done
    failing: int  # of those, the ones whose last attempt failed
    last_error: str  # the latest failure's one line ("" when none)


@dataclass(frozen=True)
class OutboxJob:
    """What the uploader does next: put one object, or delete a gone session's whole remote folder."""

    id: int
    kind: str  # "upload" or "delete"
    session_id: int | None  # None for a delete: its session row is gone
    shot_id: int | None
    variant: str  # "" for a delete
    key: str  # an upload's object key; a delete's folder
    content_type: str
    attempts: int
    last_error: str
    next_at: float = 0.0


@dataclass(frozen=True)
class OutboxSummary:
    """The outbox at a glance, for the operator page, the status and the fleet."""

    pending: int  # jobs not done whose last attempt did not fail (or that never ran)
    failing: int  # jobs not done whose last attempt failed: retried with backoff
    done: int  # uploads done, all time
    oldest_pending_at: float | None
    next_retry_at: float | None
    failures: tuple[OutboxJob, ...]  # up to 20 failing jobs, oldest first
    recent: tuple[tuple[int, str, float], ...]  # up to 10 (session id, key, done at), newest first

    @property
    def backlog(self) -> int:
        return self.pending + self.failing

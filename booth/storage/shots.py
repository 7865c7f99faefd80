"""Keeping one photo: encoded and checked on the caller's thread, row and files written by the writer.

Why files inside the row's transaction (``BEGIN IMMEDIATE``, insert the row, which gives the file its id,
write the photo and its JSON sidecar atomically, ``COMMIT``): a crash at any point leaves either a committed
row whose complete files exist, or no row and some unreferenced files, which the next start removes. The
gallery lists rows, never folders, so it cannot show a half-written file.

Why the sidecar: photo ``NNNNN-look.jpg`` has ``NNNNN-look.json`` beside it with its scores, verdicts, crop
boxes and sha256, so a folder copied off the card still says what every photo is.

Why encoding, hashing and the disk check happen before the writer: they take the most time (tens of ms
for a 12 MP JPEG) and touch no shared state, so other writes need not wait for them.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from booth.atomic import write_atomic
from booth.errors import DiskFullError, StorageError
from booth.imaging import encode_jpeg
from booth.storage.faults import is_disk_full, storage_error
from booth.storage.layout import DB_NAME, MB
from booth.storage.records import SIDECAR_FORMAT, ShotRecord
from booth.storage.writer import Writer, inserted_id


@dataclass(frozen=True)
class PendingShot:
    """One photo ready for the writer: its JPEG bytes, size, hash, and what its row and sidecar record."""

    session_id: int
    data: bytes
    size: tuple[int, int]  # width, height
    sha256: str
    look: str
    scores: dict[str, Any]
    verdicts: dict[str, Any]
    combined: float | None
    crops: dict[str, list[int]]
    best: bool
    signals: dict[str, float] | None = None

    def meta(self) -> dict[str, Any]:
        """The caller's part of the sidecar, in the order the sidecar has always listed it."""
        return {
            "look": self.look,
            "scores": self.scores,
            "verdicts": self.verdicts,
            "combined": self.combined,
            "crops": self.crops,
            "best": self.best,
        }


def prepare_shot(
    session_id: int,
    look: str,
    image: np.ndarray | bytes,
    quality: int,
    *,
    scores: Mapping[str, Any],
    verdicts: Mapping[str, Any] | None,
    combined: float | None,
    crops: Mapping[str, Sequence[int]] | None,
    best: bool,
    signals: Mapping[str, float] | None = None,
) -> PendingShot:
    """Encode (unless ``image`` is JPEG bytes already), measure and hash one photo; copy its metadata."""
    data = image if isinstance(image, bytes) else encode_jpeg(image, quality)
    with Image.open(io.BytesIO(data)) as probe:
        size = probe.size
    return PendingShot(
        session_id=session_id,
        data=data,
        size=size,
        sha256=hashlib.sha256(data).hexdigest(),
        look=look,
        scores=dict(scores),
        verdicts=dict(verdicts or {}),
        combined=combined,
        crops={k: [int(v) for v in box] for k, box in (crops or {}).items()},
        best=best,
        signals=None if signals is None else {k: float(v) for k, v in signals.items()},
    )


def check_room_for(shot: PendingShot, root: Path, free: int, reserve_mb: float) -> None:
    """Refuse a photo, before anything is written, unless twice its size plus the reserve is free."""
    if free < 2 * len(shot.data) + reserve_mb * MB:
        raise DiskFullError(
            f"only {free / MB:.0f} MB free on {root}, too little to keep another photo; "
            "end this session (its photos are safe) and free disk space"
        )


def save_shot(writer: Writer, root: Path, clock: Callable[[], float], shot: PendingShot) -> ShotRecord:
    """Writer side: the row, then the photo and sidecar, in one transaction; on failure no file stays."""
    now = clock()
    written: list[Path] = []
    try:
        with writer.transaction() as conn:
            session_dir = _active_session_dir(conn, shot.session_id)
            shot_id = _insert_row(conn, shot, now)
            rel = f"{session_dir}/{shot_id:05d}-{_slug(shot.look)}.jpg"
            conn.execute("UPDATE shots SET path = ? WHERE id = ?", (rel, shot_id))
            if shot.best:
                conn.execute(
                    "UPDATE shots SET best = 0 WHERE session_id = ? AND look = ? AND id != ?",
                    (shot.session_id, shot.look, shot_id),
                )
            _write_files(root / rel, shot, shot_id, now, written)
            row = conn.execute("SELECT * FROM shots WHERE id = ?", (shot_id,)).fetchone()
    except (OSError, sqlite3.Error) as err:
        for path in written:
            path.unlink(missing_ok=True)
        if isinstance(err, StorageError) and not is_disk_full(err):
            raise  # ours already (the session is not active), one line
        raise _save_failed(err, root, shot.session_id) from None
    return ShotRecord.from_row(row)


def _active_session_dir(conn: sqlite3.Connection, session_id: int) -> str:
    session = conn.execute("SELECT dir, status FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if session is None or session["status"] != "active":
        state = "unknown" if session is None else session["status"]
        raise StorageError(f"session {session_id} is {state}, not active; start a new session")
    return str(session["dir"])


def _insert_row(conn: sqlite3.Connection, shot: PendingShot, now: float) -> int:
    """Insert the row with an empty path (its file is named after the id this gives)."""
    cur = conn.execute(
        "INSERT INTO shots (session_id, look, combined, scores, verdicts, best, path, sha256,"
        " bytes, width, height, crops, taken_at, signals) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?)",
        (
            shot.session_id,
            shot.look,
            shot.combined,
            json.dumps(shot.scores),
            json.dumps(shot.verdicts),
            int(shot.best),
            shot.sha256,
            len(shot.data),
            shot.size[0],
            shot.size[1],
            json.dumps(shot.crops),
            now,
            None if shot.signals is None else json.dumps(shot.signals),
        ),
    )
    return inserted_id(cur)


def _write_files(photo: Path, shot: PendingShot, shot_id: int, now: float, written: list[Path]) -> None:
    """Photo, then sidecar, each atomically; ``written`` lists what to remove should anything fail."""
    sidecar = {
        "format": SIDECAR_FORMAT,
        "session": shot.session_id,
        "shot": shot_id,
        "photo": photo.name,
        "sha256": shot.sha256,
        "bytes": len(shot.data),
        "width": shot.size[0],
        "height": shot.size[1],
        "taken_at": now,
        **shot.meta(),
    }
    if shot.signals is not None:  # what a refit learns from (see booth.service.teach)
        sidecar["signals"] = shot.signals
    written.append(photo)
    write_atomic(photo, shot.data)
    written.append(photo.with_suffix(".json"))
    write_atomic(photo.with_suffix(".json"), json.dumps(sidecar, indent=1).encode())


def _save_failed(err: OSError | sqlite3.Error, root: Path, session_id: int) -> StorageError:
    """The one line for a photo that could not be kept; a full disk says the earlier photos are safe."""
    if is_disk_full(err):
        return DiskFullError(
            f"disk full while saving a photo of session {session_id} ({err.__class__.__name__}); "
            "its earlier photos are intact: end the session and free disk space"
        )
    if isinstance(err, sqlite3.Error):
        return storage_error(err, root / DB_NAME, f"saving a photo of session {session_id}")
    return StorageError(f"cannot save a photo of session {session_id} ({err}); check the disk")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "look"

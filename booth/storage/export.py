"""A session's zips: originals and the 4:5 and 1:1 crops, with or without sidecars, built only when needed.

Why two zips and an explicit ``sidecars`` flag: the operator's export keeps each photo's sidecar (its scores
and verdicts for every look, the booth's working notes), while the client's "download all" is their photos
and nothing else. Each kind has its own file name (:func:`booth.storage.layout.export_name`) and its own
fingerprint, so one never stands in for the other and each is reused on its own; deleting a session
removes both.

Why built off the writer but installed on it: building takes seconds (every crop is re-encoded) and must not
hold up shots, while the rename into ``exports/`` must be ordered with deletions. The writer renames inside
a write transaction that first checks the session still exists: a deletion (this process's, on the same
writer, or ``booth retention``'s, whose delete transaction waits for ours) either came first, and the
export is dropped, or comes after, and removes the new zip with the rest of the session.

Why a fingerprint and not the zip's age: the zip's comment records which shots it holds (ids, sha256s,
crop quality), and a download whose shots match returns the zip as it is. A zip merely newer than the last
shot could still miss a shot committed while it was being built, or hold one that recovery has since
hidden.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from booth.atomic import fsync_dir
from booth.errors import DiskFullError, StorageError
from booth.imaging import cut_jpeg, open_photo
from booth.storage.faults import is_disk_full
from booth.storage.layout import EXPORTS_DIR, export_name
from booth.storage.records import EXPORT_FORMAT, Box, SessionRecord, ShotRecord
from booth.storage.writer import Writer

#: Adds one shot's entries to the zip being built (the facade's overridable ``_export_shot``).
AddShot = Callable[[zipfile.ZipFile, ShotRecord], None]
#: Renames the built temp zip onto the target if the session still exists (runs on the writer).
Install = Callable[[Path, Path], bool]


def export_target(root: Path, session: SessionRecord, *, sidecars: bool) -> Path:
    return root / EXPORTS_DIR / export_name(session.dir, sidecars=sidecars)


def build_export(
    root: Path,
    session: SessionRecord,
    shots: Sequence[ShotRecord],
    quality: int,
    add_shot: AddShot,
    install: Install,
    *,
    sidecars: bool,
) -> Path | None:
    """The session's zip (with sidecars or not), reused if its fingerprint matches, else built and
    installed; None if the session was deleted meanwhile."""
    target = export_target(root, session, sidecars=sidecars)
    stamp = export_stamp(session, shots, quality, sidecars=sidecars)
    if zip_comment(target) == stamp:
        return target
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
                zf.comment = stamp
                for shot in shots:
                    add_shot(zf, shot)
            fh.flush()
            os.fsync(fh.fileno())
        installed = install(Path(tmp), target)
    except StorageError:
        raise
    except OSError as err:
        if is_disk_full(err):
            raise DiskFullError(f"disk full while exporting session {session.id}; free disk space") from None
        raise StorageError(f"cannot export session {session.id} ({err}); check the disk") from None
    finally:
        Path(tmp).unlink(missing_ok=True)  # gone already once renamed
    return target if installed else None


def install_export(writer: Writer, session_id: int, token: str, tmp: Path, target: Path) -> bool:
    """Writer side: rename the built zip into place only if its session (id *and* token) still exists."""
    with writer.transaction() as conn:
        query = "SELECT 1 FROM sessions WHERE id = ? AND token = ?"
        row = conn.execute(query, (session_id, token)).fetchone()
        if row is None:  # deleted (SQLite may give its id to the next session: the token must match too)
            return False
        os.replace(tmp, target)
        fsync_dir(target.parent)
    return True


def export_stamp(
    session: SessionRecord, shots: Sequence[ShotRecord], quality: int, *, sidecars: bool
) -> bytes:
    """The zip comment naming what an export holds: session token, crop quality, whether it carries the
    sidecars, shot ids and hashes."""
    held = json.dumps([session.token, quality, sidecars, [[s.id, s.sha256] for s in shots]])
    return f"{EXPORT_FORMAT} {hashlib.sha256(held.encode()).hexdigest()}".encode()


def zip_comment(path: Path) -> bytes | None:
    """The comment of the zip at ``path``; None when there is none or it is not a readable zip."""
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.comment
    except (OSError, zipfile.BadZipFile):
        return None


def export_shot(
    zf: zipfile.ZipFile, photo: Path, crops: Mapping[str, Box], quality: int, *, sidecars: bool
) -> None:
    """Add the ``originals/`` photo (and with ``sidecars`` its sidecar), and one
    ``crops/<stem>-<name>.jpg`` per crop box.

    The sidecar goes without the face's ``signals`` (kept for a refit of the look, in the database and
    the booth's own copy): measurements of a client's face are not to be handed out in a zip. The client's
    zip has no sidecar at all: every look's scores are the booth's working notes, not their photos."""
    zf.write(photo, f"originals/{photo.name}")
    if sidecars:
        sidecar = json.loads(photo.with_suffix(".json").read_text())
        sidecar.pop("signals", None)
        zf.writestr(f"originals/{photo.with_suffix('.json').name}", json.dumps(sidecar, indent=1))
    if not crops:
        return
    with open_photo(photo) as image:  # decoded once for every crop
        for name, box in crops.items():
            zf.writestr(f"crops/{photo.stem}-{name}.jpg", cut_jpeg(image, box, quality=quality))

"""booth.storage.export_zip: reused while the session's shots are unchanged, never recreated after a delete.

Real SQLite, real files, real zips in a temp folder. To land a deletion in the middle of a build at a
known moment, one test uses a Storage subclass whose per-shot export step deletes the session first (a
seam in the code under test, not a mock: the deletion and the export are the real ones).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from booth.config import StorageSettings
from booth.errors import StorageError
from booth.storage import EXPORT_FORMAT, ShotRecord, Storage, is_temp_name

PIXELS = np.tile(np.arange(64, dtype=np.uint8)[:, None, None], (1, 64, 3))


def settings(**kw: object) -> StorageSettings:
    return StorageSettings(min_free_mb=0, shot_reserve_mb=0, **kw)


@pytest.fixture
def store(tmp_path: Path):
    with Storage(tmp_path / "store", settings()) as s:
        yield s


def names_in(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        return set(zf.namelist())


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if is_temp_name(p.name)]


def test_a_second_download_reuses_the_zip_until_a_shot_is_added(store: Storage) -> None:
    sid = store.start_session().id
    first = store.add_shot(sid, "confident", PIXELS, scores={}, crops={"1x1": (0, 0, 32, 32)})
    path = store.export_zip(sid)
    built = path.stat()
    with zipfile.ZipFile(path) as zf:
        assert zf.comment.startswith(EXPORT_FORMAT.encode())
    assert store.export_zip(sid) == path
    again = path.stat()
    assert (again.st_ino, again.st_mtime_ns) == (built.st_ino, built.st_mtime_ns)  # not rebuilt

    second = store.add_shot(sid, "playful", PIXELS, scores={})
    store.export_zip(sid)
    assert path.stat().st_ino != built.st_ino  # rebuilt (a new file renamed over the old)
    assert names_in(path) >= {f"originals/{Path(s.path).name}" for s in (first, second)}
    assert not leftovers(store.root)


def test_a_zip_from_before_the_fingerprint_or_a_broken_one_is_rebuilt(store: Storage) -> None:
    sid = store.start_session().id
    shot = store.add_shot(sid, "confident", PIXELS, scores={})
    path = store.export_zip(sid)
    path.write_bytes(b"not a zip: a download cut short by a crash in an older version")
    assert names_in(store.export_zip(sid)) == {
        f"originals/{Path(shot.path).name}",
        f"originals/{Path(shot.sidecar).name}",
    }


def test_a_changed_crop_quality_rebuilds_the_zip(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with Storage(root, settings(jpeg_quality=90)) as s:
        sid = s.start_session().id
        s.add_shot(sid, "confident", PIXELS, scores={}, crops={"1x1": (0, 0, 32, 32)})
        inode = s.export_zip(sid).stat().st_ino
    with Storage(root, settings(jpeg_quality=60)) as s:
        assert s.export_zip(sid).stat().st_ino != inode


class DeletedWhileExporting(Storage):
    """Deletes the session (really, through the writer) once the export has read its shot's files."""

    def _export_shot(self, zf: zipfile.ZipFile, shot: ShotRecord) -> None:
        super()._export_shot(zf, shot)
        assert self.delete_session(shot.session_id, "test: deleted mid-export")


def test_a_session_deleted_during_its_export_gets_no_zip_back(tmp_path: Path) -> None:
    with DeletedWhileExporting(tmp_path / "store", settings()) as s:
        sid = s.start_session().id
        s.add_shot(sid, "confident", PIXELS, scores={})
        session = s.session(sid)
        with pytest.raises(StorageError) as err:
            s.export_zip(sid)
        assert "deleted while" in str(err.value) and "\n" not in str(err.value)
        assert os.listdir(s.root / "exports") == []  # neither the zip nor its temp file
        assert not (s.root / session.dir).exists() and s.session(sid) is None


def test_export_of_a_reused_id_does_not_land_under_the_deleted_sessions_name(tmp_path: Path) -> None:
    """SQLite reuses the highest id once its row is gone (the folder name may even repeat within the same
    second); the rename checks the session's token too, so the new sitter's name never gets the old zip."""

    class DeleteAndReplace(Storage):
        def _export_shot(self, zf: zipfile.ZipFile, shot: ShotRecord) -> None:
            super()._export_shot(zf, shot)
            self.delete_session(shot.session_id, "test")
            self.replacement = self.start_session()

    with DeleteAndReplace(tmp_path / "store", settings()) as s:
        sid = s.start_session().id
        s.add_shot(sid, "confident", PIXELS, scores={})
        with pytest.raises(StorageError, match="deleted while"):
            s.export_zip(sid)
        assert s.replacement.id == sid  # the case this guards against: SQLite gave the id out again
        assert os.listdir(s.root / "exports") == []

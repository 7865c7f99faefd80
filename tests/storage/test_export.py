"""booth.storage.export_zip: reused while the session's shots are unchanged, never recreated after a delete;
the operator's zip with each photo's sidecar, the client's with their photos only.

Real SQLite, real files, real zips in a temp folder. To land a deletion in the middle of a build at a
known moment, one test uses a Storage subclass whose per-shot export step deletes the session first (a
seam in the code under test, not a mock: the deletion and the export are the real ones).
"""

from __future__ import annotations

import json
import os
import shutil
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
    path = store.export_zip(sid, sidecars=True)
    built = path.stat()
    with zipfile.ZipFile(path) as zf:
        assert zf.comment.startswith(EXPORT_FORMAT.encode())
    assert store.export_zip(sid, sidecars=True) == path
    again = path.stat()
    assert (again.st_ino, again.st_mtime_ns) == (built.st_ino, built.st_mtime_ns)  # not rebuilt

    second = store.add_shot(sid, "playful", PIXELS, scores={})
    store.export_zip(sid, sidecars=True)
    assert path.stat().st_ino != built.st_ino  # rebuilt (a new file renamed over the old)
    assert names_in(path) >= {f"originals/{Path(s.path).name}" for s in (first, second)}
    assert not leftovers(store.root)


def test_a_zip_from_before_the_fingerprint_or_a_broken_one_is_rebuilt(store: Storage) -> None:
    sid = store.start_session().id
    shot = store.add_shot(sid, "confident", PIXELS, scores={})
    path = store.export_zip(sid, sidecars=True)
    path.write_bytes(b"not a zip: a download cut short by a crash in an older version")
    assert names_in(store.export_zip(sid, sidecars=True)) == {
        f"originals/{Path(shot.path).name}",
        f"originals/{Path(shot.sidecar).name}",
    }


def test_a_changed_crop_quality_rebuilds_the_zip(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with Storage(root, settings(jpeg_quality=90)) as s:
        sid = s.start_session().id
        s.add_shot(sid, "confident", PIXELS, scores={}, crops={"1x1": (0, 0, 32, 32)})
        inode = s.export_zip(sid, sidecars=True).stat().st_ino
    with Storage(root, settings(jpeg_quality=60)) as s:
        assert s.export_zip(sid, sidecars=True).stat().st_ino != inode


class DeletedWhileExporting(Storage):
    """Deletes the session (really, through the writer) once the export has read its shot's files."""

    def _export_shot(self, zf: zipfile.ZipFile, shot: ShotRecord, sidecars: bool) -> None:
        super()._export_shot(zf, shot, sidecars)
        assert self.delete_session(shot.session_id, "test: deleted mid-export")


@pytest.mark.parametrize("sidecars", [True, False], ids=["operator", "client"])
def test_a_session_deleted_during_its_export_gets_no_zip_back(tmp_path: Path, sidecars: bool) -> None:
    with DeletedWhileExporting(tmp_path / "store", settings()) as s:
        sid = s.start_session().id
        s.add_shot(sid, "confident", PIXELS, scores={})
        session = s.session(sid)
        with pytest.raises(StorageError) as err:
            s.export_zip(sid, sidecars=sidecars)
        assert "deleted while" in str(err.value) and "\n" not in str(err.value)
        assert os.listdir(s.root / "exports") == []  # neither the zip nor its temp file
        assert not (s.root / session.dir).exists() and s.session(sid) is None


def test_export_of_a_reused_id_does_not_land_under_the_deleted_sessions_name(tmp_path: Path) -> None:
    """SQLite reuses the highest id once its row is gone (the folder name may even repeat within the same
    second); the rename checks the session's token too, so the new sitter's name never gets the old zip."""

    class DeleteAndReplace(Storage):
        def _export_shot(self, zf: zipfile.ZipFile, shot: ShotRecord, sidecars: bool) -> None:
            super()._export_shot(zf, shot, sidecars)
            self.delete_session(shot.session_id, "test")
            self.replacement = self.start_session()

    with DeleteAndReplace(tmp_path / "store", settings()) as s:
        sid = s.start_session().id
        s.add_shot(sid, "confident", PIXELS, scores={})
        with pytest.raises(StorageError, match="deleted while"):
            s.export_zip(sid, sidecars=True)
        assert s.replacement.id == sid  # the case this guards against: SQLite gave the id out again
        assert os.listdir(s.root / "exports") == []


def test_the_clients_zip_has_their_photos_and_crops_but_no_sidecar(store: Storage) -> None:
    """The gallery's "download all" is the client's photos; the scores of every look (the sidecar) stay in
    the operator's export."""
    sid = store.start_session().id
    shot = store.add_shot(
        sid, "confident", PIXELS, scores={"confident": 0.9, "playful": 0.2}, crops={"1x1": (0, 0, 32, 32)}
    )
    stem = Path(shot.path).stem
    client = store.export_zip(sid, sidecars=False)
    operator = store.export_zip(sid, sidecars=True)
    assert client != operator and client.parent == operator.parent
    assert names_in(client) == {f"originals/{stem}.jpg", f"crops/{stem}-1x1.jpg"}
    assert names_in(operator) == {f"originals/{stem}.jpg", f"originals/{stem}.json", f"crops/{stem}-1x1.jpg"}
    with zipfile.ZipFile(operator) as zf:
        assert json.loads(zf.read(f"originals/{stem}.json"))["scores"]["playful"] == 0.2


def test_each_zip_is_reused_on_its_own_and_never_stands_in_for_the_other(store: Storage) -> None:
    sid = store.start_session().id
    store.add_shot(sid, "confident", PIXELS, scores={})
    client = store.export_zip(sid, sidecars=False)
    built = client.stat().st_ino
    operator = store.export_zip(sid, sidecars=True)
    assert store.export_zip(sid, sidecars=False).stat().st_ino == built  # building the other kept it
    # The operator's zip put in the client's place (same shots, same quality) is not taken for it: the
    # fingerprint names the kind, so the client never gets the sidecars.
    shutil.copyfile(operator, client)
    assert not any(n.endswith(".json") for n in names_in(store.export_zip(sid, sidecars=False)))


def test_deleting_a_session_removes_both_zips_and_recovery_keeps_both_of_a_living_one(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with Storage(root, settings()) as s:
        kept, gone = s.start_session().id, s.start_session().id
        for sid in (kept, gone):
            s.add_shot(sid, "confident", PIXELS, scores={})
            s.export_zip(sid, sidecars=True)
            s.export_zip(sid, sidecars=False)
        assert len(os.listdir(root / "exports")) == 4
        assert s.delete_session(gone, "test: the client asked")
        zips = sorted(os.listdir(root / "exports"))
        assert len(zips) == 2 and all(s.session(kept).dir.split("/")[-1] in z for z in zips)
        (root / "exports" / "20000101-000000-000999.photos.zip").write_bytes(b"no session has this name")
    with Storage(root, settings()) as s:  # recovery at open removes only the zip no session has
        assert sorted(os.listdir(root / "exports")) == zips
        assert not any(n.endswith(".json") for n in names_in(s.export_zip(kept, sidecars=False)))

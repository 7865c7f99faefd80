"""The photographer's marks and each kept photo's signals (schema v3): migrated onto an older database,
written with the photo, set and cleared on the writer, read back for a refit.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from booth.assets import media_path
from booth.config import StorageSettings
from booth.media import load_image
from booth.storage import MIGRATIONS, SCHEMA_VERSION, Storage


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    return load_image(media_path("single_face.jpg"))


@pytest.fixture
def store(tmp_path: Path):
    with Storage(tmp_path / "store", StorageSettings(jpeg_quality=85)) as s:
        yield s


def test_a_v2_database_gains_signals_and_marks_and_keeps_its_photos(tmp_path: Path) -> None:
    root = tmp_path / "store"
    photo = root / "sessions" / "x" / "00001-confident.jpg"
    photo.parent.mkdir(parents=True)
    data = media_path("single_face.jpg").read_bytes()
    photo.write_bytes(data)
    conn = sqlite3.connect(root / "booth.db", isolation_level=None)
    conn.executescript(f"BEGIN; {MIGRATIONS[0]} {MIGRATIONS[1]} PRAGMA user_version = 2; COMMIT;")
    conn.execute(
        "INSERT INTO sessions (token, status, dir, created_at) VALUES ('t', 'delivered', 'sessions/x', 1.0)"
    )
    conn.execute(
        "INSERT INTO shots (session_id, look, scores, path, sha256, bytes, width, height, taken_at)"
        " VALUES (1, 'confident', '{\"confident\": 0.7}', ?, ?, ?, 10, 10, 2.0)",
        (str(photo.relative_to(root)), hashlib.sha256(data).hexdigest(), len(data)),
    )
    conn.close()
    with Storage(root) as s:
        with s.reader() as c:
            assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 3
            columns = {r["name"] for r in c.execute("PRAGMA table_info(shots)")}
        assert {"signals", "mark"} <= columns
        (old,) = s.shots(1)
        assert old.scores == {"confident": 0.7} and old.signals is None and old.mark is None
        assert s.mark_shot(old.id, True)
        (marked,) = s.marked("confident")
        assert marked.id == old.id and marked.mark is True and marked.signals is None


def test_signals_are_kept_with_the_photo_and_marks_set_and_cleared(store: Storage, face) -> None:
    session = store.start_session(["beam"])
    signals = {"smile": 0.8, "smiling": 1.0, "head.tilt": -2.5}
    kept = store.add_shot(session.id, "beam", face, scores={"beam": 0.9}, signals=signals)
    plain = store.add_shot(session.id, "beam", face, scores={"beam": 0.4})
    assert kept.signals == signals and plain.signals is None
    sidecar = json.loads((store.root / kept.sidecar).read_text())
    assert sidecar["signals"] == signals and "signals" not in json.loads(
        (store.root / plain.sidecar).read_text()
    )
    assert store.marked() == []
    assert store.mark_shot(kept.id, True) and store.mark_shot(plain.id, False)
    assert [(s.id, s.mark) for s in store.marked("beam")] == [(kept.id, True), (plain.id, False)]
    assert store.marked("confident") == []
    assert store.mark_shot(plain.id, None)
    assert [s.id for s in store.marked()] == [kept.id]
    assert store.mark_shot(9999, True) is False
    conn = sqlite3.connect(store.db_path, timeout=10)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            conn.execute("UPDATE shots SET mark = 2 WHERE id = ?", (kept.id,))
    finally:
        conn.close()


def test_an_export_leaves_the_face_signals_out(store: Storage, face) -> None:
    import zipfile

    session = store.start_session(["beam"])
    kept = store.add_shot(session.id, "beam", face, scores={"beam": 0.9}, signals={"smile": 0.8})
    with zipfile.ZipFile(store.export_zip(session.id, sidecars=True)) as zf:
        names = [n for n in zf.namelist() if n.endswith(".json")]
        assert names and all("signals" not in json.loads(zf.read(n)) for n in names)
    assert json.loads((store.root / kept.sidecar).read_text())["signals"] == {"smile": 0.8}

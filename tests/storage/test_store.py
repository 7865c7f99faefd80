"""booth.storage on a real SQLite database and real files in a temp folder.

Mocked only at the hardware/OS boundary: the free-space probe is injected, and for the real write failure
``os.fsync`` is patched to raise ENOSPC the way a full card does.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import sqlite3
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support import Clock

from booth.config import StorageSettings
from booth.errors import BoothError, DiskFullError, StorageError
from booth.storage import MB, MIGRATIONS, SCHEMA_VERSION, Storage, is_temp_name, migrate

DAY = 86400.0


def _temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if is_temp_name(p.name)]


def test_schema_is_current_and_wal(store: Storage) -> None:
    with store.reader() as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sessions", "shots", "events"} <= tables


def test_migrates_a_v1_database_keeping_its_rows(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    conn = sqlite3.connect(root / "booth.db", isolation_level=None)
    conn.executescript(f"BEGIN; {MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;")
    conn.execute(
        "INSERT INTO sessions (token, status, dir, created_at) VALUES ('t', 'delivered', 'sessions/x', 1.0)"
    )
    conn.close()
    (root / "sessions" / "x").mkdir(parents=True)
    with Storage(root) as s:
        assert [x.token for x in s.sessions()] == ["t"]
        with s.reader() as c:
            assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            indexes = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "shots_by_session" in indexes


def test_refuses_a_database_from_a_newer_booth(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StorageError, match="newer than this booth") as err:
        migrate(conn, tmp_path / "db")
    assert "\n" not in str(err.value)


def test_tokens_are_unguessable_and_unique(store: Storage) -> None:
    tokens = {store.start_session().token for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(t) >= 32 for t in tokens)  # 24 random bytes = 192 bits, base64url


def test_shot_is_written_with_hash_and_self_describing_sidecar(store: Storage, face: np.ndarray) -> None:
    session = store.start_session(["confident", "intense"], "I agree")
    shot = store.add_shot(
        session.id,
        "confident",
        face,
        scores={"confident": 0.8, "intense": 0.1},
        verdicts={"engaged": True},
        combined=0.77,
        crops={"4x5": (10, 20, 210, 270), "1x1": (10, 20, 260, 270)},
        best=True,
    )
    photo = store.path_of(shot)
    data = photo.read_bytes()
    assert hashlib.sha256(data).hexdigest() == shot.sha256 and len(data) == shot.bytes
    with Image.open(photo) as image:
        assert image.format == "JPEG" and image.size == (face.shape[1], face.shape[0]) == (
            shot.width,
            shot.height,
        )
    sidecar = json.loads(photo.with_suffix(".json").read_text())
    assert sidecar["sha256"] == shot.sha256 and sidecar["look"] == "confident"
    assert sidecar["scores"] == {"confident": 0.8, "intense": 0.1}
    assert sidecar["crops"]["4x5"] == [10, 20, 210, 270] and sidecar["verdicts"] == {"engaged": True}
    assert shot.crops["1x1"] == (10, 20, 260, 270) and shot.best
    assert store.gallery(session.token) == [shot]
    assert store.gallery("not-a-token") == []
    assert not _temp_files(store.root)


def test_best_is_unique_per_look(store: Storage, face: np.ndarray) -> None:
    sid = store.start_session().id
    shots = [store.add_shot(sid, "intense", face[:100, :100], scores={}, best=True) for _ in range(3)]
    other = store.add_shot(sid, "playful", face[:100, :100], scores={}, best=True)
    assert [s.best for s in store.shots(sid)] == [False, False, True, True]
    store.mark_best(shots[0].id)
    assert [s.best for s in store.shots(sid)] == [True, False, False, True]
    assert store.shots(sid)[-1].id == other.id


def test_readers_cannot_write(store: Storage) -> None:
    store.start_session()
    with store.reader() as conn, pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("DELETE FROM sessions")


def test_writes_from_many_threads_go_through_one_writer(store: Storage, face: np.ndarray) -> None:
    sid = store.start_session().id
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for _ in range(5):
                store.add_shot(sid, f"look{n}", face[:64, :64], scores={"n": n})
                store.log_event(sid, "note", f"thread {n}")
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    shots = store.shots(sid)
    assert len(shots) == 20 and len({s.path for s in shots}) == 20
    assert all(hashlib.sha256(store.path_of(s).read_bytes()).hexdigest() == s.sha256 for s in shots)


def test_ended_session_takes_no_more_shots(store: Storage, face: np.ndarray) -> None:
    sid = store.start_session().id
    store.end_session(sid, "delivered")
    store.end_session(sid, "aborted")  # no effect once ended
    assert store.session(sid).status == "delivered"
    with pytest.raises(StorageError, match="not active"):
        store.add_shot(sid, "intense", face[:32, :32], scores={})
    assert not list(store.root.joinpath(store.session(sid).dir).iterdir())


def _files_of(store: Storage, session_dir: str) -> list[Path]:
    return list((store.root / session_dir).glob("*"))


def test_retention_deletes_old_sessions_without_orphans(
    store: Storage, clock: Clock, face: np.ndarray
) -> None:
    old = store.start_session()
    store.add_shot(old.id, "confident", face[:64, :64], scores={})
    store.end_session(old.id, "delivered")
    store.export_zip(old.id, sidecars=True)
    old_active = store.start_session()  # never prune a running session
    clock.now += 29 * DAY
    recent = store.start_session()
    store.add_shot(recent.id, "confident", face[:64, :64], scores={})
    store.end_session(recent.id, "expired")
    clock.now += 2 * DAY
    assert store.prune() == [old.id]
    assert store.session(old.id) is None and store.shots(old.id, only_ok=False) == []
    assert store.events(old.id) == []
    assert not (store.root / old.dir).exists()
    assert not list((store.root / "exports").iterdir())
    assert store.session(old_active.id) and len(store.shots(recent.id)) == 1
    assert store.prune() == []


def test_retention_zero_keeps_everything(tmp_path: Path, clock: Clock) -> None:
    with Storage(tmp_path, StorageSettings(retention_days=0), clock=clock) as s:
        sid = s.start_session().id
        s.end_session(sid, "delivered")
        clock.now += 1000 * DAY
        assert s.prune() == [] and s.session(sid)


def test_delete_on_request(store: Storage, face: np.ndarray) -> None:
    keep = store.start_session()
    store.add_shot(keep.id, "intense", face[:64, :64], scores={})
    gone = store.start_session()
    store.add_shot(gone.id, "intense", face[:64, :64], scores={})
    store.export_zip(gone.id, sidecars=False)
    assert store.delete_session(gone.id)
    assert not store.delete_session(gone.id)
    assert store.session_by_token(gone.token) is None and store.gallery(gone.token) == []
    assert not (store.root / gone.dir).exists() and not list((store.root / "exports").iterdir())
    assert len(_files_of(store, keep.dir)) == 2  # photo + sidecar untouched


def test_count_sessions_counts_every_status_and_follows_deletions(store: Storage) -> None:
    assert store.count_sessions() == 0
    ended = store.start_session()
    store.end_session(ended.id, "delivered")
    running = store.start_session()
    assert store.count_sessions() == 2  # an ended and a running session both count
    assert store.delete_session(ended.id)
    assert store.count_sessions() == 1
    store.delete_session(running.id)
    assert store.count_sessions() == 0


def test_export_zip_has_originals_crops_and_sidecars(store: Storage, face: np.ndarray) -> None:
    sid = store.start_session().id
    shot = store.add_shot(
        sid,
        "playful",
        face,
        scores={"playful": 0.9},
        crops={"4x5": (100, 50, 340, 350), "1x1": (100, 50, 400, 350)},
    )
    path = store.export_zip(sid, sidecars=True)
    name = Path(shot.path).stem
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        assert names == {
            f"originals/{name}.jpg",
            f"originals/{name}.json",
            f"crops/{name}-4x5.jpg",
            f"crops/{name}-1x1.jpg",
        }
        assert hashlib.sha256(zf.read(f"originals/{name}.jpg")).hexdigest() == shot.sha256
        with Image.open(io.BytesIO(zf.read(f"crops/{name}-4x5.jpg"))) as crop:
            assert crop.size == (240, 300)
    assert not _temp_files(store.root)
    with pytest.raises(StorageError, match="no session 999"):
        store.export_zip(999, sidecars=True)


def test_disk_guard_refuses_a_new_session_with_one_line(tmp_path: Path) -> None:
    free = {"bytes": 100 * MB}
    settings = StorageSettings(min_free_mb=500)
    with Storage(tmp_path, settings, free_space=lambda _p: free["bytes"]) as s:
        with pytest.raises(DiskFullError) as err:
            s.start_session()
        message = str(err.value)
        assert "\n" not in message and "100 MB free" in message and "500 MB" in message
        assert isinstance(err.value, BoothError) and isinstance(err.value, OSError)
        assert s.sessions() == []
        free["bytes"] = 600 * MB
        assert s.start_session().status == "active"


def test_low_disk_mid_session_keeps_earlier_shots(tmp_path: Path, face: np.ndarray) -> None:
    free = {"bytes": 10_000 * MB}
    with Storage(tmp_path, StorageSettings(), free_space=lambda _p: free["bytes"]) as s:
        sid = s.start_session().id
        first = s.add_shot(sid, "intense", face, scores={})
        free["bytes"] = 5 * MB
        with pytest.raises(DiskFullError, match="its photos are safe"):
            s.add_shot(sid, "intense", face, scores={})
        assert s.shots(sid) == [first]
        assert hashlib.sha256(s.path_of(first).read_bytes()).hexdigest() == first.sha256
        assert len(_files_of(s, s.session(sid).dir)) == 2


def test_real_enospc_mid_write_leaves_no_partial_file(
    store: Storage, face: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = store.start_session().id
    first = store.add_shot(sid, "intense", face, scores={})
    real_fsync = os.fsync
    calls = {"n": 0}

    def full_disk_fsync(fd: int) -> None:
        calls["n"] += 1
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk_fsync)
    with pytest.raises(DiskFullError) as err:
        store.add_shot(sid, "intense", face, scores={})
    assert calls["n"] >= 1 and "\n" not in str(err.value) and "earlier photos are intact" in str(err.value)
    monkeypatch.setattr(os, "fsync", real_fsync)
    folder = store.root / store.session(sid).dir
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [Path(first.path).name, Path(first.sidecar).name]
    )
    assert not _temp_files(store.root)
    assert store.shots(sid) == [first]
    second = store.add_shot(sid, "intense", face, scores={})  # the session carries on once space is back
    assert [s.id for s in store.shots(sid)] == [first.id, second.id]


def test_recovery_cleans_up_after_a_crash(tmp_path: Path, face: np.ndarray) -> None:
    root = tmp_path / "store"
    with Storage(root) as s:
        done = s.start_session()
        kept = s.add_shot(done.id, "confident", face[:64, :64], scores={})
        lost = s.add_shot(done.id, "confident", face[:64, :64], scores={})
        s.end_session(done.id, "delivered")
        running = s.start_session()
    folder = root / done.dir
    (folder / ".00009-confident.jpg.abc123.tmp").write_bytes(b"half")
    (folder / "00010-confident.jpg").write_bytes(b"never committed")
    (root / "sessions" / "20200101-000000-000099").mkdir()
    (root / "exports" / ".x.zip.q.tmp").write_bytes(b"")
    (root / lost.path).unlink()
    with Storage(root) as s:
        report = s.recovery
        assert report.temp_removed == 2 and report.sessions_aborted == (running.id,)
        assert report.shots_missing == (lost.id,) and report.orphans_removed == 2
        assert s.session(running.id).status == "aborted"
        assert [x.id for x in s.gallery(done.token)] == [kept.id]
        assert s.shots(done.id, only_ok=False)[1].status == "missing"
        assert any(e["kind"] == "recovered" for e in s.events(running.id))
    assert not _temp_files(root) and not (folder / "00010-confident.jpg").exists()


def test_closed_storage_says_so(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="not open"):
        Storage(tmp_path).start_session()


def test_verify_hashes_on_start_hides_an_altered_photo(tmp_path: Path, face: np.ndarray) -> None:
    with Storage(tmp_path) as s:
        sid = s.start_session().id
        shot = s.add_shot(sid, "intense", face[:64, :64], scores={})
        s.end_session(sid, "delivered")
    photo = tmp_path / shot.path
    data = bytearray(photo.read_bytes())
    data[-10] ^= 0xFF  # same size, different bytes: only the hash can tell
    photo.write_bytes(bytes(data))
    with Storage(tmp_path) as s:
        assert s.recovery.shots_missing == () and s.shots(sid) == [shot]
    with Storage(tmp_path, StorageSettings(verify_hashes_on_start=True)) as s:
        assert s.recovery.shots_missing == (shot.id,)
        assert s.shots(sid) == [] and s.shots(sid, only_ok=False)[0].status == "corrupt"


# ------------------------------------------------------------------ every SQLite error leaves as StorageError


def _one_line_storage_error(err: pytest.ExceptionInfo[BaseException]) -> str:
    """The error is the booth's (not sqlite3's), one line, and names SQLite's own cause."""
    assert isinstance(err.value, StorageError) and not isinstance(err.value, sqlite3.Error)
    message = str(err.value)
    assert "\n" not in message
    return message


def _corrupt(tmp_path: Path) -> Path:
    """A data folder whose booth.db was overwritten with something that is not a database."""
    root = tmp_path / "store"
    with Storage(root) as s:
        s.start_session()
    for leftover in root.glob("booth.db-*"):  # -wal, -shm (a clean close leaves none, but be sure)
        leftover.unlink()
    (root / "booth.db").write_bytes(b"these bytes were a database once " * 200)
    return root


@pytest.mark.parametrize(
    "read",
    [
        lambda s: s.session(1),
        lambda s: s.session_by_token("x" * 32),
        lambda s: s.sessions(),
        lambda s: s.count_sessions(),
        lambda s: s.shots(1),
        lambda s: s.events(1),
        lambda s: s.gallery("x" * 32),
        lambda s: s.prune(),
    ],
    ids=["session", "session_by_token", "sessions", "count_sessions", "shots", "events", "gallery", "prune"],
)
def test_a_corrupt_database_on_a_read_path_is_a_storage_error_saying_restore(tmp_path: Path, read) -> None:
    reader = Storage(_corrupt(tmp_path))  # not opened: reads only, exactly what the page does
    with pytest.raises(StorageError) as err:
        read(reader)
    message = _one_line_storage_error(err)
    assert "not a booth database" in message and "restore booth.db from a backup" in message
    assert "SQLITE_NOTADB" in message and "booth.db" in message


def test_a_query_failing_inside_reader_leaves_it_as_a_storage_error(tmp_path: Path) -> None:
    reader = Storage(_corrupt(tmp_path))
    with pytest.raises(StorageError) as err, reader.reader() as conn:
        conn.execute("SELECT * FROM sessions")
    assert "not a booth database" in _one_line_storage_error(err)


def test_a_closed_read_connection_is_a_storage_error(store: Storage) -> None:
    with pytest.raises(StorageError) as err, store.reader() as conn:
        conn.close()
        conn.execute("SELECT 1")
    assert "connection is closed" in _one_line_storage_error(err)


def test_a_missing_database_says_to_set_the_booth_up(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as err:
        Storage(tmp_path / "never-set-up").sessions()
    message = _one_line_storage_error(err)
    assert "cannot be opened" in message and "is the booth set up?" in message


def test_opening_a_corrupt_database_is_a_storage_error_and_releases_the_lock(tmp_path: Path) -> None:
    root = _corrupt(tmp_path)
    with pytest.raises(StorageError) as err:
        Storage(root).open()
    assert "not a booth database" in _one_line_storage_error(err)
    Storage(root).check_lock()  # the failed open let go of booth.lock


def test_a_write_the_database_refuses_is_a_storage_error(store: Storage) -> None:
    """Through the writer thread: an event for a session that does not exist breaks its foreign key."""
    with pytest.raises(StorageError) as err:
        store.log_event(999, "note", "for a session that was never started")
    message = _one_line_storage_error(err)
    assert "refused the change" in message and "FOREIGN KEY" in message
    assert store.events(999) == []
    store.log_event(None, "note", "the writer carries on")  # the failed write did not stop the writer


def test_sqlite_disk_full_is_a_disk_full_error(tmp_path: Path) -> None:
    """A real SQLITE_FULL (page limit reached) becomes DiskFullError, which callers treat specially."""
    from booth.storage.faults import storage_error

    conn = sqlite3.connect(tmp_path / "tiny.db")
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.Error) as raw:
        conn.execute("INSERT INTO t VALUES (zeroblob(100000))")
    conn.close()
    err = storage_error(raw.value, tmp_path / "tiny.db", "saving a test row")
    assert isinstance(err, DiskFullError) and "\n" not in str(err)
    assert "saving a test row: the disk is full" in str(err) and "free disk space" in str(err)


def test_only_booth_storage_imports_sqlite3() -> None:
    """Everything else catches StorageError; a sqlite3 import elsewhere means an error is leaking."""
    package = Path(__file__).resolve().parents[2] / "booth"
    users = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "storage" not in path.relative_to(package).parts[:1]
        and any(
            line.strip().startswith(("import sqlite3", "from sqlite3"))
            for line in path.read_text().splitlines()
        )
    ]
    assert users == []


def test_every_connection_reads_without_memory_mapping(tmp_path: Path, monkeypatch) -> None:
    """``PRAGMA mmap_size=0`` on the writer's connection and every reader's, first thing: a mapped page of a
    failing disk is a SIGBUS that kills the booth, a read() of it an error the booth can report.

    Every ``sqlite3.connect`` in the process is watched (not only storage's own helper), so a connection
    opened some other way is caught too. This SQLite's default is already 0, so the test looks for the
    pragma itself, as sent.
    """
    real_connect = sqlite3.connect
    opened: list[list[str]] = []

    def watched(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        opened.append(statements)
        return conn

    monkeypatch.setattr(sqlite3, "connect", watched)
    with Storage(tmp_path, free_space=lambda _: 10**12) as store:
        record = store.start_session(["confident"], "ok")
        assert store.session(record.id) is not None and store.sessions() and store.shots(record.id) == []
        with store.reader() as conn:
            assert conn.execute("PRAGMA mmap_size").fetchone()[0] == 0
    Storage(tmp_path).count_sessions()  # a helper's read, on a Storage never opened
    assert len(opened) >= 5
    for statements in opened:
        assert statements and statements[0] == "PRAGMA mmap_size=0", statements[:3]

"""The data folder's lock: one booth recovers and writes; ``booth retention`` runs beside it harmlessly.

Two real processes: a child (``python -c``, the live booth's storage) holds an active session, a committed
shot, and the leftovers of writes in flight (a temp file, a photo not yet committed, an export's temp
file); the parent runs the real ``booth retention`` command and opens storage again. Nothing is mocked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from booth import cli
from booth.config import StorageSettings
from booth.errors import StorageError
from booth.storage import LOCK_NAME, Storage

DAY = 86400.0

#: The live booth: opens with recovery (takes the lock), writes, reports, then waits for a line on stdin.
LIVE = textwrap.dedent(
    """
    import sys
    import numpy as np
    from booth.config import StorageSettings
    from booth.storage import Storage

    root = sys.argv[1]
    store = Storage(root, StorageSettings(min_free_mb=0, shot_reserve_mb=0))
    store.open()
    session = store.start_session(["confident"])
    store.add_shot(session.id, "confident", np.full((48, 48, 3), 128, np.uint8), scores={})
    print(session.id, session.dir, flush=True)
    sys.stdin.readline()
    store.close()
    print("closed", flush=True)
    """
)


def start_live(root: Path) -> tuple[subprocess.Popen, int, str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", LIVE, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = child.stdout.readline()
    if not line:
        child.kill()
        pytest.fail(f"live booth did not start: {child.communicate(timeout=10)[1]}")
    sid, rel = line.split()
    return child, int(sid), rel


def make_old_ended_session(root: Path, age_days: float) -> int:
    """A delivered session created ``age_days`` ago (an injected clock: storage takes its times from it)."""
    with Storage(root, StorageSettings(min_free_mb=0), clock=lambda: time.time() - age_days * DAY) as s:
        sid = s.start_session().id
        s.end_session(sid, "delivered")
    return sid


def test_retention_beside_a_live_booth_leaves_its_session_and_files(tmp_path, monkeypatch, capsys):
    root = tmp_path / "data"
    old = make_old_ended_session(root, age_days=20)
    base = tmp_path / "etc-booth.toml"
    base.write_text("[storage]\nretention_days = 10\n")  # the default (30) would keep the 20-day-old one
    monkeypatch.setenv("BOOTH_CONFIG", str(base))
    child, live, rel = start_live(root)
    try:
        folder = root / rel
        in_flight = [
            folder / ".00002-confident.jpg.x1y2.tmp",  # a write mid-rename
            folder / "00003-confident.jpg",  # a photo whose row is not committed yet
            root / "exports" / f".{folder.name}.zip.abcd.tmp",  # an export being built
        ]
        for path in in_flight:
            path.write_bytes(b"in flight")
        before = sorted(p.name for p in folder.iterdir())

        assert cli.main(["retention", "--data", str(root)]) == 0  # no --config: $BOOTH_CONFIG is read
        assert "1 session(s) older than 10 days deleted" in capsys.readouterr().out

        reader = Storage(root)  # not opened: reads only
        assert reader.session(old) is None  # retention did run...
        assert reader.session(live).status == "active"  # ...and left the live session alone
        assert len(reader.shots(live)) == 1
        assert sorted(p.name for p in folder.iterdir()) == before
        assert all(p.read_bytes() == b"in flight" for p in in_flight)

        with pytest.raises(StorageError) as err:  # a second booth on the same folder
            Storage(root).open()
        message = str(err.value)
        assert "\n" not in message and LOCK_NAME in message and f"pid {child.pid}" in message
        assert "systemctl stop booth" in message and "--data" in message
        assert reader.session(live).status == "active" and all(p.exists() for p in in_flight)
    finally:
        out, _err = child.communicate("\n", timeout=10)  # closes the pipes too
    assert out.strip() == "closed"

    with Storage(root) as s:  # the booth is gone: the next start recovers what it left
        assert s.recovery.sessions_aborted == (live,)
        assert s.recovery.temp_removed == 2 and s.recovery.orphans_removed == 1
        assert not any(p.exists() for p in in_flight)


def test_a_killed_booth_never_blocks_the_next_start(tmp_path):
    """The kernel drops a flock with its holder, SIGKILL included; the lock file itself stays behind."""
    root = tmp_path / "data"
    child, live, _rel = start_live(root)
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=10)
    assert (root / LOCK_NAME).exists()
    with Storage(root) as s:
        assert s.recovery.sessions_aborted == (live,)


def test_the_lock_is_held_while_open_and_released_by_close(tmp_path):
    """flock locks belong to an open file, so a second Storage in the same process is refused as well."""
    first = Storage(tmp_path)
    first.open()
    try:
        with pytest.raises(StorageError, match=LOCK_NAME):
            Storage(tmp_path).open()
        with pytest.raises(StorageError, match=LOCK_NAME):
            Storage(tmp_path).check_lock()
        helper = Storage(tmp_path)
        assert helper.open(recover=False) == helper.recovery  # no lock, no recovery: an empty report
        assert helper.recovery.sessions_aborted == () and helper.recovery.temp_removed == 0
        helper.close()
    finally:
        first.close()
    Storage(tmp_path).check_lock()  # released: both succeed now
    with Storage(tmp_path) as again:
        assert again.recovery is not None


def test_recover_refuses_without_the_lock(tmp_path):
    store = Storage(tmp_path)
    store.open(recover=False)
    try:
        sid = store.start_session().id
        with pytest.raises(StorageError, match="recover=True"):
            store.recover()
        assert store.session(sid).status == "active"
    finally:
        store.close()


def test_prune_never_deletes_an_active_session(tmp_path):
    """An old session still marked active is the live booth's (or recovery's business), never retention's."""
    clock = {"now": time.time() - 100 * DAY}
    with Storage(tmp_path, StorageSettings(min_free_mb=0, retention_days=1), clock=lambda: clock["now"]) as s:
        running = s.start_session().id
        ended = s.start_session().id
        s.end_session(ended, "expired")
        clock["now"] = time.time()
        assert s.prune() == [ended]
        assert s.session(running).status == "active"

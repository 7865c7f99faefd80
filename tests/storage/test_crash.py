"""Crash safety of booth.storage: a child process runs sessions flat out and is SIGKILLed at random moments.

No mocks: the child (tests/helpers/crash_writer.py) drives the real session machine and the real storage
with a real face photo. After each kill, before any recovery, the database must pass
``PRAGMA integrity_check``, every shot row must have its photo with the recorded sha256 and its sidecar,
and the gallery must list no temp file; then the next start must remove stale temp files, mark the
interrupted session aborted and leave no orphan files.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from booth.assets import media_path
from booth.config import StorageSettings
from booth.storage import SESSIONS_DIR, Storage, is_temp_name

HELPER = Path(__file__).resolve().parents[1] / "helpers" / "crash_writer.py"
KILLS = 25


def _wait_ready(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "crash_writer did not start"
    line = proc.stdout.readline()
    assert line.strip() == b"ready", (line, proc.stderr.read() if proc.poll() is not None else b"")


def _check_before_recovery(root: Path) -> tuple[set[int], int]:
    """Invariants that must hold right after a kill; returns (active session ids, temp files seen)."""
    conn = sqlite3.connect(root / "booth.db")
    conn.row_factory = sqlite3.Row
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for row in conn.execute("SELECT * FROM shots"):
            photo = root / row["path"]
            assert row["status"] == "ok"
            assert hashlib.sha256(photo.read_bytes()).hexdigest() == row["sha256"], photo
            sidecar = json.loads(photo.with_suffix(".json").read_text())
            assert sidecar["sha256"] == row["sha256"] and sidecar["shot"] == row["id"]
        active = {r["id"] for r in conn.execute("SELECT id FROM sessions WHERE status = 'active'")}
        tokens = [r["token"] for r in conn.execute("SELECT token FROM sessions")]
    finally:
        conn.close()
    store = Storage(root, StorageSettings())  # not opened: reads only, exactly what the page does
    for token in tokens:
        for shot in store.gallery(token):
            assert not is_temp_name(Path(shot.path).name)
            assert store.path_of(shot).is_file()
    temps = sum(1 for p in root.rglob("*") if is_temp_name(p.name))
    return active, temps


def _check_after_recovery(root: Path, active: set[int]) -> None:
    with Storage(root, StorageSettings(min_free_mb=0)) as store:
        assert set(store.recovery.sessions_aborted) == active
        assert not [p for p in root.rglob("*") if is_temp_name(p.name)]
        referenced = set()
        for session in store.sessions(limit=10_000):
            assert session.status != "active"
            for shot in store.shots(session.id, only_ok=False):
                referenced |= {shot.path, shot.sidecar}
        on_disk = {str(p.relative_to(root)) for p in (root / SESSIONS_DIR).rglob("*") if p.is_file()}
        assert on_disk == referenced  # no orphan files


@pytest.mark.slow
def test_sigkill_at_random_moments_never_loses_or_corrupts(tmp_path: Path) -> None:
    media_path("single_face.jpg")  # fail here, clearly, if the media cache is missing
    rng = random.Random(20240611)
    root = tmp_path / "store"
    aborted = temps = 0
    started = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for kill in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, str(HELPER), str(root), str(kill)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        try:
            _wait_ready(proc)
            time.sleep(rng.uniform(0.02, 0.5))
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(timeout=10) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        active, seen = _check_before_recovery(root)
        aborted += len(active)
        temps += seen
        _check_after_recovery(root, active)
    elapsed = time.monotonic() - started
    # The kills must have landed mid-session most of the time, or the test proved nothing.
    assert aborted >= KILLS // 2, aborted
    print(f"{KILLS} kills in {elapsed:.1f} s: {aborted} sessions interrupted, {temps} temp files removed")

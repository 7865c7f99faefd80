"""Crash safety of the whole booth: a child process runs sessions on the replay camera and is SIGKILLed.

The child (tests/helpers/service_runner.py) runs the real booth.service.BoothService: real models, policy,
session machine and storage, watching real footage through the replay camera; the only stand-in is the
hardware boundary (gpiozero mock pins). It loops start -> consent -> shots -> finish or cancel and is killed
at a random moment (seeded, the seed is printed) after it reports shooting. After each kill, before any
recovery: ``PRAGMA integrity_check`` is ok, every shot row has its photo with the recorded sha256 and its
sidecar, every shot the child announced is still there, and the gallery lists no temp file. Then the next
start of the booth must recover: temp files removed, the interrupted session marked aborted, no orphan
files. tests/storage/test_crash.py does the same faster with storage alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from booth.assets import media_path
from booth.config import StorageSettings
from booth.storage import SESSIONS_DIR, Storage, is_temp_name

HELPER = Path(__file__).parent / "helpers" / "service_runner.py"
KILLS = 12
SEED = 20250611
#: Seconds to wait for one line from the child (start-up loads the models: well under a second here).
LINE_TIMEOUT = 30.0


class Child:
    """The runner process, its stdout read line by line on a thread (so waits can time out)."""

    def __init__(self, data: Path, seed: int, stderr: IO[bytes]) -> None:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
        self.proc = subprocess.Popen(
            [sys.executable, str(HELPER), str(data), str(seed)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(raw.decode().strip())
        self.lines.put(None)

    def wait_for(self, prefix: str) -> str:
        """The first line starting with ``prefix``; fails if the child dies or stays silent."""
        while True:
            try:
                line = self.lines.get(timeout=LINE_TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"no {prefix!r} from the child within {LINE_TIMEOUT} s") from None
            assert line is not None, f"the child exited ({self.proc.poll()}) before {prefix!r}"
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def kill(self) -> list[str]:
        """SIGKILL it; return every line it wrote that was not read yet."""
        assert self.proc.poll() is None, f"the child died on its own ({self.proc.returncode})"
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(timeout=10) == -signal.SIGKILL
        self._reader.join(timeout=10)
        rest = []
        while (line := self.lines.get_nowait()) is not None:
            rest.append(line)
        self.seen += rest
        return rest

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


def _shots_announced(lines: list[str]) -> dict[int, int]:
    """``shot <id> <session>`` lines: shots whose add_shot had returned (committed) -> their session."""
    shots = {}
    for line in lines:
        if line.startswith("shot "):
            _, shot_id, session_id = line.split()
            shots[int(shot_id)] = int(session_id)
    return shots


def _check_before_recovery(data: Path, announced: dict[int, int]) -> tuple[set[int], int]:
    """Invariants right after a kill, before anything recovers; returns (active sessions, temp files)."""
    conn = sqlite3.connect(data / "booth.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    store = Storage(data, StorageSettings())  # not opened: reads only, exactly what the page does
    sessions = store.sessions(limit=100_000)
    stored: dict[int, int] = {}
    for session in sessions:
        for shot in store.shots(session.id, only_ok=False):
            photo = store.path_of(shot)
            assert shot.status == "ok", shot
            assert hashlib.sha256(photo.read_bytes()).hexdigest() == shot.sha256, photo
            sidecar = json.loads((data / shot.sidecar).read_text())
            assert sidecar["sha256"] == shot.sha256 and sidecar["shot"] == shot.id
            stored[shot.id] = shot.session_id
        for shot in store.gallery(session.token):
            assert not is_temp_name(Path(shot.path).name) and store.path_of(shot).is_file()
    lost = {shot: sid for shot, sid in announced.items() if stored.get(shot) != sid}
    assert not lost, f"committed shots lost: {lost}"
    active = {s.id for s in sessions if s.status == "active"}
    temps = sum(1 for p in data.rglob("*") if is_temp_name(p.name))
    return active, temps


def _check_recovered(data: Path, report: dict, active: set[int], temps: int) -> None:
    """The booth's next start fixed what the kill left, and nothing else."""
    assert set(report["sessions_aborted"]) == active, report
    assert report["temp_removed"] == temps and report["shots_missing"] == [], report
    assert not [p for p in data.rglob("*") if is_temp_name(p.name)]
    store = Storage(data, StorageSettings())
    referenced = set()
    for session in store.sessions(limit=100_000):
        assert session.status != "active", session
        if session.id in active:
            assert session.status == "aborted", session
        for shot in store.shots(session.id, only_ok=False):
            referenced |= {shot.path, shot.sidecar}
    for session_id in active:
        assert any(e["kind"] == "recovered" for e in store.events(session_id)), session_id
    on_disk = {str(p.relative_to(data)) for p in (data / SESSIONS_DIR).rglob("*") if p.is_file()}
    assert on_disk == referenced  # no orphan files


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_sigkill_of_the_running_booth_never_loses_or_corrupts(tmp_path: Path) -> None:
    media_path("single_face.mp4")  # fail here, clearly, if the media cache is missing
    print(f"seed {SEED}")
    rng = random.Random(SEED)
    data = tmp_path / "data"
    announced: dict[int, int] = {}
    pending: tuple[set[int], int] | None = None  # (active sessions, temp files) the next start must fix
    mid_session = temps_total = 0
    started = time.monotonic()
    with open(tmp_path / "child.log", "wb") as stderr:
        for kill in range(KILLS + 1):
            child = Child(data, rng.randrange(1 << 30), stderr)
            try:
                report = json.loads(child.wait_for("started ").split(" ", 1)[1])
                if pending is not None:
                    _check_recovered(data, report, *pending)  # the child waits for "go": nothing writes
                if kill == KILLS:  # the last start only had to recover: let it stop cleanly
                    child.send("stop")
                    assert child.proc.wait(timeout=15) == 0
                    break
                child.send("go")
                child.wait_for("session ")
                time.sleep(rng.uniform(0.05, 2.5))
                child.kill()
            finally:
                child.close()
            announced |= _shots_announced(child.seen)
            pending = _check_before_recovery(data, announced)
            mid_session += bool(pending[0])
            temps_total += pending[1]
    elapsed = time.monotonic() - started
    print(
        f"{KILLS} kills in {elapsed:.1f} s: {mid_session} mid-session, {len(announced)} shots announced, "
        f"{temps_total} temp files left by kills"
    )
    # The kills must have landed mid-session and shots must have been written, or the test proved nothing.
    assert mid_session >= KILLS // 2, mid_session
    assert announced, "the booth never wrote a shot"

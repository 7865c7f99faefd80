"""``booth run`` as a process: serves, reports health, and stops cleanly on SIGTERM and Ctrl-C within 5 s;
a busy port or a data folder it cannot create is one line and leaves nothing behind; a crash in C is logged.

Mocked only at the hardware boundaries: ``--camera replay:single_face.mp4 --pins mock``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from web_helpers import free_port, get_json, run_command, start_booth


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_booth_run_serves_and_stops_within_5_s(tmp_path, media, sig):
    proc, base, _ = start_booth(tmp_path, media)
    try:
        status, health = get_json(base + "/healthz")
        assert status == 200 and health["camera"] == "replay" and health["frames"] > 0
        started = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(timeout=10)
        elapsed = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = (tmp_path / "booth.log").read_text()
    assert code == 0, log
    assert elapsed < 5.0, f"booth run took {elapsed:.1f} s to stop"
    assert "stopped" in log and "Traceback" not in log


def booth_run(media, data: Path, port: int | str) -> subprocess.CompletedProcess:
    """``booth run`` on ``port`` and ``data`` that is expected to fail at once."""
    return subprocess.run(
        run_command(media, port, data),
        capture_output=True,
        text=True,
        timeout=60,
    )


def make_port_variable() -> str:
    """The variable ``make run`` passes to ``--port`` (the Makefile's run target)."""
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    match = re.search(r"^run:.*\n\t.*--port \$\((\w+)\)", makefile, re.M)
    assert match, "the Makefile's run target passes no --port $(VAR)"
    return match.group(1)


def test_booth_run_on_a_busy_port_is_one_line_error_and_touches_nothing(tmp_path, media):
    proc, base, _ = start_booth(tmp_path / "first", media)
    second = tmp_path / "second"
    second.mkdir()
    try:
        port = int(base.rsplit(":", 1)[1])
        result = booth_run(media, second, port)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert result.returncode == 2
    err = result.stderr.strip().splitlines()[-1]
    assert err.startswith(f"booth: cannot listen on 127.0.0.1:{port}: port {port} is in use")
    variable = make_port_variable()
    assert f"{variable}={port + 1} make run" in err and f"booth run --port {port + 1}" in err
    assert "Traceback" not in result.stderr and "setup code" not in result.stderr
    assert list(second.iterdir()) == []  # was: instance/secret_key written before the port was tried


def unwritable_parent(tmp_path: Path) -> Path:
    """A folder nobody may create anything in: a 0555 one, or for root (whom modes do not stop) /sys."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        return locked
    return Path("/sys") / f"booth-test-{os.getpid()}"


def test_booth_run_on_a_data_folder_it_cannot_create_is_one_line_error(tmp_path, media):
    data = unwritable_parent(tmp_path) / "data"
    result = booth_run(media, data, free_port())
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    err = result.stderr.strip().splitlines()
    assert len(err) == 1, result.stderr  # nothing logged before it: not the settings, not a setup code
    assert err[0].startswith(f"booth: cannot create the data folder {data} (")
    assert "pass --data a folder" in err[0] and "DATA=DIR" in err[0]
    assert not data.exists()


def test_a_crash_in_c_leaves_a_line_in_the_log(tmp_path, media):
    """A SIGBUS (SQLite's mapped -shm on a disk gone bad) kills the process in C: faulthandler says so."""
    assert "PYTHONFAULTHANDLER" not in os.environ, "the test would pass without booth run's faulthandler"
    proc, _, _ = start_booth(tmp_path, media)
    try:
        proc.send_signal(signal.SIGBUS)
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = (tmp_path / "booth.log").read_text()
    assert code == -signal.SIGBUS
    assert "Fatal Python error: Bus error" in log, log[-2000:]  # was: nothing at all
    assert "most recent call first" in log

"""``booth run`` as a process: serves, reports health, and stops cleanly on SIGTERM and Ctrl-C within 5 s.

Mocked only at the hardware boundaries: ``--camera replay:single_face.mp4 --pins mock``.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from web_helpers import LAUNCH, get_json, start_booth


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


def test_booth_run_on_a_busy_port_is_one_line_error(tmp_path, media):
    proc, base, _ = start_booth(tmp_path / "first", media)
    try:
        port = base.rsplit(":", 1)[1]
        second = subprocess.run(
            [
                sys.executable,
                *LAUNCH,
                "run",
                "--camera",
                f"replay:{media('single_face.mp4')}",
                "--pins",
                "mock",
                "--port",
                port,
                "--data",
                str(tmp_path / "second"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert second.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in second.stderr and "Traceback" not in second.stderr

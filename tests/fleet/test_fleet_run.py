"""End to end: ``booth run`` with ``[fleet]`` on, a real Mosquitto, and the operator commanding the booth."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from servers.mosquitto import credentials_file
from support import QUICK, wait_until

from booth import config

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BOOTH = [sys.executable, "-m", "booth"]
STATUS, AVAILABILITY = "booths/booth-a/status", "booths/booth-a/availability"
COMMAND, RESULT = "booths/booth-a/command", "booths/booth-a/command/result"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_booth_run_joins_the_fleet_takes_commands_and_leaves_cleanly(broker, watch, tmp_path, media):
    fleet = {
        "enabled": True,
        "broker": broker.url,
        "booth_id": "booth-a",
        "credentials_file": str(credentials_file(tmp_path, "booth-a")),
        "status_every_s": 1.0,
        "keepalive_s": 5,
    }
    cfg = tmp_path / "booth.toml"
    config.save(config.validate({**QUICK, "fleet": fleet}), cfg)
    command = [
        *BOOTH,
        "run",
        "--config",
        str(cfg),
        "--camera",
        f"replay:{media('single_face.mp4')}",
        "--pins",
        "mock",
        "--port",
        str(free_port()),
        "--data",
        str(tmp_path / "data"),
    ]
    log_path = tmp_path / "booth.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        operator = watch("operator")
        wait_until(lambda: operator.last(AVAILABILITY) == b"online", 60, "booth run online on the broker")
        wait_until(lambda: (s := operator.last_json(STATUS)) and s["analysis_fps"] > 0, 60, "analysing")

        def command_result(body: dict) -> dict:
            count = len(operator.received(RESULT))
            operator.publish(COMMAND, json.dumps(body))
            return wait_until(lambda: operator.jsons(RESULT)[count:], 30, f"an answer to {body}")[0]

        assert command_result({"command": "start", "id": "1"})["state"] == "welcome"
        wait_until(lambda: operator.last_json(STATUS)["state"] == "welcome", 30, "welcome in the status")
        assert command_result({"command": "stop", "id": "2"})["state"] == "idle"
        assert command_result({"command": "pause", "reason": "closing", "id": "3"})["ok"]
        wait_until(lambda: operator.last_json(STATUS)["paused"] == "closing", 30, "paused in the status")

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log_path.read_text()
        wait_until(lambda: operator.last(AVAILABILITY) == b"offline", 30, "offline after SIGTERM")
        assert operator.last_json(STATUS)["state"] == "offline"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert "Traceback" not in log_path.read_text()

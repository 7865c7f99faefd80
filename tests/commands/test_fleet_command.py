"""``booth fleet`` against a real Mosquitto with two booths on it: one online, one gone for three minutes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from servers.mosquitto import Watcher, credentials_file, free_port
from support import wait_until

from booth.cli import main
from booth.config.outbound import FleetSettings
from booth.fleet import FleetLink

pytestmark = pytest.mark.mqtt

ROOT = Path(__file__).resolve().parents[2]
BOOTH = [sys.executable, "-m", "booth"]


@pytest.fixture
def service(quick_service):
    return quick_service


@pytest.fixture
def two_booths(broker, service, tmp_path):
    """booth-a online; booth-b stopped cleanly, its last status rewritten as if it left 185 s ago."""
    links = []
    for booth_id in ("booth-a", "booth-b"):
        fleet = FleetSettings(
            enabled=True,
            broker=broker.url,
            booth_id=booth_id,
            credentials_file=credentials_file(tmp_path, booth_id),
        )
        link = FleetLink.from_settings(fleet, service, "1.2.3")
        link.start()
        links.append(link)
    operator = Watcher(broker, "operator")
    try:
        wait_until(lambda: all(operator.last_json(f"booths/{b}/status") for b in ("booth-a", "booth-b")), 30)
        links[1].stop()
        last = wait_until(
            lambda: (s := operator.last_json("booths/booth-b/status")) and s["state"] == "offline" and s, 30
        )
        as_booth_b = Watcher(broker, "booth-b")
        wait_until(as_booth_b.connected.is_set, 30)
        as_booth_b.publish(
            "booths/booth-b/status", json.dumps({**last, "at": time.time() - 185}), retain=True
        )
        as_booth_b.close()
        wait_until(lambda: operator.last_json("booths/booth-b/status")["at"] < time.time() - 180, 30)
    finally:
        operator.close()
    yield
    links[0].stop()


@pytest.fixture(autouse=True)
def no_config_file(monkeypatch):
    monkeypatch.delenv("BOOTH_CONFIG", raising=False)
    for name in ("MQTT_USERNAME", "MQTT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def test_once_shows_both_booths_and_how_long_the_offline_one_is_gone(broker, two_booths, tmp_path, capsys):
    creds = credentials_file(tmp_path, "dashboard")
    code = main(["fleet", "--once", "--broker", broker.url, "--credentials", str(creds)])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split() == ["booth", "state", "fps", "free", "disk", "today", "backlog", "version"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"booth-a", "booth-b"}
    assert rows["booth-a"].split()[1] == "idle"
    assert "1.2.3" in rows["booth-a"] and "GB" in rows["booth-a"]
    assert "offline 3 min" in rows["booth-b"]


def test_prefix_and_credentials_from_the_settings_file(broker, two_booths, tmp_path, capsys):
    creds = credentials_file(tmp_path, "operator")
    settings = tmp_path / "booth.toml"
    settings.write_text(f'[fleet]\nbroker = "{broker.url}"\ncredentials_file = "{creds}"\n')
    assert main(["fleet", "--once", "--config", str(settings)]) == 0
    assert "booth-a" in capsys.readouterr().out
    assert main(["fleet", "--once", "--config", str(settings), "--prefix", "elsewhere"]) == 0
    assert "(no booth has published yet)" in capsys.readouterr().out


def test_an_unreachable_broker_is_one_line_and_exit_2(capsys, tmp_path):
    creds = credentials_file(tmp_path, "operator")
    code = main(
        ["fleet", "--once", "--broker", f"mqtt://127.0.0.1:{free_port()}", "--credentials", str(creds)]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "cannot reach the broker" in err, err


def test_a_refused_login_is_one_line_and_exit_2(broker, capsys, tmp_path):
    creds = credentials_file(tmp_path, "operator", password="wrong")
    code = main(["fleet", "--once", "--broker", broker.url, "--credentials", str(creds)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "refused" in err and "password" in err, err


def test_live_table_is_redrawn_until_interrupted(broker, two_booths, tmp_path):
    creds = credentials_file(tmp_path, "dashboard")
    out_path = tmp_path / "fleet.out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            [*BOOTH, "fleet", "--broker", broker.url, "--credentials", str(creds)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    try:
        wait_until(lambda: out_path.read_text().count("booth-b") >= 3, 30, "three redraws")
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    text = out_path.read_text()
    assert "Traceback" not in text
    assert "offline 3 min" in text

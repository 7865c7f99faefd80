"""The fleet link against a real Mosquitto: the retained status and availability, the last will, a broker
that is down at start or restarts mid-session, events, and Home Assistant discovery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from servers.mosquitto import Mosquitto, Watcher, credentials_file
from support import wait_until

pytestmark = pytest.mark.mqtt

ROOT = Path(__file__).resolve().parents[2]

STATUS, AVAILABILITY, EVENTS = "booths/booth-a/status", "booths/booth-a/availability", "booths/booth-a/events"


def wait_for(predicate, seconds: float = 30.0, what: str = "condition met"):
    """Generous deadlines: a loaded two-core machine runs the booth's analysis beside the broker."""
    return wait_until(predicate, seconds, what)


FIELDS = {
    "booth_id",
    "every_s",
    "state",
    "paused",
    "analysis_fps",
    "standby",
    "faults",
    "free_disk_bytes",
    "sessions_today",
    "photos_today",
    "upload_backlog",
    "session",
    "version",
    "at",
}


def test_retained_status_has_every_field_and_a_clean_stop_says_offline(service, make_link, watch):
    before = time.time()
    link = make_link(service)
    wait_for(lambda: link.state().connected, what="the link connected")
    # A viewer that arrives later gets the retained messages.
    watcher = watch("dashboard")
    wait_for(lambda: watcher.last(AVAILABILITY) == b"online", what="availability online")
    status = wait_for(lambda: watcher.last_json(STATUS), what="a status")
    assert set(status) == FIELDS
    assert status["booth_id"] == "booth-a" and status["version"] == link.identity.version == "9.9.9-test"
    assert status["state"] == "idle" and status["paused"] is None and status["session"] is None
    assert status["faults"] == {"camera": None, "runner": None, "storage": None, "analysis": None}
    assert isinstance(status["free_disk_bytes"], int) and status["free_disk_bytes"] > 0
    assert (status["sessions_today"], status["photos_today"]) == (0, 0)
    assert status["upload_backlog"] is None  # cloud delivery off
    assert before - 1 <= status["at"] <= time.time() + 1
    # The replayed clip is analysed: a later status shows the rate.
    fps = wait_for(
        lambda: [s["analysis_fps"] for s in watcher.jsons(STATUS) if s["analysis_fps"] > 0],
        what="a status with an analysis rate",
    )
    assert fps[-1] > 0
    assert link.state().commands and link.state().error == ""

    link.stop()
    wait_for(lambda: watcher.last(AVAILABILITY) == b"offline", what="availability offline after stop")
    last = wait_for(
        lambda: (s := watcher.last_json(STATUS)) and s["state"] == "offline" and s, what="offline"
    )
    assert last["at"] >= status["at"]
    assert not link.state().connected


def test_the_broker_sends_the_last_will_when_the_booth_process_is_killed(broker, watch, tmp_path):
    child = Path(__file__).with_name("fleet_child.py")
    creds = credentials_file(tmp_path, "booth-b")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    err_path = tmp_path / "child.err"
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(child), broker.url, "booth-b", str(creds), str(tmp_path / "child-data")],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
    try:
        watcher = watch("operator")
        wait_for(lambda: watcher.last("booths/booth-b/availability") == b"online", 60, "the child online")
        wait_for(lambda: watcher.last_json("booths/booth-b/status"), what="the child's status")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        wait_for(lambda: watcher.last("booths/booth-b/availability") == b"offline", what="the last will")
        # The will is retained: a viewer arriving now sees the booth offline too.
        late = watch("dashboard")
        wait_for(lambda: late.last("booths/booth-b/availability") == b"offline", what="retained will")
        assert late.last_json("booths/booth-b/status")["state"] != "offline"  # no clean stop happened
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        text = err_path.read_text(errors="replace")
        assert "Traceback" not in text, text


def test_status_comes_back_after_the_broker_is_killed_and_restarted(service, make_link, watch, broker):
    link = make_link(service)
    watcher = watch("operator")
    wait_for(lambda: watcher.last_json(STATUS), what="a first status")
    broker.kill()
    wait_for(lambda: not link.state().connected, what="the link noticed the broker is gone")
    assert link.state().error  # the operator page says why
    service.start_session()  # the booth keeps working without its broker
    assert service.status().state.value == "welcome"
    broker.start()  # same port, same persistence file
    restarted = time.time()
    status = wait_for(
        lambda: (s := watcher.last_json(STATUS)) and s["at"] >= restarted and s,
        30,
        "a status published after the restart",
    )
    took = time.time() - restarted
    print(f"status back {took:.1f} s after the broker restarted")
    assert status["state"] == "welcome"
    assert watcher.last(AVAILABILITY) == b"online"
    assert link.state().connected


def test_a_broker_down_at_start_never_blocks_and_the_booth_appears_when_it_comes(
    service, make_link, tmp_path
):
    later = Mosquitto(tmp_path / "late-broker")  # its port is chosen, nothing listens yet
    begun = time.monotonic()
    link = make_link(service, broker=later.url)
    assert time.monotonic() - begun < 5  # start() returns at once
    wait_for(lambda: link.state().error, what="an error for the operator page")
    assert not link.state().connected
    later.start()
    try:
        watcher = Watcher(later, "operator")
        try:
            status = wait_for(lambda: watcher.last_json(STATUS), 40, "the status once the broker came")
            assert status["state"] == "idle"
        finally:
            watcher.close()
        link.stop()
    finally:
        later.stop()


def test_events_follow_a_session_from_start_to_finish(service, make_link, watch):
    link = make_link(service)
    watcher = watch("operator")
    wait_for(lambda: link.state().connected and watcher.last_json(STATUS), what="connected")
    service.start_session()
    status = service.consent().to_json()
    session_id = status["session"]["id"]
    started = wait_for(
        lambda: [e for e in watcher.jsons(EVENTS) if e["event"] == "session_started"], what="session_started"
    )
    assert started[0]["session_id"] == session_id and started[0]["booth_id"] == "booth-a"
    service.cancel_session()
    finished = wait_for(
        lambda: [e for e in watcher.jsons(EVENTS) if e["event"] == "session_finished"],
        what="session_finished",
    )
    assert finished[0]["session_id"] == session_id
    assert finished[0]["outcome"] == "aborted"
    assert isinstance(finished[0]["photos"], int)
    # Today's count includes the session (read at most every status_every_s = 1 s).
    wait_for(lambda: watcher.last_json(STATUS)["sessions_today"] == 1, what="sessions_today = 1")


def test_home_assistant_discovery_is_retained_and_republished(service, make_link, watch, broker):
    link = make_link(service, home_assistant=True)
    wait_for(lambda: link.state().connected, what="connected")
    watcher = watch("dashboard", topics=("homeassistant/#",))
    names = ("state", "fps", "free_disk", "sessions_today", "photos_today", "upload_backlog", "faults")
    for name in names:
        topic = f"homeassistant/sensor/booth-a/{name}/config"
        config = wait_for(lambda topic=topic: watcher.last_json(topic), what=f"discovery of {name}")
        assert config["state_topic"] == STATUS
        assert config["availability_topic"] == AVAILABILITY
        assert config["unique_id"] == f"booth_booth-a_{name}"
        assert config["device"]["identifiers"] == ["booth_booth-a"]
        assert "value_json" in config["value_template"]
    count = len(watcher.received("homeassistant/sensor/booth-a/fps/config"))
    broker.restart(kill=True)
    wait_for(
        lambda: len(watcher.received("homeassistant/sensor/booth-a/fps/config")) > count,
        40,
        "discovery sent again after reconnecting",
    )
    assert json.loads(watcher.last("homeassistant/sensor/booth-a/fps/config"))["unit_of_measurement"] == "fps"


def test_stop_with_the_broker_down_returns_promptly(service, make_link, tmp_path):
    nowhere = Mosquitto(tmp_path / "never-started")
    link = make_link(service, broker=nowhere.url)
    wait_for(lambda: link.state().error != "not connected yet", what="a first failed attempt")
    begun = time.monotonic()
    link.stop()
    assert time.monotonic() - begun < 10
    assert not link.state().connected


@pytest.mark.parametrize("version", ["5", "3.1.1"])
def test_the_adapter_speaks_both_protocol_versions(broker, watch, version):
    from booth.fleet.mqtt import Broker, Login, MqttClient

    watcher = watch("operator")
    wait_for(watcher.connected.is_set, what="the watcher connected")
    connected: list[bool] = []
    client = MqttClient(
        Broker.parse(broker.url),
        Login("booth-a", "booth-a-secret"),
        client_id=f"adapter-{version}",
        version=version,
        on_connect=lambda: connected.append(True),
    )
    client.connect(10)
    try:
        assert connected and client.connected
        assert client.publish("booths/booth-a/events", f"hello {version}")
        assert client.flush(10)
        wait_for(
            lambda: watcher.last("booths/booth-a/events") == f"hello {version}".encode(), what="delivered"
        )
    finally:
        client.stop()
    assert not client.connected and not client.publish("booths/booth-a/events", "after stop")


def test_a_booth_with_a_client_certificate_over_tls_publishes_and_takes_commands(service, tmp_path):
    from servers.mosquitto import make_certificates

    from booth.config.outbound import FleetSettings
    from booth.fleet import FleetLink

    certs = make_certificates(tmp_path / "certs")
    server = Mosquitto(tmp_path / "tls-broker", tls=certs).start()
    cert, key = certs.client("booth-a")
    fleet = FleetSettings(
        enabled=True,
        broker=f"mqtts://127.0.0.1:{server.tls_port}",
        booth_id="booth-a",
        ca_file=certs.ca,
        cert_file=cert,
        key_file=key,
        status_every_s=1.0,
    )
    link = FleetLink.from_settings(fleet, service, "tls")
    operator = Watcher(server, "operator")  # on the password listener: the same ACL for both
    try:
        assert link.state().commands  # the certificate is the login
        link.start()
        wait_for(lambda: link.state().connected, what="connected over TLS")
        wait_for(lambda: operator.last_json(STATUS), what="the status over TLS")
        operator.publish("booths/booth-a/command", json.dumps({"command": "pause", "id": "t"}))
        result = wait_for(lambda: operator.jsons("booths/booth-a/command/result"), what="the answer")[0]
        assert result["ok"] and result["id"] == "t"
        assert service.status().paused
    finally:
        link.stop()
        operator.close()
        server.stop()

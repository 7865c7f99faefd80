"""booth.doctor.outbound: the delivery and fleet checks against a real S3 server and a real broker.

SeaweedFS (``weed server -s3``) and Debian's mosquitto are started here on 127.0.0.1, as the delivery and
fleet tests do. The failing outbox is made by the booth's own uploader against an endpoint where nothing
listens, so the reason the doctor names is the one a booth would really record; the data folder stays open
in a live Storage while the doctor reads it.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from servers.mosquitto import USERS, Mosquitto, credentials_file, free_port

from booth.commands import doctor as doctor_command
from booth.config.outbound import DeliverySettings, FleetSettings
from booth.delivery import Delivery
from booth.doctor import format_table
from booth.doctor.outbound import check_delivery, check_fleet
from booth.storage import Storage

sys.path.insert(0, str(Path(__file__).resolve().parent / "web"))
from gallery_seed import seed_gallery


def wait_for(condition, timeout: float = 30.0, what: str = "the condition") -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)
    return value


# --- off -------------------------------------------------------------------------------------------------


def test_both_checks_pass_as_off_when_their_section_is_not_enabled(tmp_path):
    delivery = check_delivery(DeliverySettings(), tmp_path)
    fleet = check_fleet(FleetSettings(), hostname=lambda: "raspberrypi")
    assert (delivery.ok, delivery.warn, delivery.detail) == (True, False, "off (delivery.enabled is false)")
    assert (fleet.ok, fleet.warn, fleet.detail) == (True, False, "off (fleet.enabled is false)")


# --- delivery --------------------------------------------------------------------------------------------


@pytest.fixture
def delivery(seaweed, tmp_path):
    """``delivery(**overrides)``: enabled delivery to the server's bucket, keys in a 0600 file."""
    keys = seaweed.env_file(tmp_path / "s3.env")

    def make(**overrides: Any) -> DeliverySettings:
        values: dict[str, Any] = {
            "enabled": True,
            "endpoint_url": seaweed.endpoint,
            "bucket": seaweed.bucket,
            "prefix": f"doctor-{secrets.token_hex(4)}",
            "credentials_file": keys,
            "timeout_s": 5.0,
            **overrides,
        }
        return DeliverySettings.model_validate(values)

    return make


@pytest.mark.s3
def test_delivery_passes_when_the_keys_read_and_the_bucket_answers(delivery, seaweed, tmp_path):
    result = check_delivery(delivery(), tmp_path / "data")
    assert result.ok and not result.warn, result
    assert f"bucket {seaweed.bucket} answers at {seaweed.endpoint}" in result.detail
    assert f"keys from {tmp_path / 's3.env'}" in result.detail
    assert "no outbox yet" in result.detail  # no booth has run in this data folder


@pytest.mark.s3
def test_delivery_fails_when_the_bucket_is_down(delivery, seaweed, tmp_path):
    settings = delivery()
    seaweed.stop()
    result = check_delivery(settings, tmp_path / "data")
    assert not result.ok, result
    assert result.detail.startswith(f"bucket unreachable at {seaweed.endpoint}: connection refused")
    assert "delivery.endpoint_url" in result.fix and "the server is up" in result.fix


@pytest.mark.s3
def test_delivery_fails_when_the_keys_are_wrong(delivery, seaweed, tmp_path):
    wrong = tmp_path / "wrong.env"
    wrong.write_text(f"AWS_ACCESS_KEY_ID={seaweed.access_key}\nAWS_SECRET_ACCESS_KEY={'0' * 40}\n")
    wrong.chmod(0o600)
    result = check_delivery(delivery(credentials_file=wrong), tmp_path / "data")
    assert not result.ok, result
    assert "refused the booth's keys" in result.detail
    assert "AWS_SECRET_ACCESS_KEY" in result.fix


@pytest.mark.s3
def test_delivery_fails_when_the_bucket_does_not_exist(delivery, seaweed, tmp_path):
    result = check_delivery(delivery(bucket="no-such-bucket"), tmp_path / "data")
    assert not result.ok, result
    assert result.detail == f"bucket no-such-bucket does not exist at {seaweed.endpoint}"
    assert result.fix == "create it, or fix delivery.bucket"


@pytest.mark.s3
def test_delivery_fails_on_a_keys_file_others_can_read_without_asking_the_bucket(delivery, tmp_path):
    keys = tmp_path / "s3.env"
    settings = delivery()
    keys.chmod(0o644)
    result = check_delivery(settings, tmp_path / "data")
    assert not result.ok, result
    assert result.detail.startswith(f"keys: {keys}: credentials readable by other users (mode 644)")
    assert result.fix == f"run chmod 600 {keys}"


def test_delivery_fails_when_the_keys_are_missing_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    settings = DeliverySettings(enabled=True, bucket="photos", endpoint_url=f"http://127.0.0.1:{free_port()}")
    result = check_delivery(settings, tmp_path)
    assert not result.ok
    assert result.detail == "keys: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY not set in the environment"
    assert result.fix == "add AWS_ACCESS_KEY_ID=... there"


@pytest.mark.s3
def test_delivery_warns_about_failing_uploads_beside_a_live_booth(delivery, seaweed, tmp_path, media):
    """A booth delivered a session while its endpoint was wrong: the uploader recorded why each upload
    failed. With the endpoint fixed the bucket answers, and the doctor (reading the outbox while the booth
    holds the data folder) warns, naming the oldest failure's reason and where to watch the queue."""
    data = tmp_path / "data"
    storage = Storage(data)
    storage.open()  # holds the data folder's lock, as a running booth does
    try:
        record, _shots = seed_gallery(storage, media)
        dead = f"http://127.0.0.1:{free_port()}"
        booth_side = Delivery.from_settings(
            delivery(endpoint_url=dead, retry_min_s=600, retry_max_s=600), storage, 90
        )
        booth_side.start()
        try:
            assert booth_side.deliver(record.id) is not None
            wait_for(lambda: storage.outbox_summary().failing > 0, what="a failed upload")
        finally:
            booth_side.stop()
        known = storage.delivery(record.id)
        assert known is not None
        result = check_delivery(delivery(), data)
    finally:
        storage.close()
    assert result.ok and result.warn, result
    assert f"answers at {seaweed.endpoint}" in result.detail
    assert f"oldest failure: upload {known.folder}/" in result.detail
    assert f"(session {record.id}) after 1 attempt: " in result.detail
    assert f"bucket unreachable at {dead}: connection refused" in result.detail
    assert "booth delivery queue" in result.fix
    table = format_table([result])
    assert table.splitlines()[0].startswith("WARN  delivery")
    assert table.splitlines()[1].strip().startswith("fix: the booth retries by itself")
    assert table.splitlines()[-1] == "1 of 1 checks passed, 1 with a warning"


# --- fleet -----------------------------------------------------------------------------------------------


def fleet(broker: Mosquitto, folder: Path, booth_id: str = "booth-a", **overrides: Any) -> FleetSettings:
    values: dict[str, Any] = {
        "enabled": True,
        "broker": broker.url,
        "booth_id": booth_id,
        "credentials_file": credentials_file(folder, "booth-a"),
        **overrides,
    }
    return FleetSettings.model_validate(values)


@pytest.mark.mqtt
def test_fleet_passes_when_the_broker_accepts_the_login(broker, tmp_path):
    result = check_fleet(fleet(broker, tmp_path), hostname=lambda: "studio-pi")
    assert result.ok and not result.warn, result
    assert result.detail == f"{broker.url} accepts booth booth-a (user booth-a)"


@pytest.mark.mqtt
def test_fleet_fails_on_a_wrong_password(broker, tmp_path):
    settings = fleet(broker, tmp_path)
    credentials_file(tmp_path, "booth-a", password="not-the-password")
    result = check_fleet(settings, hostname=lambda: "studio-pi")
    assert not result.ok, result
    assert result.detail.startswith(f"the broker at {broker.url} refused the connection")
    assert f"MQTT_PASSWORD in {tmp_path / 'booth-a.env'}" in result.fix
    assert "mosquitto_passwd" in result.fix


@pytest.mark.mqtt
def test_fleet_fails_when_the_broker_is_down(broker, tmp_path):
    settings = fleet(broker, tmp_path)
    broker.stop()
    result = check_fleet(settings, hostname=lambda: "studio-pi")
    assert not result.ok, result
    assert result.detail.startswith(f"cannot reach the broker at {broker.url}")
    assert "--broker" not in result.detail + result.fix  # `booth fleet`'s option, not the doctor's
    assert result.fix == f"check that the broker runs and that fleet.broker ({broker.url}) names it"


@pytest.mark.mqtt
def test_fleet_warns_about_a_booth_id_from_raspberry_pi_oss_default_host_name(broker, tmp_path):
    result = check_fleet(fleet(broker, tmp_path, booth_id=""), hostname=lambda: "raspberrypi")
    assert result.ok and result.warn, result
    assert "accepts booth raspberrypi" in result.detail and "'raspberrypi'" in result.detail
    assert "fleet.booth_id" in result.fix and "hostnamectl" in result.fix
    named = check_fleet(fleet(broker, tmp_path, booth_id="booth-a"), hostname=lambda: "raspberrypi")
    assert named.ok and not named.warn, named  # an id of its own: the host name does not matter


@pytest.mark.mqtt
def test_the_fleet_check_leaves_the_running_booths_session_alone(broker, tmp_path):
    """The running booth is on the broker as ``booth-<booth_id>`` (booth.fleet.FleetLink). Were the doctor
    to log in under that id, the broker would end the booth's session ("session taken over"); it must not,
    and it must publish nothing (a watcher of every topic hears nothing)."""
    dropped = threading.Event()
    heard: list[str] = []
    up, listening = threading.Event(), threading.Event()
    booth = paho.Client(CallbackAPIVersion.VERSION2, client_id="booth-booth-a", protocol=paho.MQTTv5)
    booth.username_pw_set("booth-a", USERS["booth-a"])
    booth.on_connect = lambda *args: up.set()
    booth.on_disconnect = lambda *args: dropped.set()
    operator = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"op-{uuid.uuid4().hex[:8]}")
    operator.username_pw_set("operator", USERS["operator"])
    operator.on_connect = lambda client, *args: client.subscribe("#", 1)
    operator.on_subscribe = lambda *args: listening.set()
    operator.on_message = lambda client, userdata, message: heard.append(message.topic)
    for client in (booth, operator):
        client.connect(broker.host, broker.port, 30)
        client.loop_start()
    try:
        assert up.wait(20) and listening.wait(20), "the stand-in booth or the operator did not connect"
        result = check_fleet(fleet(broker, tmp_path), hostname=lambda: "studio-pi")
        assert result.ok, result
        # A takeover would arrive before the doctor's own CONNACK; give it generous time to show anyway.
        assert not dropped.wait(2.0), "the doctor took over the running booth's session"
        assert booth.is_connected()
    finally:
        for client in (booth, operator):
            client.disconnect()
            client.loop_stop()
    assert heard == []


# --- through `booth doctor` ------------------------------------------------------------------------------


@pytest.mark.s3
@pytest.mark.mqtt
def test_booth_doctor_runs_both_checks_from_the_settings_file(delivery, seaweed, broker, tmp_path, capsys):
    settings = delivery()
    keys = credentials_file(tmp_path, "booth-a")
    config = tmp_path / "booth.toml"
    config.write_text(
        "[delivery]\nenabled = true\n"
        f'endpoint_url = "{settings.endpoint_url}"\nbucket = "{settings.bucket}"\n'
        f'credentials_file = "{settings.credentials_file}"\ntimeout_s = 5.0\n'
        f'[fleet]\nenabled = true\nbroker = "{broker.url}"\nbooth_id = "booth-a"\n'
        f'credentials_file = "{keys}"\n'
    )
    skip = [f"--skip={name}" for name in doctor_command.CHECKS if name not in ("delivery", "fleet")]
    parser = argparse.ArgumentParser()
    doctor_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["doctor", "--config", str(config), "--data", str(tmp_path / "data"), *skip])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert f"ok    delivery  keys from {settings.credentials_file}; bucket photos answers at" in out
    assert f"; no outbox yet (no {tmp_path / 'data' / 'booth.db'})" in out
    assert f"ok    fleet     {broker.url} accepts booth booth-a (user booth-a)" in out
    assert out.splitlines()[-1] == "2 of 2 checks passed"


def test_an_unreadable_keys_file_is_named_with_its_fix(tmp_path):
    """Tests run as root, who reads any file: a folder in the file's place is what cannot be read here."""
    keys = tmp_path / "s3.env"
    keys.mkdir(mode=0o700)
    result = check_delivery(DeliverySettings(enabled=True, bucket="photos", credentials_file=keys), tmp_path)
    assert not result.ok
    assert result.detail.startswith(f"keys: {keys}: cannot read the credentials file")
    assert result.fix.startswith("check its owner and mode")

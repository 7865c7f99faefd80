"""The running booth on the replay camera (real footage, real models) with gpiozero mock pins.

Mocked only at the hardware boundary: MockFactory pins, and the replay camera for the Pi camera.
"""

from __future__ import annotations

import time

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from booth import config
from booth.errors import BoothError
from booth.hardware import Hardware
from booth.service import BoothService


@pytest.fixture
def service(tmp_path, models, media):
    settings = config.Settings()
    hardware = Hardware(settings.pins, pin_factory=MockFactory(pin_class=MockPWMPin))
    svc = BoothService(
        settings, tmp_path, hardware=hardware, models=models, camera_spec=f"replay:{media('single_face.mp4')}"
    )
    svc.start()
    yield svc
    svc.stop()


def wait_for(subscription, kind: str, seconds: float) -> dict | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        event = subscription.get(0.5)
        if event and event["type"] == kind:
            return event
    return None


def test_session_keeps_a_shot_with_its_files(service):
    assert service.start_session("commercial")["state"] == "welcome"
    with service.subscribe() as events:
        assert service.consent()["state"] in ("baseline", "shooting")
        shot = wait_for(events, "shot", 20)
    assert shot is not None and shot["look"] == "approachable"
    time.sleep(0.6)  # the external camera's focus lead, then the shutter pulse
    status = service.status()
    assert status["shots_taken"] == 1 and status["shutter_pulses"] >= 1
    record = service.storage.session_by_token(shot["session_token"])
    (kept,) = service.storage.gallery(record.token)
    assert service.storage.path_of(kept).stat().st_size > 10_000
    assert set(kept.crops) >= {"4x5", "1x1"}


def test_status_and_health_while_running(service):
    time.sleep(1.0)
    health = service.health()
    assert health == {"ok": True, "camera": "replay", "frames": health["frames"], "fault": None}
    assert health["frames"] > 0
    status = service.status()
    assert status["state"] == "idle" and status["camera"]["kind"] == "replay"
    assert status["gpio"]["is_mock"] is True
    assert service.preview_jpeg()[1][:2] == b"\xff\xd8"


def test_second_session_is_refused_while_one_runs(service):
    service.start_session()
    with pytest.raises(BoothError, match="already running"):
        service.start_session()
    assert service.cancel_session()["state"] == "idle"


def test_settings_are_validated_and_persisted(tmp_path, service):
    service.config_path = tmp_path / "booth.toml"
    service.update_settings({"policy": {"default_threshold": 0.7}})
    assert config.load(service.config_path).policy.default_threshold == 0.7
    with pytest.raises(config.ConfigError, match="default_threshold"):
        service.update_settings({"policy": {"default_threshold": 7}})
    assert service.settings.policy.default_threshold == 0.7

"""The service tests' one way to run a real booth service: the replayed clip, gpiozero's MockFactory pins."""

from __future__ import annotations

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from booth import config
from booth.hardware import Hardware
from booth.service import BoothService


@pytest.fixture
def make_service(tmp_path, models, media):
    """``make_service(settings, **kwargs)``: a started service on the replay clip with mock pins (the
    hardware boundary), stopped after the test."""
    made = []

    def make(settings: config.Settings, **kwargs) -> BoothService:
        factory = MockFactory(pin_class=MockPWMPin)
        hardware = Hardware(settings.pins, pin_factory=factory)
        kwargs.setdefault("camera_spec", f"replay:{media('single_face.mp4')}")
        svc = BoothService(settings, tmp_path / "data", hardware=hardware, models=models, **kwargs)
        svc.pin_factory = factory  # the test presses the mock button through it
        svc.start()
        made.append(svc)
        return svc

    yield make
    for svc in made:
        svc.stop()

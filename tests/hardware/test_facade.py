"""booth/hardware/__init__.py: :class:`Hardware`, every device built from ``PinSettings``.

The facade's own promises: fire drives the lines, the buzzer and the light; the button reaches whoever
connects to it; ``shots`` counts the pulses; close releases every pin, also after a failed open; the pin
library is chosen from the settings. Mocked at the hardware boundary only (gpiozero's mock pins, an
injected model file).
"""

from __future__ import annotations

import threading
import time

import pytest
from gpio_fakes import fast_settings, press_then_hold
from gpiozero import DigitalOutputDevice

from booth.config import PinSettings
from booth.errors import BoothError, PinFactoryError, PinOpenError
from booth.hardware import Hardware, LightPattern


def test_hardware_fire_drives_lines_buzzer_and_light(factory):
    with Hardware(fast_settings(buzzer=22, buzzer_ms=80), pin_factory=factory) as hw:
        assert hw.is_mock and hw.factory_name == "mock"
        shutter_pin, buzzer_pin, led_pin = factory.pin(24), factory.pin(22), factory.pin(27)
        shutter_pin.clear_states()
        buzzer_pin.clear_states()
        release = hw.fire(block=True)
        shutter_pin.assert_states_and_times([(0.0, False), (0.2, True), (0.1, False)])
        assert len(shutter_pin.states) == 3
        buzzer_pin.assert_states_and_times([(0.0, False), (0.0, True), (0.08, False)])
        assert len(buzzer_pin.states) == 3
        assert hw.light.pattern is LightPattern.FIRING
        assert any(s.state == 1.0 for s in led_pin.states)
        assert [p.line for p in hw.pulses] == ["shutter", "focus"]
        status = hw.status()
        assert status["is_mock"] is True and status["shots"] == 1
        assert status["pulses"][0]["started"] == release.first_pulse_at
        # The page's log: one fire's focus and shutter share its number, each with its time of day.
        assert {(p["line"], p["fire"]) for p in status["pulses"]} == {("shutter", 1), ("focus", 1)}
        assert all(abs(p["at"] - time.time()) < 60 for p in status["pulses"])


def test_shots_counts_every_shutter_pulse_since_start(factory):
    settings = fast_settings(focus_lead_ms=0, shutter_pulse_ms=10, burst_gap_ms=0)
    with Hardware(settings, pin_factory=factory) as hw:
        assert hw.shots == 0
        hw.fire(block=True)
        hw.fire(2, block=True)
        assert hw.shots == 3 == hw.status()["shots"]
        with pytest.raises(AttributeError):
            hw.shots = 0  # read-only: only the shutter counts


def test_hardware_button_starts_and_cancels_a_session(factory):
    events = []
    cancelled = threading.Event()
    hw = Hardware(
        fast_settings(),
        pin_factory=factory,
        on_start=lambda: events.append("start"),
        on_cancel=lambda: (events.append("cancel"), cancelled.set()),
    )
    press_then_hold(factory, cancelled)
    assert events == ["start", "cancel"]
    hw.close()


def test_connect_button_reaches_a_hardware_built_before(factory):
    events = []
    cancelled = threading.Event()
    with Hardware(fast_settings(), pin_factory=factory) as hw:
        hw.connect_button(lambda: events.append("start"))
        hw.connect_button(on_cancel=lambda: (events.append("cancel"), cancelled.set()))  # start kept
        press_then_hold(factory, cancelled)
    assert events == ["start", "cancel"]


def test_connect_button_without_a_button_does_nothing(factory):
    with Hardware(fast_settings(button=None), pin_factory=factory) as hw:
        hw.connect_button(lambda: None, lambda: None)
        assert hw.button is None


def test_hardware_close_releases_every_pin(factory):
    hw = Hardware(fast_settings(buzzer=22), pin_factory=factory)
    hw.show(LightPattern.FAULT)
    hw.close()
    hw.close()  # twice is fine
    assert factory.pin(23).pull == factory.pin(24).pull == "down"  # parked with mock pins too
    for pin in (23, 24, 17, 18, 22):
        assert factory.pin(pin).function == "input"
        DigitalOutputDevice(pin, pin_factory=factory).close()  # free to claim again


def test_hardware_without_optional_devices(factory):
    with Hardware(fast_settings(focus=None, button=None, led=None), pin_factory=factory) as hw:
        assert hw.button is None and hw.light is None and hw.buzzer is None
        hw.show(LightPattern.READY)  # no light: nothing to do
        assert hw.fire(block=True).pulses


def test_pin_in_use_is_a_one_line_error_naming_the_pin(factory):
    squatter = DigitalOutputDevice(27, pin_factory=factory)
    with pytest.raises(PinOpenError) as info:
        Hardware(fast_settings(), pin_factory=factory)
    message = str(info.value)
    assert "GPIO27 (led)" in message and "pins.led" in message and "\n" not in message
    assert isinstance(info.value, BoothError)
    squatter.close()
    # the devices opened before the failure were released
    for pin in (23, 24, 17):
        DigitalOutputDevice(pin, pin_factory=factory).close()


def test_hardware_on_a_pi_without_a_pin_library_raises(pi_file):
    try:
        import lgpio  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("lgpio is installed: this machine could open real pins")
    with pytest.raises(PinFactoryError, match="'lgpio' failed on Raspberry Pi 5"):
        Hardware(PinSettings(), model_path=pi_file, env={})


def test_hardware_auto_off_a_pi_is_mock_and_says_so(not_pi):
    with Hardware(PinSettings(), model_path=not_pi, env={}) as hw:
        assert hw.is_mock and hw.status()["is_mock"] is True and hw.board is None
        hw.fire(block=True)
        assert hw.status()["shots"] == 1

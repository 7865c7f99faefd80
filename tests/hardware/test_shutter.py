"""booth/hardware/shutter.py: the focus/shutter sequence on gpiozero's mock pins, timed.

Mocked at the hardware boundary only (see gpio_fakes.py): the pins record every state change with its time.
"""

from __future__ import annotations

import logging
import time

import pytest
from gpiozero import DigitalOutputDevice

from booth.errors import PinOpenError
from booth.hardware.shutter import ExternalShutter


def test_shutter_sequence_states_and_times(factory):
    shutter = ExternalShutter(24, 23, focus_lead_ms=200, pulse_ms=100, pin_factory=factory)
    focus_pin, shutter_pin = factory.pin(23), factory.pin(24)
    focus_pin.clear_states()
    shutter_pin.clear_states()
    before = time.monotonic()
    release = shutter.fire(block=True)
    after = time.monotonic()

    focus_pin.assert_states_and_times([(0.0, False), (0.0, True), (0.3, False)])
    shutter_pin.assert_states_and_times([(0.0, False), (0.2, True), (0.1, False)])
    assert len(focus_pin.states) == 3
    assert len(shutter_pin.states) == 3
    assert release.done.is_set()
    assert shutter.count == 1
    (pulse,) = release.pulses
    assert pulse.line == "shutter" and pulse.shot == 1
    assert before + 0.19 <= pulse.started <= after - 0.09
    assert pulse.duration_ms == pytest.approx(100, abs=40)
    assert [p.line for p in shutter.pulses] == ["shutter", "focus"]
    shutter.close()


def test_shutter_burst(factory):
    shutter = ExternalShutter(24, 23, focus_lead_ms=200, pulse_ms=100, burst_gap_ms=100, pin_factory=factory)
    focus_pin, shutter_pin = factory.pin(23), factory.pin(24)
    focus_pin.clear_states()
    shutter_pin.clear_states()
    release = shutter.fire(2, block=True)
    shutter_pin.assert_states_and_times([(0.0, False), (0.2, True), (0.1, False), (0.1, True), (0.1, False)])
    focus_pin.assert_states_and_times([(0.0, False), (0.0, True), (0.5, False)])
    assert len(shutter_pin.states) == 5
    assert len(focus_pin.states) == 3
    assert [p.shot for p in release.pulses] == [1, 2]
    assert release.pulses[1].started - release.pulses[0].started == pytest.approx(0.2, abs=0.05)
    shutter.close()


def test_shutter_active_low_on_boot_high_pins(factory):
    shutter = ExternalShutter(6, 5, active_high=False, focus_lead_ms=200, pulse_ms=100, pin_factory=factory)
    focus_pin, shutter_pin = factory.pin(5), factory.pin(6)
    assert focus_pin.state and shutter_pin.state  # idle = high
    focus_pin.clear_states()
    shutter_pin.clear_states()
    shutter.fire(block=True)
    focus_pin.assert_states_and_times([(0.0, True), (0.0, False), (0.3, True)])
    shutter_pin.assert_states_and_times([(0.0, True), (0.2, False), (0.1, True)])
    assert len(focus_pin.states) == 3
    assert len(shutter_pin.states) == 3
    shutter.close()


def test_shutter_without_focus_line_skips_lead(factory):
    shutter = ExternalShutter(24, None, focus_lead_ms=500, pulse_ms=100, pin_factory=factory)
    pin = factory.pin(24)
    pin.clear_states()
    shutter.fire(block=True)
    pin.assert_states_and_times([(0.0, False), (0.0, True), (0.1, False)])
    assert len(pin.states) == 3
    shutter.close()


def test_background_fire_returns_at_once_and_sequences_do_not_overlap(factory):
    shutter = ExternalShutter(24, 23, focus_lead_ms=100, pulse_ms=100, pin_factory=factory)
    pin = factory.pin(24)
    pin.clear_states()
    start = time.monotonic()
    first, second = shutter.fire(), shutter.fire()
    assert time.monotonic() - start < 0.1
    assert shutter.busy
    assert first.wait(2) and second.wait(2)
    assert len(pin.states) == 5  # two whole pulses, one after the other
    assert second.first_pulse_at - first.first_pulse_at >= 0.19
    assert shutter.count == 2
    shutter.close()


def test_close_aborts_a_running_sequence_and_leaves_lines_inactive(factory):
    shutter = ExternalShutter(24, 23, focus_lead_ms=1000, pulse_ms=1000, pin_factory=factory)
    release = shutter.fire()
    time.sleep(0.05)
    start = time.monotonic()
    shutter.close()
    assert time.monotonic() - start < 0.5
    assert release.done.is_set() and release.pulses == []
    assert not factory.pin(23).state and not factory.pin(24).state
    with pytest.raises(PinOpenError):
        shutter.fire()


def test_on_pulse_callback_and_a_failing_one_does_not_break_the_sequence(factory, caplog):
    seen = []
    shutter = ExternalShutter(24, None, pulse_ms=20, pin_factory=factory, on_pulse=seen.append)
    shutter.fire(block=True)
    assert [p.line for p in seen] == ["shutter"]

    def boom(_pulse):
        raise RuntimeError("page gone")

    shutter.on_pulse = boom
    with caplog.at_level(logging.ERROR, logger="booth.hardware"):
        shutter.fire(block=True)
    assert shutter.count == 2
    assert "on_pulse callback failed" in caplog.text
    shutter.close()


def test_focus_pin_failure_releases_the_shutter_line(factory):
    squatter = DigitalOutputDevice(23, pin_factory=factory)
    with pytest.raises(PinOpenError, match="GPIO23 \\(focus\\)"):
        ExternalShutter(24, 23, pin_factory=factory)
    DigitalOutputDevice(24, pin_factory=factory).close()
    squatter.close()

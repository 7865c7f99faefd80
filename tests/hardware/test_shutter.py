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


def test_each_pulse_carries_its_wall_clock_time_and_its_fire(factory):
    """The page shows pulses at a time of day and groups one fire's focus and shutter pulses together:
    ``at`` is epoch seconds (``started`` stays monotonic, for the latency), ``fire`` the sequence's number."""
    shutter = ExternalShutter(24, 23, focus_lead_ms=50, pulse_ms=20, burst_gap_ms=20, pin_factory=factory)
    before = time.time()
    first = shutter.fire(block=True)
    second = shutter.fire(2, block=True)
    after = time.time()
    assert (first.fire, second.fire, shutter.fires) == (1, 2, 2)
    log = list(shutter.pulses)
    assert [(p.fire, p.line) for p in log] == [
        (1, "shutter"),
        (1, "focus"),
        (2, "shutter"),
        (2, "shutter"),
        (2, "focus"),
    ]
    assert all(before <= p.at <= after for p in log)
    focus, shot = log[1], log[0]
    # The focus line goes active first, ``focus_lead_ms`` before the shutter, on both clocks alike.
    assert shot.at - focus.at == pytest.approx(shot.started - focus.started, abs=0.01)
    assert shot.at - focus.at >= 0.045
    entry = shot.to_json()
    assert entry["at"] == pytest.approx(shot.at, abs=0.001) and entry["started"] == shot.started
    assert (entry["line"], entry["fire"], entry["shot"]) == ("shutter", 1, 1)
    shutter.close()


def test_the_full_pulse_log_never_offers_half_a_fire(factory):
    """The bounded log drops its oldest pulses one by one; ``whole_fires`` drops the fire that lost some."""
    shutter = ExternalShutter(
        24, 23, focus_lead_ms=0, pulse_ms=1, burst_gap_ms=0, pin_factory=factory, history=5
    )
    for _ in range(3):
        shutter.fire(block=True)  # 2 pulses each: the log keeps the last 5 of 6, half of the first fire
    assert [p.fire for p in shutter.pulses] == [1, 2, 2, 3, 3]
    assert [(p.fire, p.line) for p in shutter.whole_fires()] == [
        (2, "shutter"),
        (2, "focus"),
        (3, "shutter"),
        (3, "focus"),
    ]
    shutter.close()


def test_a_log_not_yet_full_is_offered_whole(factory):
    shutter = ExternalShutter(24, None, pulse_ms=1, pin_factory=factory, history=5)
    shutter.fire(block=True)
    assert [p.fire for p in shutter.whole_fires()] == [1]
    shutter.close()

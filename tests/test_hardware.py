"""GPIO devices of booth/hardware.py against gpiozero's MockFactory.

Mocked at the hardware boundary only: pins are gpiozero's own ``MockPin``/``MockPWMPin`` (they record every
state change with its time), and "am I on a Raspberry Pi" reads an injected model file instead of
/proc/device-tree/model. ``assert_states_and_times`` compares with ``zip``, so each timing assertion is paired
with an assertion on the number of recorded states. Timing tolerances are gpiozero's (±50 ms).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from pathlib import Path

import pytest
from gpiozero import DigitalOutputDevice
from gpiozero.pins.mock import MockFactory, MockPWMPin

from booth.config import PinSettings, validate
from booth.errors import BoothError, ConfigError, PinFactoryError, PinOpenError
from booth.hardware import (
    BLINKS,
    ExternalShutter,
    Hardware,
    LightPattern,
    StartButton,
    StatusLight,
    load_real_factory,
    park_remote_lines,
    pattern_for_trigger,
    pi_model,
    select_pin_factory,
)
from booth.policy import TriggerState

PI5 = "Raspberry Pi 5 Model B Rev 1.0"


@pytest.fixture
def factory():
    f = MockFactory(pin_class=MockPWMPin)
    yield f
    f.reset()


@pytest.fixture
def pi_file(tmp_path: Path) -> Path:
    path = tmp_path / "model"
    path.write_bytes(PI5.encode() + b"\x00")
    return path


@pytest.fixture
def not_pi(tmp_path: Path) -> Path:
    return tmp_path / "no-device-tree" / "model"


def fast_settings(**overrides) -> PinSettings:
    values = {"focus_lead_ms": 200, "shutter_pulse_ms": 100, "burst_gap_ms": 100, "hold_s": 0.2}
    return PinSettings(**{**values, **overrides})


# --- external shutter ---------------------------------------------------------------------------------------


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


# --- button -------------------------------------------------------------------------------------------------


def test_button_press_starts_and_hold_cancels(factory):
    started, cancelled = threading.Event(), threading.Event()
    calls = []
    button = StartButton(
        17,
        hold_s=0.2,
        on_start=lambda: (calls.append("start"), started.set()),
        on_cancel=lambda: (calls.append("cancel"), cancelled.set()),
        pin_factory=factory,
    )
    pin = factory.pin(17)
    assert pin.state  # pull-up: released reads high
    pin.drive_low()
    assert button.is_pressed
    pin.drive_high()
    assert started.is_set()
    assert calls == ["start"]

    pin.drive_low()
    assert cancelled.wait(2)
    pin.drive_high()
    assert calls == ["start", "cancel"]  # a hold never starts a session

    pin.drive_low()
    pin.drive_high()
    assert calls == ["start", "cancel", "start"]
    button.close()


def test_button_active_high_wiring(factory):
    calls = []
    button = StartButton(
        27, pull_up=False, hold_s=1.0, on_start=lambda: calls.append("start"), pin_factory=factory
    )
    pin = factory.pin(27)
    pin.drive_high()
    pin.drive_low()
    assert calls == ["start"]
    button.close()


def test_button_callback_failure_is_logged(factory, caplog):
    def boom():
        raise RuntimeError("session store down")

    button = StartButton(17, on_start=boom, pin_factory=factory)
    pin = factory.pin(17)
    with caplog.at_level(logging.ERROR, logger="booth.hardware"):
        pin.drive_low()
        pin.drive_high()
    assert "on_start callback failed" in caplog.text
    button.close()


# --- status light -------------------------------------------------------------------------------------------


def test_led_steady_patterns(factory):
    light = StatusLight(18, pwm=False, pin_factory=factory)
    pin = factory.pin(18)
    light.show(LightPattern.READY)
    assert pin.state
    light.show(LightPattern.IDLE)
    assert not pin.state
    light.close()


def test_led_firing_flashes_then_goes_dark(factory):
    light = StatusLight(18, pwm=False, pin_factory=factory)
    pin = factory.pin(18)
    pin.clear_states()
    light.show(LightPattern.FIRING)
    light.show(LightPattern.TRACKING)  # the next frame's state must not cut the flashes short
    assert light.pattern is LightPattern.FIRING
    blink = BLINKS[LightPattern.FIRING]
    time.sleep(blink.n * (blink.on_s + blink.off_s) + 0.2)
    on, off = blink.on_s, blink.off_s
    pin.assert_states_and_times(
        [(0.0, False), (0.0, True), (on, False), (off, True), (on, False), (off, True), (on, False)]
    )
    assert len(pin.states) == 1 + 2 * blink.n
    light.show(LightPattern.READY)  # flashes done: the booth's state shows again
    assert light.pattern is LightPattern.READY and pin.state
    light.close()


def test_fault_interrupts_the_firing_flashes(factory):
    light = StatusLight(18, pwm=False, pin_factory=factory)
    light.show(LightPattern.FIRING)
    light.show(LightPattern.FAULT)
    assert light.pattern is LightPattern.FAULT
    light.show(LightPattern.IDLE)
    assert light.pattern is LightPattern.IDLE and not factory.pin(18).state
    light.close()


def test_led_fault_blinks_until_changed_and_same_pattern_is_not_restarted(factory):
    light = StatusLight(18, pwm=False, pin_factory=factory)
    pin = factory.pin(18)
    pin.clear_states()
    light.show(LightPattern.FAULT)
    time.sleep(0.05)
    light.show(LightPattern.FAULT)  # every frame may call show(): must not restart the blink
    time.sleep(0.4)
    light.show(LightPattern.READY)
    states = list(pin.states)
    pin.assert_states_and_times([(0.0, False), (0.0, True), (0.1, False), (0.1, True), (0.1, False)])
    assert len(states) >= 5
    assert states[-1].state == 1  # READY: steady on
    time.sleep(0.25)
    assert len(pin.states) == len(states)  # the blink stopped
    light.close()


def test_pwm_light_fades_when_tracking_and_is_full_when_ready(factory):
    light = StatusLight(18, pwm=True, pin_factory=factory)
    pin = factory.pin(18)
    light.show(LightPattern.READY)
    assert pin.state == 1.0
    pin.clear_states()
    light.show(LightPattern.TRACKING)
    time.sleep(0.4)
    levels = [s.state for s in pin.states]
    assert any(0.0 < level < 1.0 for level in levels)  # fading, not switching
    assert max(levels) == pytest.approx(1.0)
    light.show(LightPattern.IDLE)
    assert pin.state == 0.0
    light.close()


def test_active_low_light(factory):
    light = StatusLight(18, pwm=False, active_high=False, pin_factory=factory)
    pin = factory.pin(18)
    light.show(LightPattern.READY)
    assert not pin.state
    light.show(LightPattern.IDLE)
    assert pin.state
    light.close()


def test_light_follows_trigger_states():
    assert pattern_for_trigger(TriggerState.ALMOST) is LightPattern.READY
    assert pattern_for_trigger(TriggerState.FIRING) is LightPattern.FIRING
    assert pattern_for_trigger(TriggerState.NOT_ENGAGED) is LightPattern.TRACKING
    assert {pattern_for_trigger(s) for s in TriggerState} <= set(LightPattern)


# --- the bundle ---------------------------------------------------------------------------------------------


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


def test_hardware_button_starts_and_cancels_a_session(factory):
    events = []
    cancelled = threading.Event()
    hw = Hardware(
        fast_settings(),
        pin_factory=factory,
        on_start=lambda: events.append("start"),
        on_cancel=lambda: (events.append("cancel"), cancelled.set()),
    )
    pin = factory.pin(17)
    pin.drive_low()
    pin.drive_high()
    pin.drive_low()
    assert cancelled.wait(2)
    pin.drive_high()
    assert events == ["start", "cancel"]
    hw.close()


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


def test_focus_pin_failure_releases_the_shutter_line(factory):
    squatter = DigitalOutputDevice(23, pin_factory=factory)
    with pytest.raises(PinOpenError, match="GPIO23 \\(focus\\)"):
        ExternalShutter(24, 23, pin_factory=factory)
    DigitalOutputDevice(24, pin_factory=factory).close()
    squatter.close()


# --- remote lines between runs ------------------------------------------------------------------------------


class LGPIOLikePin(MockPWMPin):
    """A mock pin that claims and lets go of its line the way gpiozero 2.0.1's ``LGPIOPin`` does.

    gpiozero 2.0.1, pins/lgpio.py: ``LGPIOPin.__init__`` and ``LGPIOPin.close`` both call
    ``lgpio.gpio_claim_input(self.factory._handle, self._number, lgpio.SET_PULL_NONE)``, so the line becomes
    an input with its bias disabled whatever pull it had: here ``function = 'input'``, ``pull = 'floating'``.
    Plain ``MockPin.close`` keeps the pull the line had, which would hide exactly what these tests are about.
    ``PiFactory.close`` (MockFactory's and LGPIOFactory's alike) closes every pin it made once more. The fake
    applies the no-pull claim every time, as gpiozero's Python asks; lgpio's C library skips it for a line
    that already is an input (lgGpio.c ``xSetAsInput``), so for inputs the fake is the stricter of the two.
    """

    def __init__(self, factory, info):
        super().__init__(factory, info)
        self._claim_input_without_pull()

    def close(self):
        super().close()  # MockPWMPin: PWM off, when_changed forgotten, back to an input
        self._claim_input_without_pull()

    def _claim_input_without_pull(self):
        self.function = "input"
        self.pull = "floating"


@pytest.fixture
def lgpio_like():
    f = MockFactory(pin_class=LGPIOLikePin)
    yield f
    f.reset()


def assert_at_rest(pin, pull: str) -> None:
    """An input held by ``pull`` (gpiozero's mock pins also drive the level a pull gives)."""
    assert (pin.function, pin.pull) == ("input", pull)
    assert bool(pin.state) is (pull == "up")


def test_remote_lines_rest_pulled_down_after_close_and_after_the_factory_closes(lgpio_like):
    hw = Hardware(fast_settings(buzzer=22), pin_factory=lgpio_like)
    pins = {n: lgpio_like.pin(n) for n in (23, 24, 17, 27, 22)}
    # Running: driven low, with the pull-down programmed underneath (what a killed booth leaves the kernel).
    assert [(pins[n].function, pins[n].pull, pins[n].state) for n in (23, 24)] == [("output", "down", 0)] * 2
    hw.fire(block=True)
    hw.close()
    assert_at_rest(pins[23], "down")
    assert_at_rest(pins[24], "down")
    assert [pins[n].pull for n in (17, 27, 22)] == [
        "floating"
    ] * 3  # not remote lines: as the library left them
    # LGPIOFactory.close runs PiFactory.close (every pin closed again, the no-pull claim again) before it
    # closes the chip; the remote lines must still be parked afterwards.
    lgpio_like.close()
    assert_at_rest(pins[23], "down")
    assert_at_rest(pins[24], "down")
    assert [(pins[n].function, pins[n].pull) for n in (17, 27, 22)] == [("input", "floating")] * 3


def test_active_low_remote_lines_rest_pulled_up(lgpio_like):
    hw = Hardware(fast_settings(active_high=False, focus=5, shutter=6), pin_factory=lgpio_like)
    focus, shutter = lgpio_like.pin(5), lgpio_like.pin(6)
    assert (focus.pull, shutter.pull) == ("up", "up") and focus.state and shutter.state  # idle = high
    hw.fire(block=True)
    hw.close()
    lgpio_like.close()
    assert_at_rest(focus, "up")
    assert_at_rest(shutter, "up")
    assert lgpio_like.pin(23).pull == "floating"  # not a remote line in this wiring: not parked


def test_a_remote_line_opened_before_the_booth_is_reported(lgpio_like, caplog):
    lgpio_like.pin(24)  # made with the factory's plain pin class: the booth cannot park it
    with caplog.at_level(logging.WARNING, logger="booth.hardware"):
        Hardware(fast_settings(), pin_factory=lgpio_like).close()
    assert "GPIO24 was opened before the booth" in caplog.text
    assert "GPIO23" not in caplog.text
    assert lgpio_like.pin(24).pull == "floating" and lgpio_like.pin(23).pull == "down"


def test_parking_a_factory_again_replaces_its_lines_without_nesting(lgpio_like):
    park_remote_lines(lgpio_like, {5: "up"})
    park_remote_lines(lgpio_like, {23: "down"})
    assert lgpio_like.pin_class.__mro__[1] is LGPIOLikePin
    assert lgpio_like.pin(5).pull == "floating"  # a stale pull-up could light an active-high LED faintly
    assert lgpio_like.pin(23).pull == "down"


# --- pin factory selection: no silent fallback on a Pi --------------------------------------------------


def test_pi_model_detection(pi_file, not_pi, tmp_path):
    assert pi_model(pi_file) == PI5
    assert pi_model(not_pi) is None
    other = tmp_path / "other"
    other.write_bytes(b"Pine64 RockPro64\x00")
    assert pi_model(other) is None


def test_auto_off_a_pi_uses_mock_pins_with_a_warning(not_pi, caplog):
    with caplog.at_level(logging.WARNING, logger="booth.hardware"):
        choice = select_pin_factory("auto", model_path=not_pi, env={})
    assert choice.is_mock and isinstance(choice.factory, MockFactory) and choice.board is None
    assert "MOCK pins" in caplog.text and "not a Raspberry Pi" in caplog.text


def test_auto_on_a_pi_never_falls_back_to_mock(pi_file):
    calls = []

    def failing_lgpio(name, env):
        calls.append(name)
        raise OSError("can not open gpiochip")

    with pytest.raises(PinFactoryError) as info:
        select_pin_factory("auto", model_path=pi_file, env={}, load_real=failing_lgpio)
    assert calls == ["lgpio"]
    message = str(info.value)
    assert PI5 in message and "lgpio" in message and "can not open gpiochip" in message
    assert "pins.factory = 'mock'" in message and "\n" not in message


def test_auto_on_a_pi_uses_the_real_library(pi_file):
    sentinel = MockFactory()  # stands in for the LGPIOFactory a Pi would return

    choice = select_pin_factory("auto", model_path=pi_file, env={}, load_real=lambda name, env: sentinel)
    assert (
        choice.factory is sentinel and not choice.is_mock and choice.name == "lgpio" and choice.board == PI5
    )


def test_hardware_on_a_pi_without_a_pin_library_raises(pi_file):
    pytest.importorskip("gpiozero")
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


def test_environment_names_the_factory(pi_file, not_pi):
    assert select_pin_factory("auto", model_path=pi_file, env={"GPIOZERO_PIN_FACTORY": "mock"}).is_mock
    names = []
    select_pin_factory(
        "auto",
        model_path=not_pi,
        env={"GPIOZERO_PIN_FACTORY": "rpigpio"},
        load_real=lambda name, env: names.append(name) or MockFactory(),
    )
    assert names == ["rpigpio"]  # explicitly asked for: real pins even off a Pi
    with pytest.raises(PinFactoryError, match="GPIOZERO_PIN_FACTORY=mock"):
        select_pin_factory("real", model_path=pi_file, env={"GPIOZERO_PIN_FACTORY": "mock"})
    assert select_pin_factory("mock", model_path=pi_file, env={}).is_mock


def test_real_off_a_pi_fails_loudly(not_pi):
    with pytest.raises(PinFactoryError, match="not a Raspberry Pi"):
        select_pin_factory("real", model_path=not_pi, env={"GPIOZERO_PIN_FACTORY": "native"})


def test_unknown_pin_library():
    with pytest.raises(PinFactoryError, match="unknown GPIO pin library 'gpiofoo'"):
        load_real_factory("gpiofoo", {})


def test_lgpio_gets_a_writable_work_directory():
    env: dict[str, str] = {}
    with contextlib.suppress(Exception):  # no lgpio or no gpiochip here: only the directory matters
        load_real_factory("lgpio", env).close()
    assert Path(env["LG_WD"]).is_dir()
    kept = {"LG_WD": "/srv/booth"}
    with contextlib.suppress(Exception):
        load_real_factory("lgpio", kept).close()
    assert kept["LG_WD"] == "/srv/booth"


# --- wiring rules in the config -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pins", "fragment"),
    [
        ({"shutter": 5}, "pins.shutter = 5: GPIO5 would be active while the Pi boots"),
        ({"focus": 8}, "pins.focus = 8"),
        ({"active_high": False}, "use GPIO 0-8"),
        ({"shutter": 14}, "GPIO14"),
        ({"led": 24}, "both use GPIO24"),
        ({"shutter": 28}, "pins.shutter"),
    ],
)
def test_wiring_that_would_fire_at_boot_is_rejected(pins, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("(", "\\(")):
        validate({"pins": pins})


def test_valid_wirings():
    assert PinSettings().shutter == 24 and PinSettings().focus == 23
    assert validate({"pins": {"active_high": False, "focus": 5, "shutter": 6}}).pins.shutter == 6
    assert validate({"pins": {"focus": None, "buzzer": 22}}).pins.buzzer == 22

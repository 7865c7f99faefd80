"""Fakes and settings shared by the unit tests of booth/hardware/ (imported as ``gpio_fakes``).

Mocked at the hardware boundary only: pins are gpiozero's own ``MockPin``/``MockPWMPin`` (they record every
state change with its time), and "am I on a Raspberry Pi" reads an injected model file instead of
/proc/device-tree/model. ``assert_states_and_times`` compares with ``zip``, so each timing assertion is paired
with an assertion on the number of recorded states. Timing tolerances are gpiozero's (±50 ms).
"""

from __future__ import annotations

from typing import Any

from gpiozero.pins.mock import MockPWMPin

from booth.config import PinSettings

PI5 = "Raspberry Pi 5 Model B Rev 1.0"


def fast_settings(**overrides: Any) -> PinSettings:
    """The default wiring with short timings, so a whole shutter sequence or hold fits in a test."""
    values = {"focus_lead_ms": 200, "shutter_pulse_ms": 100, "burst_gap_ms": 100, "hold_s": 0.2}
    return PinSettings(**{**values, **overrides})


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


def assert_at_rest(pin, pull: str) -> None:
    """An input held by ``pull`` (gpiozero's mock pins also drive the level a pull gives)."""
    assert (pin.function, pin.pull) == ("input", pull)
    assert bool(pin.state) is (pull == "up")


def press_then_hold(factory, cancelled, pin_number: int = 17) -> None:
    """Press and release the button (start), then press and hold it until ``cancelled`` is set (cancel).

    The button is wired to ground with the pull-up, so a press drives the line low.
    """
    pin = factory.pin(pin_number)
    pin.drive_low()
    pin.drive_high()
    pin.drive_low()
    assert cancelled.wait(2), "the hold never cancelled"
    pin.drive_high()

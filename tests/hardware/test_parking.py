"""booth/hardware/parking.py: the focus and shutter lines rest pulled to inactive, not floating.

The pins are ``gpio_fakes.LGPIOLikePin``: mock pins that drop the pull on every claim and close as
gpiozero 2.0.1's lgpio pins do, which plain mock pins would hide. What a real Pi's registers say is checked
on a Pi by test_gpio_on_the_pi.py.
"""

from __future__ import annotations

import logging

from gpio_fakes import LGPIOLikePin, assert_at_rest, fast_settings

from booth.hardware import Hardware
from booth.hardware.parking import park_remote_lines, release_pull


def test_the_resting_pull_is_the_one_that_keeps_the_optocoupler_dark():
    assert release_pull(active_high=True) == "down"
    assert release_pull(active_high=False) == "up"


def test_remote_lines_rest_pulled_down_after_close_and_after_the_factory_closes(lgpio_like):
    hw = Hardware(fast_settings(buzzer=22), pin_factory=lgpio_like)
    pins = {n: lgpio_like.pin(n) for n in (23, 24, 17, 27, 22)}
    # Running: driven low, with the pull-down programmed underneath (what a killed booth leaves the kernel).
    assert [(pins[n].function, pins[n].pull, pins[n].state) for n in (23, 24)] == [("output", "down", 0)] * 2
    hw.fire(block=True)
    hw.close()
    assert_at_rest(pins[23], "down")
    assert_at_rest(pins[24], "down")
    # Not remote lines: as the library left them.
    assert [pins[n].pull for n in (17, 27, 22)] == ["floating"] * 3
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

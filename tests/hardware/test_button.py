"""booth/hardware/button.py: press to start, hold to cancel, on gpiozero's mock pins."""

from __future__ import annotations

import logging
import threading

from gpio_fakes import press_then_hold

from booth.hardware.button import StartButton


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


def test_connect_sets_callbacks_and_none_keeps_the_one_set(factory):
    calls = []
    cancelled = threading.Event()
    button = StartButton(
        17, hold_s=0.2, on_cancel=lambda: (calls.append("cancel"), cancelled.set()), pin_factory=factory
    )

    def start():
        calls.append("start")

    button.connect(on_start=start)  # no on_cancel given: the hold keeps its callback
    press_then_hold(factory, cancelled)
    assert calls == ["start", "cancel"]

    def other_cancel():
        calls.append("other cancel")

    button.connect(None, other_cancel)
    assert button.on_start is start and button.on_cancel is other_cancel
    button.close()

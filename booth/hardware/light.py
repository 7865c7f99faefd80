"""The status light: what the booth is doing, readable from across the room without a screen.

The light knows its patterns (:class:`LightPattern`), not the booth's states: which pattern a policy or
session state shows is the service's choice, so this package never imports the policy.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass

from gpiozero import LED, PWMLED
from gpiozero.pins import Factory

from booth.hardware.pins import open_device


class LightPattern(enum.Enum):
    """What the status light says, from across the room."""

    IDLE = "idle"  # off: waiting for a sitter
    TRACKING = "tracking"  # slow blink: a session runs, waiting for the look
    READY = "ready"  # steady on: the look is held, about to fire
    LOOK_HERE = "look_here"  # steady on: the baseline step's fixation point beside the lens
    FIRING = "firing"  # a few quick flashes, then off
    FAULT = "fault"  # fast blink until the fault clears


@dataclass(frozen=True)
class Blink:
    """How a blinking pattern blinks: a slow fade says "working", quick flashes say "shot taken"."""

    on_s: float
    off_s: float
    n: int | None = None  # None: until the pattern changes
    fade_s: float = 0.0  # fade in and out (PWM lights only)


BLINKS: dict[LightPattern, Blink] = {
    LightPattern.TRACKING: Blink(0.5, 1.0, fade_s=0.25),
    LightPattern.FIRING: Blink(0.06, 0.06, n=3),
    LightPattern.FAULT: Blink(0.1, 0.1),
}


class StatusLight:
    """The status LED: :meth:`show` a :class:`LightPattern`.

    The booth calls :meth:`show` on every frame, so showing the current pattern again is a no-op (a blink is
    not restarted), and the FIRING flashes run to their end before TRACKING or READY replace them (the
    frame after a shot would otherwise cut them off); IDLE and FAULT take over at once.
    """

    def __init__(
        self, pin: int, *, pwm: bool = True, active_high: bool = True, pin_factory: Factory | None = None
    ) -> None:
        device_class = PWMLED if pwm else LED
        self.pwm = pwm
        self._led = open_device(
            "led", pin, lambda: device_class(pin, active_high=active_high, pin_factory=pin_factory)
        )
        self.pattern = LightPattern.IDLE
        self._flashing_until = 0.0

    @property
    def value(self) -> float:
        """The LED's brightness now (0.0-1.0), for tests and the page: a blink changes it over time."""
        return float(self._led.value)

    def show(self, pattern: LightPattern) -> None:
        """Show ``pattern`` unless it already shows or the FIRING flashes still run (see the class)."""
        if pattern is self.pattern and pattern is not LightPattern.FIRING:
            return
        urgent = pattern in (LightPattern.IDLE, LightPattern.FAULT, LightPattern.FIRING)
        if not urgent and time.monotonic() < self._flashing_until:
            return
        self.pattern = pattern
        if pattern is LightPattern.FIRING:
            flash = BLINKS[pattern]
            self._flashing_until = time.monotonic() + (flash.n or 1) * (flash.on_s + flash.off_s)
        if pattern is LightPattern.IDLE:
            self._led.off()
        elif pattern in (LightPattern.READY, LightPattern.LOOK_HERE):
            self._led.on()
        else:
            blink = BLINKS[pattern]
            if self.pwm:
                fade = blink.fade_s
                self._led.blink(blink.on_s, blink.off_s, fade, fade, n=blink.n, background=True)
            else:
                self._led.blink(blink.on_s, blink.off_s, n=blink.n, background=True)

    def close(self) -> None:
        """Release the LED's pin (the light goes out as the pin library leaves the line)."""
        self._led.close()

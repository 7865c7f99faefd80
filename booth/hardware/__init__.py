"""The booth's GPIO: the external camera's remote lines, the start button, the status light and a buzzer.

This package is the only one that imports gpiozero, and it knows nothing of the booth's policy or session:
it offers what the wiring can do (fire, show a :class:`LightPattern`, call back on a press), and the service
decides when. Devices are nouns, and every one takes the ``pin_factory`` it should use, so tests pass a
``MockFactory`` and nothing global (``Device.pin_factory``) is touched. One idea per module:

- :mod:`~booth.hardware.pins`: which pin library (real on a Pi, never a silent fall back to mock pins),
  opening a device on a pin;
- :mod:`~booth.hardware.parking`: the focus and shutter lines rest pulled to inactive between runs;
- :mod:`~booth.hardware.shutter`: the focus/shutter sequence and its measured pulses;
- :mod:`~booth.hardware.button`: press to start, hold to cancel;
- :mod:`~booth.hardware.light`: the status light's patterns;
- here: :class:`Hardware`, every device built from :class:`booth.config.PinSettings`.

Wiring (BCM numbers, defaults from :class:`booth.config.PinSettings`)::

    GPIO23 (pin 16) -- 330R -- optocoupler 1 LED -- GND    camera remote: focus (half-press) to common
    GPIO24 (pin 18) -- 330R -- optocoupler 2 LED -- GND    camera remote: shutter to common
    GPIO23/24 (pin 16/18) -- 10k -- GND (pin 14/20)         optional: low even with the internal pull off
    GPIO17 (pin 11) -- button -- GND (pin 9)                internal pull-up; press starts, hold cancels
    GPIO27 (pin 13) -- 330R -- LED -- GND                   status light

Why these remote pins: at power-on reset every BCM line is an input, GPIO 0-8 with a pull-*up* and
GPIO 9-27 with a pull-*down* (BCM2835 peripherals datasheet, 50-65 kOhm; Raspberry Pi documents the same
defaults for the header of the Pi 4 and 5). An input sources no current, and the pull-down holds it near
0 V, so an active-high optocoupler LED on GPIO 23/24 stays dark for the few seconds until the firmware
applies ``gpio=23,24=op,dl`` from config.txt; on GPIO 0-8 the pull-up would feed it current. GPIO 14/15
(UART) can toggle during boot. Active-low wiring (3V3 -- LED -- GPIO) needs the opposite: a pulled-up
line from GPIO 0-8. ``PinSettings`` rejects combinations that fire at boot. Between runs the remote lines
are parked (:mod:`~booth.hardware.parking`); firmware/PINS.md has the whole timeline.

Example (no Pi needed)::

    from gpiozero.pins.mock import MockFactory, MockPWMPin
    hw = Hardware(PinSettings(), pin_factory=MockFactory(pin_class=MockPWMPin))
    hw.fire(block=True).pulses[0].started   # monotonic time the shutter line went active
    hw.close()
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING

from gpiozero import Buzzer
from gpiozero.pins import Factory

from booth.hardware.button import StartButton
from booth.hardware.light import BLINKS, Blink, LightPattern, StatusLight
from booth.hardware.parking import park_remote_lines, parking_pin_class, release_pull
from booth.hardware.pins import (
    DEFAULT_REAL_FACTORY,
    MODEL_PATH,
    PinFactoryChoice,
    load_real_factory,
    mock_pin_factory,
    open_device,
    pi_model,
    select_pin_factory,
)
from booth.hardware.shutter import ExternalShutter, Pulse, ShutterRelease

if TYPE_CHECKING:
    from booth.config import PinSettings

__all__ = [
    "BLINKS",
    "DEFAULT_REAL_FACTORY",
    "MODEL_PATH",
    "Blink",
    "ExternalShutter",
    "Hardware",
    "LightPattern",
    "PinFactoryChoice",
    "Pulse",
    "ShutterRelease",
    "StartButton",
    "StatusLight",
    "load_real_factory",
    "mock_pin_factory",
    "open_device",
    "park_remote_lines",
    "parking_pin_class",
    "pi_model",
    "release_pull",
    "select_pin_factory",
]

log = logging.getLogger(__name__)

Callback = Callable[[], None]


class Hardware:
    """Every GPIO device of the booth, built from :class:`PinSettings`; :meth:`close` releases every pin.

    ``pin_factory`` overrides the choice made from ``settings.factory`` (tests pass a ``MockFactory``).
    Either way the factory gets the booth's parking pin class for the focus and shutter lines before any
    device is made (:func:`park_remote_lines`), so they rest pulled to inactive whenever the booth does not
    drive them (bar the instant of each claim). A device whose pin is None in the settings is absent
    (its attribute is None). ``on_start``/``on_cancel`` are the button's callbacks, as
    :meth:`connect_button` sets them.
    """

    def __init__(
        self,
        settings: PinSettings,
        *,
        pin_factory: Factory | None = None,
        model_path: Path = MODEL_PATH,
        env: MutableMapping[str, str] | None = None,
        on_start: Callback | None = None,
        on_cancel: Callback | None = None,
    ) -> None:
        self.settings = settings
        if pin_factory is None:
            choice = select_pin_factory(settings.factory, model_path=model_path, env=env)
        else:
            choice = PinFactoryChoice.given(pin_factory)
        self._owns_factory = pin_factory is None
        self.factory = choice.factory
        self.factory_name = choice.name
        self.is_mock = choice.is_mock
        self.board = choice.board or pi_model(model_path)
        self.shutter: ExternalShutter | None = None
        self.button: StartButton | None = None
        self.light: StatusLight | None = None
        self.buzzer: Buzzer | None = None
        self._closed = False
        try:
            remote = (settings.focus, settings.shutter)
            pulls = {pin: release_pull(settings.active_high) for pin in remote if pin is not None}
            park_remote_lines(self.factory, pulls)
            self._open_devices(settings, on_start, on_cancel)
        except BaseException:
            self.close()
            raise

    def _open_devices(self, s: PinSettings, on_start: Callback | None, on_cancel: Callback | None) -> None:
        """Open each wired device in turn; the caller closes those already open if one fails."""
        factory = self.factory
        self.shutter = ExternalShutter(
            s.shutter,
            s.focus,
            active_high=s.active_high,
            focus_lead_ms=s.focus_lead_ms,
            pulse_ms=s.shutter_pulse_ms,
            burst_gap_ms=s.burst_gap_ms,
            pin_factory=factory,
        )
        if s.button is not None:
            self.button = StartButton(
                s.button,
                pull_up=s.button_pull_up,
                bounce_ms=s.bounce_ms,
                hold_s=s.hold_s,
                on_start=on_start,
                on_cancel=on_cancel,
                pin_factory=factory,
            )
        if s.led is not None:
            self.light = StatusLight(s.led, pwm=s.led_pwm, active_high=s.led_active_high, pin_factory=factory)
        if s.buzzer is not None:
            pin = s.buzzer
            self.buzzer = open_device("buzzer", pin, lambda: Buzzer(pin, pin_factory=factory))

    def connect_button(self, on_start: Callback | None = None, on_cancel: Callback | None = None) -> None:
        """Call ``on_start`` on a press and ``on_cancel`` on a hold; None keeps the callback already set.

        So whoever owns the sessions (the service) attaches itself to a :class:`Hardware` built before it
        (``booth run``, tests, the benchmark) without reaching into the button. The callbacks run in
        gpiozero's event thread: hand the work to the booth's own thread. Without a button (``pins.button``
        is None) there is nothing to connect, and nothing happens.
        """
        if self.button is not None:
            self.button.connect(on_start, on_cancel)

    @property
    def shots(self) -> int:
        """Shutter pulses the external camera was given since the booth started (0 without a shutter)."""
        return self.shutter.count if self.shutter is not None else 0

    @property
    def pulses(self) -> list[Pulse]:
        """Recent remote-line pulses, oldest first, whole fires only (shown on the page, especially with
        mock pins; see :meth:`ExternalShutter.whole_fires`)."""
        return self.shutter.whole_fires() if self.shutter else []

    def fire(self, shots: int = 1, *, block: bool = False) -> ShutterRelease:
        """Fire the external camera (and the buzzer cue); see :meth:`ExternalShutter.fire`."""
        if self.buzzer is not None:
            self.buzzer.blink(on_time=self.settings.buzzer_ms / 1000.0, off_time=0.0, n=1, background=True)
        if self.light is not None:
            self.light.show(LightPattern.FIRING)
        assert self.shutter is not None
        return self.shutter.fire(shots, block=block)

    def show(self, pattern: LightPattern) -> None:
        """Show ``pattern`` on the status light, if one is wired (every frame may call this)."""
        if self.light is not None:
            self.light.show(pattern)

    def status(self) -> dict:
        """What the page shows about the GPIO: which pins library, whether mock, the recent pulses."""
        return {
            "factory": self.factory_name,
            "is_mock": self.is_mock,
            "board": self.board,
            "shots": self.shots,
            "pulses": [p.to_json() for p in self.pulses],
            "light": self.light.pattern.value if self.light else None,
        }

    def close(self) -> None:
        """Release every pin; safe to call twice.

        The focus and shutter lines are left inputs pulled to their inactive level (see
        :func:`parking_pin_class`); the others as the pin library leaves them (gpiozero's lgpio pins turn an
        output into an input without pull). The factory is closed too when :class:`Hardware` chose it.
        """
        if self._closed:
            return
        self._closed = True
        for device in (self.buzzer, self.light, self.button, self.shutter):
            if device is not None:
                device.close()
        if self._owns_factory:
            self.factory.close()
        log.debug("GPIO closed")

    def __enter__(self) -> Hardware:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

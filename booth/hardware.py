"""The booth's GPIO: the external camera's remote lines, the start button, the status light and a buzzer.

This is the only module that imports gpiozero. Devices are nouns, and every one takes the ``pin_factory``
it should use, so tests pass a ``MockFactory`` and nothing global (``Device.pin_factory``) is touched.

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
line from GPIO 0-8. ``PinSettings`` rejects combinations that fire at boot.

Between runs the remote lines are parked, not left as gpiozero leaves them: gpiozero 2.0.1's lgpio pins
claim a line as an input with its pull *disabled* both when the pin is made and when it is closed, so a
stopped booth used to leave GPIO 23/24 floating until the next reboot. :func:`park_remote_lines` gives the
factory a pin class (:func:`parking_pin_class`) that re-applies the pull toward the inactive level (down
for active-high wiring, up for active-low) right after each of those claims, including the second close
the factory gives every pin. After a clean stop the lines are inputs with that pull. After a crash
(SIGKILL, the systemd watchdog) the kernel frees the lines without the booth: they keep the pull programmed
when the pin was made and, with ``dtparam=strict_gpiod`` (firmware/config.txt), return to inputs; without
it a Raspberry Pi OS kernel keeps a freed output at its last level. firmware/PINS.md has the whole timeline.

Pin library: on a Raspberry Pi, gpiozero's default lgpio (the only one that works on the Pi 5; it needs a
writable ``LG_WD`` directory for its notification pipes, set here if unset). Off a Pi, mock pins are chosen
explicitly with a warning, and :attr:`Hardware.is_mock` lets the page say so and show the pulses. On a Pi
there is *no* silent fallback to mock pins: a pin library or pin that fails is a one-line error, because a
booth whose shutter is quietly disconnected looks like it works and takes no pictures.

Example (no Pi needed)::

    from gpiozero.pins.mock import MockFactory, MockPWMPin
    hw = Hardware(PinSettings(), pin_factory=MockFactory(pin_class=MockPWMPin))
    hw.fire(block=True).pulses[0].started   # monotonic time the shutter line went active
    hw.close()
"""

from __future__ import annotations

import enum
import logging
import os
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from gpiozero import LED, PWMLED, Button, Buzzer, DigitalOutputDevice
from gpiozero.pins import Factory, Pin
from gpiozero.pins.mock import MockFactory, MockPWMPin

from booth.config import PinSettings
from booth.errors import BoothError, PinFactoryError, PinOpenError
from booth.policy import TriggerState

log = logging.getLogger(__name__)

MODEL_PATH = Path("/proc/device-tree/model")
DEFAULT_REAL_FACTORY = "lgpio"


# --- pin factory -------------------------------------------------------------------------------------------


def mock_pin_factory() -> Factory:
    """gpiozero's mock pins (PWM-capable), for ``booth simulate``, the benchmark and machines without GPIO."""
    return MockFactory(pin_class=MockPWMPin)


def pi_model(model_path: Path = MODEL_PATH) -> str | None:
    """The Raspberry Pi model string (e.g. "Raspberry Pi 5 Model B Rev 1.0"), or None when not on a Pi."""
    try:
        raw = Path(model_path).read_bytes()
    except OSError:
        return None
    text = raw.decode("utf-8", "replace").replace("\x00", "").strip()
    return text if "Raspberry Pi" in text else None


@dataclass(frozen=True)
class PinFactoryChoice:
    """The pin factory in use and why: the page shows ``is_mock`` and ``board``."""

    factory: Factory
    name: str
    is_mock: bool
    board: str | None


def _one_line(err: BaseException) -> str:
    return f"{type(err).__name__}: {' '.join(str(err).split())}"


def _lgpio_workdir() -> str:
    """A writable directory for lgpio's notification files (its default, the cwd, may be read-only)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.access(runtime, os.W_OK):
        return runtime
    return tempfile.gettempdir()


def load_real_factory(name: str, env: MutableMapping[str, str]) -> Factory:
    """Construct gpiozero's pin factory ``name`` (an entry point such as lgpio, rpigpio, pigpio, native)."""
    if name == "lgpio" and not env.get("LG_WD"):
        env["LG_WD"] = _lgpio_workdir()
        log.debug("LG_WD=%s", env["LG_WD"])
    factories = {ep.name.lower(): ep for ep in entry_points(group="gpiozero_pin_factories")}
    entry = factories.get(name.lower())
    if entry is None or name.lower() == "mock":
        known = ", ".join(sorted(n for n in factories if n != "mock"))
        raise PinFactoryError(
            f"unknown GPIO pin library {name!r}; set GPIOZERO_PIN_FACTORY to one of: {known}"
        )
    return entry.load()()


def select_pin_factory(
    choice: str = "auto",
    *,
    model_path: Path = MODEL_PATH,
    env: MutableMapping[str, str] | None = None,
    load_real: Callable[[str, MutableMapping[str, str]], Factory] = load_real_factory,
) -> PinFactoryChoice:
    """Pick the pin factory from ``pins.factory`` and ``GPIOZERO_PIN_FACTORY``.

    ``"mock"`` (config or environment) gives mock pins, logged as a warning. ``"real"`` gives the library
    the environment names (default lgpio). ``"auto"`` gives real pins on a Raspberry Pi and mock pins
    elsewhere. Real pins that fail raise :class:`PinFactoryError`; they never fall back to mock pins.
    """
    env = os.environ if env is None else env
    board = pi_model(model_path)
    wanted = (env.get("GPIOZERO_PIN_FACTORY") or "").strip().lower() or None
    if choice == "real" and wanted == "mock":
        raise PinFactoryError(
            "pins.factory is 'real' but GPIOZERO_PIN_FACTORY=mock; "
            "unset the variable or use pins.factory = 'mock'"
        )
    if choice == "mock" or wanted == "mock" or (choice == "auto" and wanted is None and board is None):
        why = "as configured" if choice == "mock" or wanted == "mock" else "not a Raspberry Pi"
        log.warning("GPIO: using MOCK pins (%s): nothing is wired; pulses are only logged", why)
        return PinFactoryChoice(mock_pin_factory(), "mock", True, board)
    name = wanted or DEFAULT_REAL_FACTORY
    try:
        factory = load_real(name, env)
    except BoothError:
        raise
    except Exception as err:  # any failure of the pin library is reported the same way
        where = board or "this machine (not a Raspberry Pi)"
        raise PinFactoryError(
            f"GPIO pin library {name!r} failed on {where} ({_one_line(err)}); on Raspberry Pi OS install "
            "python3-lgpio and add the user to group gpio, or set pins.factory = 'mock' to run without wiring"
        ) from err
    log.info("GPIO: %s pins on %s", name, board or "a non-Pi machine")
    return PinFactoryChoice(factory, name, False, board)


# --- remote lines between runs ------------------------------------------------------------------------------


def release_pull(active_high: bool) -> str:
    """The pull that holds a remote line inactive while nothing drives it (gpiozero's name for it).

    Active-high wiring (GPIO -- LED -- GND) lights when the line is high, so it rests pulled down;
    active-low wiring (3V3 -- LED -- GPIO) lights when the line is low, so it rests pulled up.
    """
    return "down" if active_high else "up"


def parking_pin_class(base: type[Pin], pulls: Mapping[str, str]) -> type[Pin]:
    """A subclass of the gpiozero pin class ``base`` that parks the lines named in ``pulls``.

    ``pulls`` maps a pin's name (``pin.info.name``, e.g. ``"GPIO23"``) to the pull it rests at. Such a line is
    made an input with that pull right after the pin is made and after every ``close()``; other lines behave
    exactly as ``base``.

    Why the pin's own ``close``: gpiozero 2.0.1's ``LGPIOPin.__init__`` and ``LGPIOPin.close`` both call
    ``lgpio.gpio_claim_input(handle, n, lgpio.SET_PULL_NONE)`` (input, bias disabled), and
    ``PiFactory.close()`` calls ``close()`` on every pin it made once more, after the devices closed theirs.
    (lgpio's C library happens to skip a claim as input of a line that already is one, lgGpio.c
    ``xSetAsInput``; gpiozero promises nothing of the kind, and other pin classes differ.) The pin's own
    ``close`` is the one place that runs after every such claim, so the park is re-applied there, and is
    idempotent. It goes through the Pin API (``input_with_pull``; ``LGPIOPin._set_pull`` frees the line and
    claims it again with ``SET_PULL_DOWN``/``SET_PULL_UP``), so gpiozero's mock pins park the same way.

    Why also when the pin is made: a killed booth never runs ``close()``. The kernel then frees its lines
    and keeps the pull last programmed, and the output claim that follows the pin's creation
    (``gpio_claim_output`` without bias flags) leaves that pull as it is, so parking before it leaves the
    safe pull under the driven output for the kernel to keep.
    """
    base = getattr(base, "_parking_base", base)  # parking a factory again replaces the mapping, never nests
    resting = dict(pulls)

    class ParkingPin(base):
        _parking_base = base
        parking_pulls = resting

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            pull = self.parking_pulls.get(self.info.name)
            if pull is not None:  # a line that cannot rest at its safe pull is refused, not driven
                self.input_with_pull(pull)

        def close(self) -> None:
            super().close()
            # Once its factory was closed or reset the pin is stale (lgpio: the chip handle is closed, the
            # kernel has freed the line): nothing left to park.
            pins = getattr(self.factory, "pins", None)
            if pins is not None and pins.get(self.info) is not self:
                return
            pull = self.parking_pulls.get(self.info.name)
            if pull is None:
                return
            try:
                self.input_with_pull(pull)
            except Exception as err:  # closing must go on; say the line may float instead
                log.warning(
                    "GPIO: %s not left pulled %s on release (%s)", self.info.name, pull, _one_line(err)
                )

    ParkingPin.__name__ = ParkingPin.__qualname__ = f"Parking{base.__name__}"
    return ParkingPin


def park_remote_lines(factory: Factory, pulls: Mapping[int, str]) -> None:
    """Make ``factory`` park the BCM lines in ``pulls`` (pin -> ``"down"``/``"up"``) whenever they are free.

    Installs :func:`parking_pin_class` as the factory's ``pin_class``, gpiozero's own extension point, so it
    must run before any device on those lines is made: a pin the factory already made keeps its class (and
    is reported). A second call replaces the first one's lines rather than adding to them: a line that
    rested pulled the wrong way for its new use (say, pulled up under an active-high LED) would push tens of
    microamps through the LED.
    """
    base = getattr(factory, "pin_class", None)
    if not isinstance(base, type):
        log.warning("GPIO: %s has no pin class; the remote lines are not parked", type(factory).__name__)
        return
    named = {f"GPIO{pin}": pull for pin, pull in pulls.items()}
    factory.pin_class = parking_pin_class(base, named)
    for info, pin in list(getattr(factory, "pins", {}).items()):
        if info.name in named and getattr(pin, "parking_pulls", {}).get(info.name) != named[info.name]:
            log.warning("GPIO: %s was opened before the booth; it is not parked when released", info.name)


def open_device(role: str, pin: int, make: Callable[[], Any]) -> Any:
    """Construct one gpiozero device; a failure becomes a one-line :class:`PinOpenError` naming the pin."""
    try:
        return make()
    except Exception as err:  # gpiozero, lgpio and OS errors all mean "this pin cannot be used"
        raise PinOpenError(
            f"GPIO{pin} ({role}) could not be opened ({_one_line(err)}); free it (another booth running? "
            f"`gpioinfo` shows the owner) or choose another pin in pins.{role}"
        ) from err


# --- external camera ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pulse:
    """One activation of a remote line, for the latency measurement and the page's pulse log."""

    line: str  # "focus" or "shutter"
    started: float  # monotonic seconds when the line went active
    duration_ms: float
    shot: int = 0  # shutter pulses: running count since start (1-based); focus: 0

    def to_json(self) -> dict:
        return {"line": self.line, "started": self.started, "duration_ms": round(self.duration_ms, 2)}


@dataclass
class ShutterRelease:
    """One call to :meth:`ExternalShutter.fire`: wait on it to read when each shutter pulse started."""

    shots: int
    done: threading.Event = field(default_factory=threading.Event)
    pulses: list[Pulse] = field(default_factory=list)  # shutter pulses only, in order

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)

    @property
    def first_pulse_at(self) -> float | None:
        return self.pulses[0].started if self.pulses else None


class ExternalShutter:
    """A camera's wired remote through two optocouplers: focus (half-press), then shutter.

    :meth:`fire` activates focus, waits ``focus_lead_ms`` (the camera focuses and wakes), then gives
    ``shots`` shutter pulses of ``pulse_ms`` separated by ``burst_gap_ms``, and releases focus. Sequences
    never overlap: a fire during a running sequence runs after it. Each pulse is recorded with the monotonic
    time its line went active (:attr:`pulses`, :attr:`count`), so trigger latency is measured, not guessed.
    Without a focus line the lead time is skipped.
    """

    def __init__(
        self,
        shutter_pin: int,
        focus_pin: int | None = None,
        *,
        active_high: bool = True,
        focus_lead_ms: float = 150.0,
        pulse_ms: float = 100.0,
        burst_gap_ms: float = 150.0,
        pin_factory: Factory | None = None,
        history: int = 100,
        on_pulse: Callable[[Pulse], None] | None = None,
    ) -> None:
        self.focus_lead_ms = focus_lead_ms
        self.pulse_ms = pulse_ms
        self.burst_gap_ms = burst_gap_ms
        self.on_pulse = on_pulse
        self.pulses: deque[Pulse] = deque(maxlen=history)
        self.count = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._shutter = open_device(
            "shutter",
            shutter_pin,
            lambda: DigitalOutputDevice(
                shutter_pin, active_high=active_high, initial_value=False, pin_factory=pin_factory
            ),
        )
        self._focus: DigitalOutputDevice | None = None
        if focus_pin is not None:
            try:
                self._focus = open_device(
                    "focus",
                    focus_pin,
                    lambda: DigitalOutputDevice(
                        focus_pin, active_high=active_high, initial_value=False, pin_factory=pin_factory
                    ),
                )
            except PinOpenError:
                self._shutter.close()
                raise

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def fire(self, shots: int = 1, *, block: bool = False) -> ShutterRelease:
        """Run the focus/shutter sequence; in a background thread unless ``block``."""
        if self._closed:
            raise PinOpenError("the external shutter is closed (booth shutting down); fire before close()")
        release = ShutterRelease(max(1, shots))
        if block:
            self._sequence(release)
            return release
        thread = threading.Thread(target=self._sequence, args=(release,), name="shutter", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return release

    def _record(self, pulse: Pulse, release: ShutterRelease | None = None) -> None:
        self.pulses.append(pulse)
        if release is not None:
            release.pulses.append(pulse)
        if self.on_pulse is not None:
            try:
                self.on_pulse(pulse)
            except Exception:
                log.exception("on_pulse callback failed")

    def _sequence(self, release: ShutterRelease) -> None:
        with self._lock:
            focus_at = None
            try:
                if self._focus is not None and not self._stop.is_set():
                    self._focus.on()
                    focus_at = time.monotonic()
                    self._stop.wait(self.focus_lead_ms / 1000.0)
                for index in range(release.shots):
                    if self._stop.is_set():
                        break
                    if index:
                        self._stop.wait(self.burst_gap_ms / 1000.0)
                    self._shutter.on()
                    started = time.monotonic()
                    self._stop.wait(self.pulse_ms / 1000.0)
                    self._shutter.off()
                    self.count += 1
                    pulse = Pulse("shutter", started, (time.monotonic() - started) * 1000.0, self.count)
                    self._record(pulse, release)
                    log.info("shutter pulse %d (%.0f ms)", self.count, pulse.duration_ms)
            finally:
                self._shutter.off()
                if self._focus is not None and focus_at is not None:
                    self._focus.off()
                    self._record(Pulse("focus", focus_at, (time.monotonic() - focus_at) * 1000.0))
                release.done.set()

    def close(self) -> None:
        """Abort a running sequence (lines go inactive, still driven) and release both pins.

        Released, a line is whatever its pin class leaves it: gpiozero's lgpio pins leave an input without
        pull, which is why :class:`Hardware` parks these lines (:func:`park_remote_lines`).
        """
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5.0)
        for device in (self._shutter, self._focus):
            if device is not None:
                device.close()


# --- start button ------------------------------------------------------------------------------------------


class StartButton:
    """The booth's one button: a short press starts a session, holding it for ``hold_s`` cancels one.

    Start is decided on *release* (if the press was not a hold), so a hold never starts a session first.
    Callbacks run in gpiozero's event thread; hand work to the booth's own thread rather than block it.
    """

    def __init__(
        self,
        pin: int,
        *,
        pull_up: bool = True,
        bounce_ms: float = 30.0,
        hold_s: float = 2.0,
        on_start: Callable[[], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
        pin_factory: Factory | None = None,
    ) -> None:
        self.on_start = on_start
        self.on_cancel = on_cancel
        self._held = False
        self._button = open_device(
            "button",
            pin,
            lambda: Button(
                pin,
                pull_up=pull_up,
                bounce_time=bounce_ms / 1000.0 or None,
                hold_time=hold_s,
                pin_factory=pin_factory,
            ),
        )
        self._button.when_pressed = self._pressed
        self._button.when_held = self._hold
        self._button.when_released = self._released

    @property
    def is_pressed(self) -> bool:
        return bool(self._button.is_pressed)

    def _pressed(self) -> None:
        self._held = False

    def _hold(self) -> None:
        self._held = True
        log.info("button held: cancel session")
        self._call(self.on_cancel, "on_cancel")

    def _released(self) -> None:
        if not self._held:
            log.info("button pressed: start session")
            self._call(self.on_start, "on_start")

    @staticmethod
    def _call(callback: Callable[[], None] | None, name: str) -> None:
        if callback is None:
            return
        try:
            callback()
        except Exception:  # a failing callback must not kill gpiozero's event thread
            log.exception("button %s callback failed", name)

    def close(self) -> None:
        self._button.close()


# --- status light and buzzer -------------------------------------------------------------------------------


class LightPattern(enum.Enum):
    """What the status light says, from across the room."""

    IDLE = "idle"  # off: waiting for a sitter
    TRACKING = "tracking"  # slow blink: a session runs, waiting for the look
    READY = "ready"  # steady on: the look is held, about to fire
    FIRING = "firing"  # a few quick flashes, then off
    FAULT = "fault"  # fast blink until the fault clears


@dataclass(frozen=True)
class Blink:
    on_s: float
    off_s: float
    n: int | None = None  # None: until the pattern changes
    fade_s: float = 0.0  # fade in and out (PWM lights only)


BLINKS: dict[LightPattern, Blink] = {
    LightPattern.TRACKING: Blink(0.5, 1.0, fade_s=0.25),
    LightPattern.FIRING: Blink(0.06, 0.06, n=3),
    LightPattern.FAULT: Blink(0.1, 0.1),
}

PATTERN_FOR_TRIGGER: dict[TriggerState, LightPattern] = {
    TriggerState.NO_FACE: LightPattern.TRACKING,
    TriggerState.MULTIPLE_FACES: LightPattern.TRACKING,
    TriggerState.NOT_ENGAGED: LightPattern.TRACKING,
    TriggerState.DEAD_GAZE: LightPattern.TRACKING,
    TriggerState.NOT_THE_LOOK: LightPattern.TRACKING,
    TriggerState.ALMOST: LightPattern.READY,
    TriggerState.FIRING: LightPattern.FIRING,
    TriggerState.COOLDOWN: LightPattern.TRACKING,
}


def pattern_for_trigger(state: TriggerState) -> LightPattern:
    """The light pattern for a policy state during a session (outside a session the booth shows IDLE)."""
    return PATTERN_FOR_TRIGGER[state]


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
        return float(self._led.value)

    def show(self, pattern: LightPattern) -> None:
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
        elif pattern is LightPattern.READY:
            self._led.on()
        else:
            blink = BLINKS[pattern]
            if self.pwm:
                fade = blink.fade_s
                self._led.blink(blink.on_s, blink.off_s, fade, fade, n=blink.n, background=True)
            else:
                self._led.blink(blink.on_s, blink.off_s, n=blink.n, background=True)

    def close(self) -> None:
        self._led.close()


# --- the bundle --------------------------------------------------------------------------------------------


class Hardware:
    """Every GPIO device of the booth, built from :class:`PinSettings`; :meth:`close` releases every pin.

    ``pin_factory`` overrides the choice made from ``settings.factory`` (tests pass a ``MockFactory``).
    Either way the factory gets the booth's parking pin class for the focus and shutter lines before any
    device is made (:func:`park_remote_lines`), so they rest pulled to inactive whenever the booth does not
    drive them (bar the instant of each claim). A device whose pin is None in the settings is absent
    (its attribute is None).
    """

    def __init__(
        self,
        settings: PinSettings | None = None,
        *,
        pin_factory: Factory | None = None,
        model_path: Path = MODEL_PATH,
        env: MutableMapping[str, str] | None = None,
        on_start: Callable[[], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        s = settings or PinSettings()
        self.settings = s
        if pin_factory is None:
            choice = select_pin_factory(s.factory, model_path=model_path, env=env)
        else:
            mock = isinstance(pin_factory, MockFactory)
            choice = PinFactoryChoice(pin_factory, "mock" if mock else type(pin_factory).__name__, mock, None)
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
            remote = (s.focus, s.shutter)
            park_remote_lines(
                self.factory, {pin: release_pull(s.active_high) for pin in remote if pin is not None}
            )
            self._open_devices(s, on_start, on_cancel)
        except BaseException:
            self.close()
            raise

    def _open_devices(
        self, s: PinSettings, on_start: Callable[[], None] | None, on_cancel: Callable[[], None] | None
    ) -> None:
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

    @property
    def pulses(self) -> list[Pulse]:
        """Recent remote-line pulses, oldest first (shown on the page, especially with mock pins)."""
        return list(self.shutter.pulses) if self.shutter else []

    def fire(self, shots: int = 1, *, block: bool = False) -> ShutterRelease:
        """Fire the external camera (and the buzzer cue); see :meth:`ExternalShutter.fire`."""
        if self.buzzer is not None:
            self.buzzer.blink(on_time=self.settings.buzzer_ms / 1000.0, off_time=0.0, n=1, background=True)
        if self.light is not None:
            self.light.show(LightPattern.FIRING)
        assert self.shutter is not None
        return self.shutter.fire(shots, block=block)

    def show(self, pattern: LightPattern) -> None:
        if self.light is not None:
            self.light.show(pattern)

    def status(self) -> dict:
        """What the page shows about the GPIO: which pins library, whether mock, the recent pulses."""
        return {
            "factory": self.factory_name,
            "is_mock": self.is_mock,
            "board": self.board,
            "shots": self.shutter.count if self.shutter else 0,
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

"""The external camera's wired remote: focus (half-press) and shutter, through two optocouplers.

Every pulse is recorded with the monotonic time its line went active, so the booth's trigger latency is
measured rather than guessed, and with the wall-clock time and the number of the fire it belongs to, so the
page can show the pulses as an operator reads them: at what time, focus and shutter of one fire together
(the only sign of a shot with mock pins).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from gpiozero import DigitalOutputDevice
from gpiozero.pins import Factory

from booth.errors import PinOpenError
from booth.hardware.pins import open_device

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pulse:
    """One activation of a remote line, for the latency measurement and the page's pulse log."""

    line: str  # "focus" or "shutter"
    started: float  # monotonic seconds when the line went active
    duration_ms: float
    shot: int = 0  # shutter pulses: running count since start (1-based); focus: 0
    #: Wall-clock (epoch) seconds when the line went active: ``started`` is monotonic, right for latency
    #: but meaningless as a time of day, which is what the operator reads in the pulse log.
    at: float = 0.0
    #: Which :meth:`ExternalShutter.fire` sequence gave the pulse (1-based since start): the focus pulse is
    #: recorded after its shutter pulses, so the page groups one fire's pulses by this, not by order.
    fire: int = 0

    def to_json(self) -> dict:
        """The page's pulse log entry: which line and fire, when (monotonic, to compare with frames, and
        epoch seconds, to show), how long."""
        return {
            "line": self.line,
            "fire": self.fire,
            "shot": self.shot,
            "started": self.started,
            "at": round(self.at, 3),
            "duration_ms": round(self.duration_ms, 2),
        }


@dataclass
class ShutterRelease:
    """One call to :meth:`ExternalShutter.fire`: wait on it to read when each shutter pulse started."""

    shots: int
    fire: int = 0  # the sequence's number, as its pulses carry it (set when the sequence starts)
    done: threading.Event = field(default_factory=threading.Event)
    pulses: list[Pulse] = field(default_factory=list)  # shutter pulses only, in order

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the sequence ended (or ``timeout``); True if it did, so the pulses are all there."""
        return self.done.wait(timeout)

    @property
    def first_pulse_at(self) -> float | None:
        """When the first shutter pulse started: the moment the shot was taken, for the latency measure."""
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
        self.fires = 0  # sequences run since start (each one's pulses carry its number)
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
        """Whether a sequence runs now; a new :meth:`fire` would wait for it to end."""
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

    def whole_fires(self) -> list[Pulse]:
        """The pulse log, oldest first, without the oldest fire once the log is full: the bounded log drops
        pulses one by one, so that fire may have lost some (a page must never show half a fire)."""
        pulses = list(self.pulses)
        if pulses and len(pulses) == self.pulses.maxlen:
            first = pulses[0].fire
            pulses = [p for p in pulses if p.fire != first]
        return pulses

    def _sequence(self, release: ShutterRelease) -> None:
        with self._lock:
            self.fires += 1
            release.fire = self.fires
            focus_at = focus_wall = None
            try:
                if self._focus is not None and not self._stop.is_set():
                    self._focus.on()
                    focus_at, focus_wall = time.monotonic(), time.time()
                    self._stop.wait(self.focus_lead_ms / 1000.0)
                for index in range(release.shots):
                    if self._stop.is_set():
                        break
                    if index:
                        self._stop.wait(self.burst_gap_ms / 1000.0)
                    self._shutter.on()
                    started, wall = time.monotonic(), time.time()
                    self._stop.wait(self.pulse_ms / 1000.0)
                    self._shutter.off()
                    self.count += 1
                    took = (time.monotonic() - started) * 1000.0
                    pulse = Pulse("shutter", started, took, self.count, at=wall, fire=release.fire)
                    self._record(pulse, release)
                    log.info("shutter pulse %d (%.0f ms)", self.count, pulse.duration_ms)
            finally:
                self._shutter.off()
                if self._focus is not None and focus_at is not None and focus_wall is not None:
                    self._focus.off()
                    took = (time.monotonic() - focus_at) * 1000.0
                    self._record(Pulse("focus", focus_at, took, at=focus_wall, fire=release.fire))
                release.done.set()

    def close(self) -> None:
        """Abort a running sequence (lines go inactive, still driven) and release both pins.

        Released, a line is whatever its pin class leaves it: gpiozero's lgpio pins leave an input without
        pull, which is why :class:`booth.hardware.Hardware` parks these lines
        (:func:`booth.hardware.parking.park_remote_lines`).
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

"""The one camera interface, and the capture engine every source shares.

Why one engine: the booth must keep watching all day, whatever the source. Opening, reading, noticing a
stall, reporting the fault once, retrying with backoff and announcing the recovery are the same for a Pi
camera, a webcam and a replayed clip, so they live here once; a source only says how to open, grab one frame
and close (:meth:`Camera._open`, :meth:`Camera._grab`, :meth:`Camera._close`). Faults never raise to the
caller: they show in :attr:`Camera.state` (``fault`` is one line naming cause and fix) and clear by
themselves when the source comes back.

Threads: one capture thread per camera writes; any thread may read ``latest()``, ``wait_frame()``,
``preview_jpeg()``, ``still()`` and ``state``. Frames are immutable (read-only arrays) so they are shared
without copies.

CPU: each camera owns a :class:`booth.cpu_ledger.CpuLedger` (:attr:`Camera.cpu`), charged with what its
capture thread computes per frame (``_grab`` and publishing: a decode and resize for a replay, the YUV to
RGB conversion for a Pi camera) and with each real preview encoding; it counts the frames delivered.

At rest: while :attr:`Camera.resting` is set (the booth sets it in standby, between sessions with nobody in
view, when only a few frames a second are analysed and no still can be asked for), a source that hands its
conversion over (:attr:`Grab.convert`) has each frame converted only when a reader first asks for its
pixels, on that reader's thread and charged to this camera's conversion all the same; and the ring keeps
nothing (it is emptied as the rest begins, and a source may skip its full-resolution copy). Why: a Pi 4's
YUV420 decode and the full-resolution copy, done for every frame at 30 frames a second, are most of an
empty booth's CPU once the analysis rests (README.md in this folder).
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

import numpy as np

from booth.camera.ring import FrameRing
from booth.config import CameraSettings
from booth.cpu_ledger import CONVERSION, PREVIEW, CpuLedger
from booth.errors import BoothError
from booth.imaging import encode_jpeg

log = logging.getLogger(__name__)

#: A face box in analysis-frame pixels: x0, y0, x1, y1.
Box = tuple[float, float, float, float]
FocusMode = Literal["continuous", "manual"]
#: How many recent frame times the fps estimate averages over.
FPS_WINDOW = 30


@dataclass(frozen=True, eq=False)
class CameraFrame:
    """One RGB frame: ``pixels`` HxWx3 uint8 (read-only), ``timestamp`` in :func:`time.monotonic` seconds,
    ``sequence`` counting up from 1 for the life of the camera object (never reset by a reopen).

    A frame published while its camera is at rest (:attr:`Camera.resting`) is made with no pixels and a
    ``convert`` to make them: the first read of :attr:`pixels`, from whichever thread, converts once
    (under the frame's lock; a second reader waits for the first) and keeps the result.
    """

    _pixels: np.ndarray | None
    timestamp: float
    sequence: int
    _convert: Callable[[], np.ndarray] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if (self._pixels is None) == (self._convert is None):
            raise ValueError("a CameraFrame takes its pixels or a convert to make them, one of the two")

    @property
    def pixels(self) -> np.ndarray:
        pixels = self._pixels
        if pixels is not None:
            return pixels
        with self._lock:
            if self._pixels is None:
                assert self._convert is not None
                # Frozen for readers; this one-time fill is the frame's own (the lock keeps it to one).
                object.__setattr__(self, "_pixels", self._convert())
                object.__setattr__(self, "_convert", None)
            assert self._pixels is not None
            return self._pixels

    @property
    def converted(self) -> bool:
        """Whether the pixels exist yet (False only for a frame converted on demand and not yet read)."""
        return self._pixels is not None


@dataclass(frozen=True)
class CameraState:
    """What the rest of the booth shows about the camera; ``fault`` is None while frames flow."""

    kind: str  # "picamera2", "usb" or "replay"
    source: str  # e.g. "picamera2:0", "/dev/video0", the replayed path
    running: bool
    fault: str | None
    frames: int
    fps: float


@dataclass(frozen=True)
class Focus:
    """The focus the booth asks for; sources without a lens controller ignore it."""

    mode: FocusMode
    lens_position: float | None
    window: Box | None


@dataclass(frozen=True)
class Grab:
    """One frame as a source hands it to the engine.

    ``full`` is the source's full-resolution payload for the ring (converted to RGB only when a still is
    asked for, see :meth:`Camera._full_to_rgb`); None means the ring keeps ``pixels`` themselves.
    A source may give ``convert`` instead of ``pixels`` (a call that makes them from a buffer it no
    longer needs): the engine calls it at once, or at rest (:attr:`Camera.resting`) when the frame is read.
    """

    pixels: np.ndarray | None
    full: Any = None
    full_nbytes: int = 0
    convert: Callable[[], np.ndarray] | None = None

    def __post_init__(self) -> None:
        if (self.pixels is None) == (self.convert is None):
            raise ValueError("a Grab takes its pixels or a convert to make them, one of the two")


class Camera(ABC):
    """Start/stop a capture thread; read the latest frame, a preview JPEG or a still from the ring."""

    kind: ClassVar[str] = "camera"

    def __init__(self, settings: CameraSettings, source: str) -> None:
        self.settings = settings
        self.source = source
        self._lock = threading.Lock()
        self._new_frame = threading.Condition(self._lock)
        self._latest: CameraFrame | None = None
        self._sequence = 0
        self._frames = 0
        self._times: deque[float] = deque(maxlen=FPS_WINDOW)
        self._fault: str | None = None
        self._fault_since = 0.0
        self._progress_at = 0.0  # last frame, or the start of the current attempt
        max_count = max(1, math.ceil(settings.ring_seconds * settings.fps) + 1)
        self._ring: FrameRing[tuple[int, Any]] = FrameRing(
            settings.ring_seconds, int(settings.ring_max_mb * 2**20), max_count
        )
        self._jpeg_lock = threading.Lock()
        self._jpeg: tuple[int, int, bytes] | None = None
        self._focus = Focus(settings.focus, settings.lens_position, None)
        self._focus_dirty = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: CPU of this camera's capture (conversion) and preview encoding, and its frames delivered.
        self.cpu = CpuLedger()
        #: The booth at rest: convert only the frames read, keep no stills (see the module's docstring).
        #: Set from another thread (one bool); the capture thread reads it once per frame, into
        #: :attr:`_resting_frame`, which a source's ``_grab`` may read too (the Pi camera then skips main).
        self.resting = False
        self._resting_frame = False

    # -- what a source implements ------------------------------------------------------------------

    @abstractmethod
    def _open(self) -> None:
        """Acquire the device or file; raise :class:`booth.errors.CameraFault` with cause and fix."""

    @abstractmethod
    def _grab(self, timeout: float) -> Grab | None:
        """Return the next frame; raise TimeoutError if none comes within ``timeout`` seconds (a stall),
        :class:`booth.errors.CameraFault` if the source is lost; None to just go round again."""

    @abstractmethod
    def _close(self) -> None:
        """Release everything ``_open`` acquired; must not raise for a half-open source."""

    def _apply_focus(self, focus: Focus) -> None:
        """Send focus settings to the lens (capture thread only); no lens by default."""
        log.debug("camera %s has no lens control; focus %s ignored", self.kind, focus)

    def _full_to_rgb(self, full: Any) -> np.ndarray:
        """Turn a ring payload into HxWx3 RGB; by default the ring holds RGB frames already."""
        return full

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Camera:
        """Start the capture thread; device problems show up in :attr:`state`, they do not raise."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stop.clear()
        self._progress_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.kind}", daemon=True)
        self._thread.start()
        log.info("camera %s started (%s)", self.kind, self.source)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the capture thread and release the source; idempotent."""
        self._stop.set()
        with self._lock:
            self._new_frame.notify_all()
        thread, self._thread = self._thread, None
        if thread is None:
            return
        thread.join(timeout)
        if thread.is_alive():
            log.warning("camera %s: capture thread still blocked after %.1f s", self.kind, timeout)
        else:
            log.info("camera %s stopped", self.kind)

    def __enter__(self) -> Camera:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- readers -----------------------------------------------------------------------------------

    def latest(self) -> CameraFrame | None:
        """The newest analysis frame (kept while faulted: check :attr:`state`), or None before the first."""
        with self._lock:
            return self._latest

    def wait_frame(self, after_sequence: int = 0, timeout: float | None = None) -> CameraFrame | None:
        """Block until a frame newer than ``after_sequence`` exists; None on timeout or stop."""
        with self._new_frame:
            self._new_frame.wait_for(lambda: self._stop.is_set() or self._sequence > after_sequence, timeout)
            latest = self._latest
        return latest if latest is not None and latest.sequence > after_sequence else None

    def preview_jpeg(self, quality: int = 80) -> bytes | None:
        """JPEG of the latest frame, encoded only when asked and once per frame and quality."""
        frame = self.latest()
        if frame is None:
            return None
        with self._jpeg_lock:
            if self._jpeg is not None and self._jpeg[:2] == (frame.sequence, quality):
                return self._jpeg[2]
            with self.cpu.measure(PREVIEW):
                self._jpeg = (frame.sequence, quality, encode_jpeg(frame.pixels, quality))
            return self._jpeg[2]

    def still(self, at: float) -> CameraFrame | None:
        """The full-resolution frame nearest the monotonic time ``at`` from the ring, or None if empty (as it
        is at rest: :attr:`resting`)."""
        found = self._ring.nearest(at)
        if found is None:
            return None
        timestamp, (sequence, full) = found
        pixels = self._full_to_rgb(full)
        return CameraFrame(pixels, timestamp, sequence)

    @property
    def state(self) -> CameraState:
        """Kind, running, fault (also a stall noticed here while the thread is blocked), frames, fps."""
        now = time.monotonic()
        with self._lock:
            fault = self._fault
            running = self.running
            if running and fault is None and now - self._progress_at > self.settings.stall_seconds:
                fault = self._stall_text()
            times = list(self._times)
            frames = self._frames
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
        return CameraState(self.kind, self.source, running, fault, frames, round(fps, 2))

    # -- focus -------------------------------------------------------------------------------------

    def set_focus(self, mode: FocusMode, lens_position: float | None = None) -> None:
        """Continuous autofocus, or a locked lens position in dioptres (1 / metres)."""
        with self._lock:
            self._focus = Focus(mode, lens_position, self._focus.window)
        self._focus_dirty.set()

    def set_focus_window(self, box: Box | None) -> None:
        """Meter autofocus on this face box (analysis pixels x0, y0, x1, y1); None = the whole frame."""
        with self._lock:
            self._focus = Focus(self._focus.mode, self._focus.lens_position, box)
        self._focus_dirty.set()

    @property
    def focus(self) -> Focus:
        with self._lock:
            return self._focus

    # -- the engine --------------------------------------------------------------------------------

    def _stall_text(self) -> str:
        return (
            f"{self.source}: no new frame for {self.settings.stall_seconds:g} s (stalled); "
            "check the cable and power, the camera is being reopened"
        )

    def _run(self) -> None:
        delay = self.settings.retry_min_seconds
        while not self._stop.is_set():
            frames_before = self._frames
            fault = self._session()
            if fault is None:
                break
            self._set_fault(fault)
            if self._frames > frames_before:
                delay = self.settings.retry_min_seconds
            log.debug("camera %s: retrying in %.2f s", self.kind, delay)
            if self._stop.wait(delay):
                break
            delay = min(delay * 2, self.settings.retry_max_seconds)

    def _session(self) -> str | None:
        """Open the source and publish frames: None when asked to stop, else the fault's one line."""
        with self._lock:
            self._progress_at = time.monotonic()
        try:
            self._open()
        except BoothError as err:
            self._safe_close()
            return str(err)
        except Exception as err:  # the thread must survive any driver error; the text says what it was
            log.debug("camera %s: open failed", self.kind, exc_info=True)
            self._safe_close()
            return f"{self.source}: cannot open ({type(err).__name__}: {err}); check the camera, retrying"
        self._focus_dirty.set()  # a reopened lens has forgotten the focus settings
        try:
            return self._pump()
        finally:
            self._safe_close()

    def _pump(self) -> str | None:
        while not self._stop.is_set():
            if self._focus_dirty.is_set():
                self._focus_dirty.clear()
                self._apply_focus(self.focus)
            with self.cpu.measure(CONVERSION):  # waiting for the frame is free: thread CPU only
                fault = self._grab_and_publish()
            if fault is not None:
                return fault
        return None

    def _grab_and_publish(self) -> str | None:
        """One frame from the source to the readers; the fault's one line if the source failed."""
        resting = self.resting
        if resting and not self._resting_frame:
            self._ring.clear()  # no still is asked for at rest, and a Pi's memory is better free
        self._resting_frame = resting
        try:
            grab = self._grab(self.settings.stall_seconds)
            if grab is not None and grab.convert is not None and not resting:
                # Here, inside the guard: a conversion that fails is the source's fault, as a grab's is.
                grab = replace(grab, pixels=grab.convert(), convert=None)
        except TimeoutError:
            return self._stall_text()
        except BoothError as err:
            return str(err)
        except Exception as err:  # an unplugged device surfaces as any driver error
            log.debug("camera %s: grab failed", self.kind, exc_info=True)
            return f"{self.source}: lost ({type(err).__name__}: {err}); check the connection, retrying"
        if grab is not None:
            self._publish(grab)
        return None

    def _publish(self, grab: Grab) -> None:
        """Make ``grab`` the latest frame, and keep it in the ring unless at rest; a grab still holding its
        ``convert`` (at rest) is converted by its first reader, which gets a failure as an exception."""
        pixels = grab.pixels
        later = None if grab.convert is None else functools.partial(self._convert_now, grab.convert)
        if pixels is not None:
            pixels.flags.writeable = False
        now = time.monotonic()
        with self._lock:
            self._sequence += 1
            frame = CameraFrame(pixels, now, self._sequence, later)
            self._latest = frame
            self._frames += 1
            self._times.append(now)
            self._progress_at = now
            recovered, self._fault = self._fault, None
            self._new_frame.notify_all()
        self.cpu.count_frame()
        if self._resting_frame:
            pass  # the ring keeps nothing at rest
        elif grab.full is None:
            assert pixels is not None  # converted above: only a resting frame waits for a reader
            self._ring.push(now, (frame.sequence, pixels), pixels.nbytes)
        else:
            self._ring.push(now, (frame.sequence, grab.full), grab.full_nbytes)
        if recovered is not None:
            log.info(
                "camera %s recovered after %.1f s: frames flow again", self.kind, now - self._fault_since
            )

    def _convert_now(self, convert: Callable[[], np.ndarray]) -> np.ndarray:
        """A frame's conversion on demand, on the reading thread: charged to this camera's conversion
        (inside a preview encoding, not also to the preview: the ledger's nested measures are exclusive)."""
        with self.cpu.measure(CONVERSION):
            pixels = convert()
        pixels.flags.writeable = False
        return pixels

    def _set_fault(self, text: str) -> None:
        with self._lock:
            changed = text != self._fault
            if self._fault is None:
                self._fault_since = time.monotonic()
            self._fault = text
        if changed:
            log.warning("camera fault: %s", text)

    def _safe_close(self) -> None:
        try:
            self._close()
        except Exception:  # closing a lost device often fails; nothing left to release then
            log.debug("camera %s: close failed", self.kind, exc_info=True)

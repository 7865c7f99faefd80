"""Where the booth's CPU goes, per camera frame: camera conversion, analysis, preview JPEG, events.

Why per-thread CPU time (:func:`time.thread_time`) and not wall time: the booth's threads mostly wait (the
capture thread for the sensor, the analysis thread for a frame, the stream threads for a client), and a
wait costs the Pi nothing; and on two cores another thread's work must never land in the stage that
happened to be waiting for it. Each thread charges only what it computed itself, so a stage's seconds are
comparable with the process's CPU time (:func:`time.process_time`), and what no stage claims is the rest
of the booth (the server's socket writes, storage, the session runner).

Why no process-wide ledger: the parts that do the work own one each. A :class:`booth.camera.Camera`
charges its capture thread's grab and conversion and its preview encoding; the booth service charges
the analysis and the status events (and the page's streams charge the events' serialization to it). The
service merges them (``BoothService.cpu_split``), so two booths in one process (the tests) never mix, and a
camera swapped by a settings change takes its own counts with it.

A measurement is cheap (two :func:`time.thread_time` calls and a lock), so it stays on in production.
Nested measurements of one ledger on one thread are exclusive: the inner stage's CPU is not also charged
to the outer one, so the stages never add up to more than the threads spent.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

#: The stages, named as :class:`CpuSplit`'s fields.
CONVERSION = "conversion"  # the capture thread: grab, decode or YUV->RGB, resize, publish
ANALYSIS = "analysis"  # the shooter's step: vision, looks, policy
PREVIEW = "preview"  # JPEG encoding of the live preview
EVENTS = "events"  # building and publishing the status event, and serializing it for each listener
STAGES = (CONVERSION, ANALYSIS, PREVIEW, EVENTS)
#: A :class:`CpuWindow`'s length: a long one hides a change, a short one holds too few frames to be steady.
WINDOW_SECONDS = 10.0


@dataclass(frozen=True)
class CpuSplit:
    """CPU seconds charged to each stage, and the camera frames delivered, since a ledger was made.

    Snapshots subtract (``later - earlier`` is the window between them) and add (the camera's and the
    service's ledgers make the booth's split)."""

    conversion: float = 0.0
    analysis: float = 0.0
    preview: float = 0.0
    events: float = 0.0
    frames: int = 0

    @property
    def staged(self) -> float:
        """Seconds charged to any stage."""
        return self.conversion + self.analysis + self.preview + self.events

    def seconds(self, stage: str) -> float:
        if stage not in STAGES:
            raise ValueError(f"no CPU stage {stage!r}; use one of {', '.join(STAGES)}")
        return float(getattr(self, stage))

    def ms_per_frame(self) -> dict[str, float]:
        """Milliseconds of CPU per camera frame, by stage (NaN without a frame: no rate to give)."""
        if self.frames <= 0:
            return dict.fromkeys(STAGES, math.nan)
        return {stage: 1000.0 * self.seconds(stage) / self.frames for stage in STAGES}

    def ms_per_frame_of(self, process_seconds: float) -> dict[str, float]:
        """:meth:`ms_per_frame`, plus "other" (what the process spent that no stage claims: the server's
        socket writes, storage, the session runner, the models' worker threads) and "total", given the
        process's CPU seconds over the same window."""
        split = self.ms_per_frame()
        total = 1000.0 * process_seconds / self.frames if self.frames > 0 else math.nan
        return {**split, "other": total - sum(split.values()), "total": total}

    def __add__(self, other: CpuSplit) -> CpuSplit:
        return CpuSplit(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __sub__(self, other: CpuSplit) -> CpuSplit:
        return CpuSplit(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))


class _Measurement:
    """One ``with ledger.measure(stage):`` block; charges its thread's CPU to the stage when it ends."""

    __slots__ = ("_elsewhere", "_elsewhere_since", "_ledger", "_outer", "_since", "_stage")

    def __init__(self, ledger: CpuLedger, stage: str, elsewhere: Callable[[], float] | None) -> None:
        self._ledger, self._stage, self._elsewhere = ledger, stage, elsewhere
        self._outer: _Measurement | None = None
        self._since = self._elsewhere_since = 0.0

    def __enter__(self) -> None:
        if self._elsewhere is not None:
            self._elsewhere_since = self._elsewhere()
        local = self._ledger._local
        self._outer = getattr(local, "current", None)
        now = time.thread_time()
        if self._outer is not None:  # the outer stage's share so far; it resumes when this one ends
            self._ledger.add(self._outer._stage, now - self._outer._since)
        self._since = now
        local.current = self

    def __exit__(self, *exc: object) -> None:
        now = time.thread_time()
        self._ledger.add(self._stage, now - self._since)
        if self._elsewhere is not None:
            self._ledger.add(self._stage, self._elsewhere() - self._elsewhere_since)
        self._ledger._local.current = self._outer
        if self._outer is not None:
            self._outer._since = now


class CpuLedger:
    """Thread-safe CPU seconds by stage, and a count of camera frames; any thread may measure or read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seconds = dict.fromkeys(STAGES, 0.0)
        self._frames = 0
        self._local = threading.local()  # the measurement open on each thread, for nesting

    def measure(self, stage: str, elsewhere: Callable[[], float] | None = None) -> _Measurement:
        """``with ledger.measure(ANALYSIS): ...``: charge this thread's CPU inside the block to ``stage``.

        ``elsewhere`` reads a running count of CPU seconds that other threads spent on this block's work
        and counted themselves (no thread's clock sees another's); what it grew by is charged too.
        """
        if stage not in self._seconds:
            raise ValueError(f"no CPU stage {stage!r}; use one of {', '.join(STAGES)}")
        return _Measurement(self, stage, elsewhere)

    def add(self, stage: str, seconds: float) -> None:
        """Charge ``seconds`` of CPU measured elsewhere to ``stage``."""
        with self._lock:
            self._seconds[stage] += seconds

    def count_frame(self) -> None:
        """One more camera frame delivered (the split's denominator)."""
        with self._lock:
            self._frames += 1

    def snapshot(self) -> CpuSplit:
        with self._lock:
            return CpuSplit(**self._seconds, frames=self._frames)


class CpuWindow:
    """The booth's split over its last ``seconds`` of running, in ms per camera frame with "other" and
    "total" (:meth:`CpuSplit.ms_per_frame_of`): what the status shows while the booth runs.

    ``read`` gives the booth's split so far; :meth:`tick` is called from one loop (the analysis thread),
    and :attr:`latest` is replaced whole, so any thread may read it.
    """

    def __init__(self, read: Callable[[], CpuSplit], seconds: float = WINDOW_SECONDS) -> None:
        self.seconds = seconds
        self._read = read
        self._start: tuple[CpuSplit, float, float] | None = None  # split, process CPU, time
        #: The last closed window (None before the first closes).
        self.latest: dict[str, float] | None = None

    def tick(self, now: float) -> None:
        """Close the window if ``seconds`` have passed since it opened, and open the next."""
        if self._start is not None and now - self._start[2] < self.seconds:
            return
        split, process = self._read(), time.process_time()
        if self._start is not None:
            self.latest = (split - self._start[0]).ms_per_frame_of(process - self._start[1])
        self._start = (split, process, now)

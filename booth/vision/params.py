"""What perception is told to do, as one frozen value (the settings' defaults stay in ``booth.config``).

Vision is pure and must not import the pydantic settings; :meth:`VisionParams.from_settings` reads them by
attribute instead, so adding a vision setting means one field here and one in ``booth.config``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

#: With this many cores or more, ``threads = 0`` (auto) gives the models two interpreter threads.
AUTO_THREADS_FROM_CORES = 4


def usable_cores() -> int:
    """The cores this process may run on (its affinity, which a container or ``taskset`` may narrow)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def auto_threads() -> int:
    """Interpreter threads for ``threads = 0``: 2 when the process may use 4 or more cores, else 1.

    Two, not all: on a Pi the analysis thread shares the cores with the camera's conversion, the preview's
    JPEG encoding and the page; ``make bench`` shows what a second thread buys on this machine.
    """
    return 2 if usable_cores() >= AUTO_THREADS_FROM_CORES else 1


class VisionSource(Protocol):
    """What :meth:`VisionParams.from_settings` reads (``booth.config.VisionSettings`` has it)."""

    @property
    def threads(self) -> int: ...

    @property
    def runtime(self) -> str: ...

    @property
    def max_faces(self) -> int: ...

    @property
    def detect_every(self) -> int: ...

    @property
    def emotions(self) -> bool: ...

    @property
    def tracking(self) -> str: ...

    @property
    def full_every(self) -> int: ...

    @property
    def precision(self) -> str: ...

    @property
    def full_near(self) -> float: ...


@dataclass(frozen=True)
class VisionParams:
    """Model loading (``threads``, ``runtime``, ``emotions``, ``tracking``, ``precision``) and per-frame work
    (``max_faces``, ``detect_every``, ``full_every``, ``full_near``); see ``booth.config.VisionSettings``
    for each field's meaning and default."""

    threads: int
    runtime: str  # "auto", or the TFLite runtime to try first
    max_faces: int
    detect_every: int
    emotions: bool
    tracking: str = "full"  # "full": FaceMesh v2 on every frame; "light": v1 + iris between full frames
    full_every: int = 6
    full_near: float = 0.15
    precision: str = "fp32"  # "fp16": FaceMesh v2 handed over with the fp16 hint (taken where the CPU can)
    cores: int = 1  # the cores the process may use (:func:`usable_cores`, read by from_settings)

    @property
    def look_beside(self) -> bool:
        """Whether the periodic look for new faces gets a thread of its own (see
        :meth:`booth.vision.FacePipeline.analyze`): only with a core to spare beside the analysis's own
        threads (its thread, the extra interpreter thread and the emotion helper when ``threads`` is above
        1). Measured on this 2-core machine over the bench clips, alternating in one process: with one
        interpreter thread the frames that look took 11.3 ms (p50) against 14.8 with the look inline, the
        other frames alike; with two interpreter threads, which hold both cores, the look's frame gained
        0.8 ms and the next frame lost 1.7. A Pi (4 cores, 2 interpreter threads) has the core to spare.
        """
        busy = self.threads + (1 if self.threads > 1 else 0)
        return self.cores > busy

    @classmethod
    def from_settings(cls, s: VisionSource) -> VisionParams:
        return cls(
            threads=s.threads or auto_threads(),
            runtime=s.runtime,
            max_faces=s.max_faces,
            detect_every=s.detect_every,
            emotions=s.emotions,
            tracking=s.tracking,
            full_every=s.full_every,
            full_near=s.full_near,
            precision=s.precision,
            cores=usable_cores(),
        )

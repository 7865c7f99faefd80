"""The baseline step of a session: about a second of the sitter at rest, looking at the light by the lens,
taken as their resting face and their lens calibration (:mod:`booth.looks.calibration`).

Kept apart from the runner because it is the one piece of the session that watches frames over time: the
runner feeds it the subject's readings and it says when it has enough.
"""

from __future__ import annotations

from booth.looks import Baseline
from booth.vision import FaceReading

#: Seconds of the sitter at rest taken as the baseline.
BASELINE_SECONDS = 1.0
#: Fewest frames the baseline is taken from, however long it took to collect them.
BASELINE_MIN_FRAMES = 5


class BaselineCollector:
    """Collects the subject's readings from :meth:`begin` on; :meth:`add` returns the baseline when done."""

    def __init__(self) -> None:
        self._frames: list[FaceReading | None] = []
        self._until: float | None = None

    def begin(self, now: float) -> None:
        self._frames = []
        self._until = now + BASELINE_SECONDS

    def cancel(self) -> None:
        self._frames, self._until = [], None

    def add(self, reading: FaceReading | None, now: float) -> Baseline | None:
        """One more frame of the step (None: no subject in it); the baseline once :data:`BASELINE_SECONDS`
        and enough frames passed. Its calibration says whether the sitter complied."""
        self._frames.append(reading)
        if self._until is None or now < self._until or len(self._frames) < BASELINE_MIN_FRAMES:
            return None
        baseline = Baseline.capture(self._frames)
        self.cancel()
        return baseline

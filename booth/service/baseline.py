"""The baseline step of a session: about a second of the sitter at rest, looking at the light by the lens,
taken as their resting face and their lens calibration (:mod:`booth.looks.calibration`).

Kept apart from the runner because it is the one piece of the session that watches frames over time: the
runner feeds it every frame of the step (None when the subject is not in it) and it says when it has enough.

The first :data:`SETTLE_SECONDS` are not used: the sitter has just tapped consent on the touchscreen and is
still reading the prompt, so their eyes are on the screen, not yet on the light. After that the step ends
once :data:`BASELINE_SECONDS` have passed **and** :data:`BASELINE_MIN_FRAMES` frames showed the face: a
sitter who is not there yet is waited for (the session's ``baseline_timeout`` ends the wait), while frames
without the face still count against the calibration ("face lost").
"""

from __future__ import annotations

from booth.looks import Baseline
from booth.vision import FaceReading

#: Seconds after the prompt appears before frames count: time to look up from the screen to the light.
SETTLE_SECONDS = 0.7
#: Seconds of the sitter at rest taken as the baseline, after the settling time.
BASELINE_SECONDS = 1.0
#: Fewest frames with the face the baseline is taken from, however long it took to collect them.
BASELINE_MIN_FRAMES = 5


class BaselineCollector:
    """Collects the subject's readings from :meth:`begin` on; :meth:`add` returns the baseline when done."""

    def __init__(self) -> None:
        self._frames: list[FaceReading | None] = []
        self._from: float | None = None

    def begin(self, now: float) -> None:
        self._frames = []
        self._from = now + SETTLE_SECONDS

    def cancel(self) -> None:
        self._frames, self._from = [], None

    def add(self, reading: FaceReading | None, now: float) -> Baseline | None:
        """One more frame of the step (None: no subject in it); the baseline once the step is long enough
        and has enough frames of the face. Its calibration says whether the sitter complied."""
        if self._from is None or now < self._from:
            return None
        self._frames.append(reading)
        faces = sum(r is not None for r in self._frames)
        if now < self._from + BASELINE_SECONDS or faces < BASELINE_MIN_FRAMES:
            return None
        baseline = Baseline.capture(self._frames)
        self.cancel()
        return baseline

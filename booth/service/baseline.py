"""The baseline step of a session: about a second of the sitter at rest, looking at the light by the lens,
taken as their resting face and their lens calibration (:mod:`booth.looks.calibration`).

Kept apart from the runner because it is the one piece of the session that watches frames over time: the
runner feeds it every frame of the step (None when the subject is not in it) and it says when it has enough.

Why it waits for a face *at rest*: every look is scored by how far a signal rose above the sitter's rest
(:meth:`booth.looks.Baseline.relative`). A sitter who is still smiling when they tap "I agree" would have that
smile taken as their rest, and no approachable shot would ever score. So a frame counts only when the eyes
are open, the smile call (:mod:`booth.looks.smile`) says no smile, and the head has held still; the step ends
after :data:`BASELINE_SECONDS` of such frames in a row. Until then the kiosk shows what it waits for
(:attr:`BaselineCollector.waiting_for`). If no rest face comes before the session's ``baseline_timeout``, the
session moves on and the runner scores against the population's neutral rest (:mod:`booth.looks.rest`),
logging which of the two it used.

The first :data:`SETTLE_SECONDS` are not used: the sitter has just tapped consent on the touchscreen and is
still reading the prompt, so their eyes are on the screen, not yet on the light.
"""

from __future__ import annotations

from booth.looks import Baseline
from booth.looks.smile import call as smile_call
from booth.vision import FaceReading

#: Seconds after the prompt appears before frames count: time to look up from the screen to the light.
SETTLE_SECONDS = 0.7
#: Seconds of the sitter at rest, in a row, taken as the baseline.
BASELINE_SECONDS = 1.0
#: Fewest frames the baseline is taken from, however long it took to collect them.
BASELINE_MIN_FRAMES = 5
#: Head turn (any axis, degrees) from the first frame of a run that breaks it: the sitter moved.
STEADY_DEGREES = 4.0
#: Face centre travel, as a share of the face's height, that breaks a run.
STEADY_TRAVEL = 0.08

NO_FACE = "Look at the light by the lens"
EYES = "Open your eyes"
SMILE = "Relax your smile"
MOVING = "Hold still"


def _centre(reading: FaceReading) -> tuple[float, float, float]:
    x0, y0, x1, y1 = reading.box
    return (x0 + x1) / 2, (y0 + y1) / 2, max(1.0, y1 - y0)


def moved(first: FaceReading, now: FaceReading) -> bool:
    """True if the head turned or travelled enough since ``first`` that the two are not one held pose."""
    a, b = first.head_pose, now.head_pose
    if max(abs(a.yaw - b.yaw), abs(a.pitch - b.pitch), abs(a.roll - b.roll)) > STEADY_DEGREES:
        return True
    (ax, ay, height), (bx, by, _) = _centre(first), _centre(now)
    return max(abs(ax - bx), abs(ay - by)) > STEADY_TRAVEL * height


def not_at_rest(reading: FaceReading | None) -> str:
    """What keeps one frame from being a rest face, as the sentence the kiosk shows; "" if it is one."""
    if reading is None:
        return NO_FACE
    if not reading.eyes_open:
        return EYES
    if smile_call(reading.blendshapes, reading.emotions).smiling:
        return SMILE
    return ""


class BaselineCollector:
    """Collects a run of rest frames from :meth:`begin` on; :meth:`add` returns the baseline when done."""

    def __init__(self) -> None:
        self._run: list[FaceReading] = []
        self._from: float | None = None
        self._run_started: float | None = None
        self.waiting_for = ""

    @property
    def active(self) -> bool:
        return self._from is not None

    def begin(self, now: float) -> None:
        self._run, self._run_started = [], None
        self._from = now + SETTLE_SECONDS
        self.waiting_for = ""

    def cancel(self) -> None:
        self._run, self._from, self._run_started = [], None, None
        self.waiting_for = ""

    def progress(self, now: float) -> float:
        """How much of the rest run is in, 0..1 (what the kiosk's baseline indicator fills)."""
        if self._run_started is None:
            return 0.0
        return min(1.0, (now - self._run_started) / BASELINE_SECONDS)

    def add(self, reading: FaceReading | None, now: float) -> Baseline | None:
        """One more frame of the step (None: no subject in it); the baseline once a run of rest frames is
        long enough. A frame that is not at rest, or a head that moved, starts the run again."""
        if self._from is None or now < self._from:
            return None
        why = not_at_rest(reading)
        if why or reading is None:
            self._run, self._run_started, self.waiting_for = [], None, why
            return None
        if self._run and moved(self._run[0], reading):
            self._run, self._run_started = [], None
            why = MOVING
        if not self._run:
            self._run_started = now
        self._run.append(reading)
        # "Hold still" stays up for the first half of the new run, so the sitter can read it.
        held = self._run_started is not None and now - self._run_started < BASELINE_SECONDS / 2
        self.waiting_for = why or (self.waiting_for if held and self.waiting_for == MOVING else "")
        assert self._run_started is not None
        if now - self._run_started < BASELINE_SECONDS or len(self._run) < BASELINE_MIN_FRAMES:
            return None
        baseline = Baseline.capture(list(self._run))
        self.cancel()
        return baseline

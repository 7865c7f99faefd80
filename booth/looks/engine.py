"""From face readings to what a portrait photographer thinks in: look scores, gaze verdict, dead gaze, a hint.

* **Baseline**: the median of each signal over ~1 s of the sitter at rest, looking at the light by the lens.
  Expression signals then count only what rose above rest, so a resting smile or heavy
  lids are not a look. Until a sitter's rest is taken (and for stills) the population's rest applies
  (:mod:`booth.looks.rest`). The same frames calibrate the sitter's own lens direction
  (:mod:`booth.looks.calibration`); without one (a still, or a sitter who did not comply) the population
  gaze model applies.
* **Smoothing**: each look score is an exponential moving average per tracked face with time constant
  :data:`SMOOTHING_SECONDS` (frame-rate independent): one noisy frame moves a score by about a fifth of
  its jump at 30 fps (1 - exp(-0.033 / 0.15)), so it neither fires nor blocks.
* **Verdict**: the booth's one judgement of "engaged" (perception only reports the gaze angles). Engaged
  when both eyes are open, not staring wide, the gaze (calibrated when the baseline has a lens
  calibration) lies inside the operator's tolerance ellipse around the lens (``Thresholds.gaze``, widened
  without a calibration), the face is large enough (``min_face_size``), and all of that has held
  for the scorer's ``hold_seconds`` (:data:`ENGAGED_HOLD_SECONDS` on live video, 0 for a still);
  otherwise the reasons say why ("left"/"right" are the sitter's own). Eyes that are not open say how:
  "eyes closed", "eyes squeezed by the smile", "eyes lowered" or "eyes half-closed"
  (:mod:`booth.vision.eyes`).
* **Thresholds** come from a :class:`~booth.looks.thresholds.Thresholds`, the same rule the trigger policy
  holds, so the coaching's "Hold that!" means exactly what the trigger fires on.
* **Target**: the look being coached toward belongs to the session, so it is passed to each
  :meth:`LookScorer.score` call rather than kept here.
* **Usable eyes**: every look, shipped or learned, is capped at :data:`EYES_NOT_OPEN_CAP` in a frame whose
  eyes are not open (closed, squeezed shut by a laugh, lowered, half-closed), and the smoothed score with
  it, so a laugh with the eyes shut never reads as a look and the meter drops at once.
* **Readiness** is what the kiosk's meter shows: the target look's score while every gate that firing
  needs is open (eyes open, engaged, no dead gaze), and at most :data:`GATED_READINESS` while one is
  shut, so the meter never sits at "almost" for a face the booth would not shoot.
* **Dead gaze**: the dead-gaze recipe (eyes wide, brows up, neutral, nothing moving in mouth or cheeks)
  above its threshold **and** landmarks nearly frozen over the last second.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from booth.looks.calibration import Calibration, calibrate
from booth.looks.recipes import LookBook, Recipe
from booth.looks.rest import POPULATION_REST
from booth.looks.signals import extract, is_expression
from booth.looks.thresholds import Thresholds
from booth.vision.geometry import gaze_within
from booth.vision.reading import FaceReading

SMOOTHING_SECONDS = 0.15
ENGAGED_HOLD_SECONDS = 0.2
#: A face not seen for this long is forgotten (its smoothing and movement history).
FORGET_SECONDS = 5.0
EYE_WIDE_MAX = 0.55
#: Every look's ceiling in a frame whose eyes are not open.
EYES_NOT_OPEN_CAP = 0.05
#: The meter's ceiling while a gate that firing needs is shut (eyes, gaze, dead gaze).
GATED_READINESS = 0.2


NO_CALIBRATION = Calibration(None, "no baseline step")
#: Why eyes that are not open are not engaged, by :mod:`booth.vision.eyes` state.
EYE_REASONS = {
    "closed": "eyes closed",
    "squeezed": "eyes squeezed by the smile",
    "lowered": "eyes lowered",
    "half-closed": "eyes half-closed",
}


@dataclass(frozen=True)
class Baseline:
    """The sitter's resting face (median signals) and their lens calibration, from the baseline step.

    Empty ``signals`` stand for the population's rest (:data:`~booth.looks.rest.POPULATION_REST`)."""

    signals: dict[str, float]
    calibration: Calibration = NO_CALIBRATION
    frames: int = 0

    @classmethod
    def capture(cls, readings: Sequence[FaceReading | None]) -> Baseline:
        """From the step's frames of the subject (None where no face was seen)."""
        faces = [r for r in readings if r is not None]
        if not faces:
            return cls({}, calibrate(readings), 0)
        per_signal = [extract(r) for r in faces]
        names = per_signal[0].keys()
        medians = {n: float(np.median([s[n] for s in per_signal])) for n in names}
        return cls(medians, calibrate(readings), len(faces))

    def gaze(self, reading: FaceReading) -> tuple[float, float]:
        """The reading's gaze off the lens: this sitter's when calibrated, else the population model's."""
        lens = self.calibration.lens
        return reading.gaze if lens is None else lens.gaze(reading)

    def extract(self, reading: FaceReading) -> dict[str, float]:
        """The reading's signals as this sitter's scorer reads them (rest pitch, calibrated gaze), raw."""
        return extract(reading, self.signals.get("head.pitch", 0.0), self.gaze(reading))

    def signals_of(self, reading: FaceReading) -> dict[str, float]:
        """What the looks are scored on: the reading's signals, relative to this rest."""
        return self.relative(self.extract(reading))

    def relative(self, signals: dict[str, float]) -> dict[str, float]:
        """Expression signals by how far they rose above rest (never below 0); geometry and calls unchanged.

        Not rescaled by the room left above rest: that amplified noise on a high rest (a sitter resting
        in a broad smile read approachable 0.58 from a 0.04 flicker)."""
        rests = self.signals or POPULATION_REST
        out = dict(signals)
        for name, value in signals.items():
            rest = rests.get(name)
            if rest is not None and is_expression(name):
                out[name] = max(0.0, value - rest)
        return out


@dataclass(frozen=True)
class Verdict:
    engaged: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class LookResult:
    """One face's looks at one moment."""

    scores: dict[str, float]  # smoothed, 0..1
    raw: dict[str, float]  # this frame alone
    verdict: Verdict
    dead_gaze: bool
    eyes_open: bool
    hint: str
    target: str | None
    #: The gaze the verdict judged (degrees off the lens): the sitter's calibrated one when there is a
    #: calibration, else the population model's.
    gaze: tuple[float, float] = (0.0, 0.0)
    calibrated: bool = False
    #: The booth's smile call on this frame (:mod:`booth.looks.smile`).
    smiling: bool = False

    def readiness(self, look: str | None) -> float:
        """What the meter shows for ``look``: its score, held down while a gate that firing needs is shut."""
        score = self.scores.get(look, 0.0) if look else 0.0
        gates_open = self.eyes_open and self.verdict.engaged and not self.dead_gaze
        return score if gates_open else min(score, GATED_READINESS)

    def to_json(self) -> dict:
        return {
            "looks": {k: round(v, 3) for k, v in self.scores.items()},
            "readiness": round(self.readiness(self.target), 3),
            "smiling": self.smiling,
            "judged_gaze": {"x": round(self.gaze[0], 1), "y": round(self.gaze[1], 1)},
            "calibrated": self.calibrated,
            "dead_gaze": self.dead_gaze,
            "verdict": {"engaged": self.verdict.engaged, "reasons": list(self.verdict.reasons)},
            "hint": self.hint,
        }


@dataclass
class _FaceState:
    last_time: float | None = None
    smoothed: dict[str, float] = field(default_factory=dict)
    engaged_since: float | None = None
    history: deque[tuple[float, np.ndarray]] = field(default_factory=lambda: deque(maxlen=90))


def _movement(history: deque[tuple[float, np.ndarray]], now: float, window: float) -> float:
    """Std of normalised landmark positions over the window (fraction of the inter-ocular distance)."""
    recent = [pts for t, pts in history if now - t <= window]
    if len(recent) < 5:
        return math.inf
    stack = np.stack(recent)
    return float(stack.std(axis=0).mean())


def _normalised_points(reading: FaceReading) -> np.ndarray:
    pts = reading.landmarks[:468:4, :2]
    iod = float(np.linalg.norm(reading.landmarks[468, :2] - reading.landmarks[473, :2])) or 1.0
    return (pts - pts.mean(axis=0)) / iod


class LookScorer:
    """Scores the configured looks for each tracked face, over time. Pure: pass ``now`` (seconds)."""

    def __init__(
        self,
        book: LookBook,
        thresholds: Thresholds,
        min_face_size: float,
        baseline: Baseline | None = None,
        hold_seconds: float = ENGAGED_HOLD_SECONDS,
    ) -> None:
        """``thresholds`` and ``min_face_size`` are the trigger's own (face box height / frame height), so the
        verdict and the coaching agree with what fires; ``hold_seconds`` is how long the gaze must stay
        engaged, 0 for unrelated stills."""
        self.book = book
        self.thresholds = thresholds
        self.min_face_size = min_face_size
        self.hold_seconds = hold_seconds
        self.baseline = baseline or Baseline({})
        self._faces: dict[int, _FaceState] = {}

    def set_book(self, book: LookBook) -> None:
        """New recipes: smoothed scores of the old ones are dropped."""
        self.book = book
        self._faces.clear()

    def set_baseline(self, baseline: Baseline) -> None:
        """A new sitter's rest: scores smoothed against the old one are dropped."""
        self.baseline = baseline
        self._faces.clear()

    def set_thresholds(self, thresholds: Thresholds, min_face_size: float) -> None:
        """New trigger settings; the smoothed scores stay valid (thresholds only judge them)."""
        self.thresholds = thresholds
        self.min_face_size = min_face_size

    def recipe(self, name: str) -> Recipe:
        return self.book.looks[name]

    def score(self, reading: FaceReading, now: float, target: str | None = None) -> LookResult:
        """One face at time ``now``; ``target`` is the look the session coaches toward (used by the hint)."""
        self._forget(now)
        state = self._faces.setdefault(reading.track_id, _FaceState())
        gaze = self.baseline.gaze(reading)
        raw_signals = self.baseline.extract(reading)
        signals = self.baseline.relative(raw_signals)
        cap = 1.0 if reading.eyes_open else EYES_NOT_OPEN_CAP
        raw = {name: min(cap, recipe.score(signals)) for name, recipe in self.book.looks.items()}

        dt = 1.0 if state.last_time is None else max(0.0, now - state.last_time)
        alpha = 1.0 - math.exp(-dt / SMOOTHING_SECONDS)
        for name, value in raw.items():
            previous = state.smoothed.get(name, value)
            # Shut eyes drop the smoothed score at once; opening them lets it climb back smoothly.
            state.smoothed[name] = min(cap, previous + alpha * (value - previous))
        state.last_time = now

        state.history.append((now, _normalised_points(reading)))
        dead = self.book.dead_gaze
        blank = dead.recipe.score(signals) >= dead.threshold
        frozen = _movement(state.history, now, dead.window_seconds) < dead.stillness
        dead_gaze = blank and frozen and reading.eyes_open

        verdict = self._verdict(reading, raw_signals, gaze, state, now)
        hint = self._hint(verdict, dead_gaze, signals, state, target)
        calibrated = self.baseline.calibration.lens is not None
        return LookResult(
            dict(state.smoothed),
            raw,
            verdict,
            dead_gaze,
            reading.eyes_open,
            hint,
            target,
            gaze,
            calibrated,
            raw_signals["smiling"] > 0.5,
        )

    def _forget(self, now: float) -> None:
        """Drop faces unseen for :data:`FORGET_SECONDS` (a new sitter must not inherit their smoothing)."""
        for track in [
            t
            for t, s in self._faces.items()
            if s.last_time is not None and now - s.last_time > FORGET_SECONDS
        ]:
            del self._faces[track]

    def _verdict(
        self,
        reading: FaceReading,
        signals: dict[str, float],
        gaze: tuple[float, float],
        state: _FaceState,
        now: float,
    ) -> Verdict:
        reasons = []
        if not reading.eyes_open:
            reasons.append(EYE_REASONS.get(reading.eye_state, "eyes closed"))
        elif signals["eye_wide"] > max(EYE_WIDE_MAX, self.baseline.signals.get("eye_wide", 0.0) + 0.3):
            reasons.append("eyes wide")
        gx, gy = gaze
        # The gaze of shut or lowered eyes is the iris model's guess: only open eyes look anywhere.
        if reading.eyes_open and not gaze_within(
            (gx, gy), self.baseline.calibration.tolerance(self.thresholds.gaze)
        ):
            # Gaze toward image left is toward the sitter's own right.
            side = "right" if gx < -abs(gy) else "left" if gx > abs(gy) else "up" if gy < 0 else "down"
            reasons.append(f"looking away ({side})")
        if reading.face_size < self.min_face_size:
            reasons.append("too far from the camera")
        if reasons:
            state.engaged_since = None
            return Verdict(False, tuple(reasons))
        if state.engaged_since is None:
            state.engaged_since = now
        if now - state.engaged_since < self.hold_seconds:
            return Verdict(False, ("settling",))
        return Verdict(True, ())

    def _hint(
        self,
        verdict: Verdict,
        dead_gaze: bool,
        signals: dict[str, float],
        state: _FaceState,
        target: str | None,
    ) -> str:
        reasons = verdict.reasons
        if "eyes closed" in reasons:
            return "Open your eyes"
        if "eyes squeezed by the smile" in reasons:
            return "Soften the smile a little: let your eyes open"
        if "eyes lowered" in reasons:
            return "Lift your eyes to the lens"
        if "eyes half-closed" in reasons:
            return "Open your eyes a little more"
        if "too far from the camera" in reasons:
            return "Come a little closer"
        if "eyes wide" in reasons or dead_gaze:
            return "Soften your eyes"
        if any(r.startswith("looking away") for r in reasons):
            return "Look into the lens"
        if target is None or target not in self.book.looks:
            return ""
        recipe = self.book.looks[target]
        if state.smoothed.get(target, 0.0) >= self.thresholds.for_look(target):
            return "Hold that!"
        return recipe.shortfall(signals) or recipe.scenario

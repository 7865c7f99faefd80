"""Teaching a look on the live booth: takes recorded on the analysis thread, and the fit of a preview look.

The operator records takes of the sitter "holding" the look and "not holding" it, a few seconds each. Each
analysed frame's subject (the face the trigger judges, :attr:`booth.shooting.FrameResult.subject`) adds its
signals relative to the sitter's rest (:meth:`booth.looks.Baseline.signals_of`, exactly what the scorer
scores) to the take being recorded; frames without a subject are counted, not used. Why this shape:

* **Cheap on the analysis thread.** :meth:`Recorder.on_frame` returns at once unless a take is recording;
  while one is, it re-derives the signals from the reading the frame already has (no model runs) and
  keeps only the signals the learner reads (:data:`KEPT`), so memory stays bounded on a Pi.
* **Thread-safe.** The web thread starts takes and reads counts while the analysis thread fills them:
  one lock around the takes, the signals computed outside it.
* **Honest fit.** :func:`fit` is :func:`booth.looks.learn.learn` on the takes in recording order (its
  cross-validation folds are contiguous blocks of that order), with hints from the shipped looks, and
  :func:`comment` says in the looks file how, from what and when the look was learned, like
  ``booth looks learn`` does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from booth import looks
from booth.errors import BoothError, ConfigError
from booth.looks.learn import (
    CANDIDATES,
    MIN_EXAMPLES,
    Learned,
    LearnError,
    Provenance,
    hints_by_signal,
    learn,
)
from booth.storage import ShotRecord
from booth.vision import FaceReading

#: "holding" the look, or "not" holding it.
KINDS = ("holding", "not")
DEFAULT_SECONDS = 3.0
#: Shortest and longest take, in seconds.
SECONDS_RANGE = (0.2, 30.0)
#: At most this many frames per side (about a minute at 30 fps): enough to learn from, bounded on a Pi.
MAX_FRAMES = 2000
#: What the learner reads of each frame (its candidates and the smile call for its gate).
KEPT = (*CANDIDATES, "smiling")
#: What the operator page and the status's ``face.looks`` call a preview look: ``"smize (preview)"``.
PREVIEW_SUFFIX = " (preview)"


@dataclass
class Take:
    """One recording: its kind, length, the subject's signals frame by frame, and the frames with none."""

    kind: str
    seconds: float
    rest: str  # what the signals are relative to ("the population's rest", "the sitter's rest (N frames)")
    signals: list[dict[str, float]] = field(default_factory=list)
    missed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "seconds": self.seconds,
            "frames": len(self.signals),
            "missed": self.missed,
        }


def rest_of(baseline: looks.Baseline) -> str:
    if not baseline.signals:
        return "the population's rest (no baseline step)"
    return f"the sitter's rest from the baseline step ({baseline.frames} frames)"


class Recorder:
    """The takes of one look being taught. Started from any thread, filled on the analysis thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._takes: list[Take] = []
        self._current: Take | None = None
        self._until = 0.0

    def start(self, kind: str, seconds: float, now: float, baseline: looks.Baseline) -> None:
        """Record ``kind`` for ``seconds`` from ``now``; refused while a take records or the side is full."""
        if kind not in KINDS:
            raise ConfigError(f"take kind {kind!r}: use 'holding' or 'not'")
        low, high = SECONDS_RANGE
        if not low <= seconds <= high:
            raise ConfigError(f"take length {seconds:g} s: use {low:g} to {high:g} seconds")
        with self._lock:
            self._finish_if_due(now)
            if self._current is not None:
                raise BoothError(f"already recording a '{self._current.kind}' take; wait for it to end")
            if sum(len(t.signals) for t in self._takes if t.kind == kind) >= MAX_FRAMES:
                raise BoothError(
                    f"enough '{kind}' frames ({MAX_FRAMES}); learn now, or discard and start over"
                )
            self._current = Take(kind, seconds, rest_of(baseline))
            self._until = now + seconds
            self._takes.append(self._current)

    def on_frame(self, reading: FaceReading | None, baseline: looks.Baseline, now: float) -> None:
        """One analysed frame's subject (None: no face): kept in the recording take, if there is one."""
        take = self._current
        if take is None:  # the common case: nothing recording, nothing to do
            return
        signals = None
        if reading is not None:
            every = baseline.signals_of(reading)
            signals = {name: every.get(name, 0.0) for name in KEPT}
        with self._lock:
            if self._current is not take or self._finish_if_due(now):
                return
            if signals is None:
                take.missed += 1
            else:
                take.signals.append(signals)

    def _finish_if_due(self, now: float) -> bool:
        """End the recording take once its time is up (lock held); True if it ended now."""
        if self._current is not None and now >= self._until:
            self._current = None
            return True
        return False

    def recording(self, now: float) -> bool:
        with self._lock:
            self._finish_if_due(now)
            return self._current is not None

    def takes(self, now: float) -> list[Take]:
        """The finished takes, in recording order (copies of their lists: the caller may keep them)."""
        with self._lock:
            self._finish_if_due(now)
            return [
                Take(t.kind, t.seconds, t.rest, list(t.signals), t.missed)
                for t in self._takes
                if t is not self._current
            ]

    def clear(self) -> None:
        with self._lock:
            self._takes, self._current = [], None

    def to_json(self, now: float) -> dict[str, Any]:
        with self._lock:
            self._finish_if_due(now)
            current = self._current
            takes = [t.to_json() for t in self._takes]
            recording = None
            if current is not None:
                recording = {**current.to_json(), "left": round(max(0.0, self._until - now), 2)}
        return {
            "recording": recording,
            "takes": takes,
            "holding_frames": sum(t["frames"] for t in takes if t["kind"] == "holding"),
            "not_frames": sum(t["frames"] for t in takes if t["kind"] == "not"),
            "missed": sum(t["missed"] for t in takes),
        }


Source = Provenance
#: Who learned a look taught on the operator page, for its comment in the looks file.
TEACH_PAGE = 'the operator page ("Teach a look")'


@cache
def shipped_hints() -> dict[str, str]:
    """The hint each signal has in the shipped looks, for the learned terms (read once)."""
    return hints_by_signal(list(looks.load().looks.values()))


def fit(
    name: str, positives: Sequence[Mapping[str, float]], negatives: Sequence[Mapping[str, float]]
) -> Learned:
    """:func:`booth.looks.learn.learn` with the shipped looks' hints; a refusal is its one-line LearnError."""
    return learn(name, positives, negatives, hints=shipped_hints())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def from_takes(takes: Sequence[Take]) -> tuple[list[dict[str, float]], list[dict[str, float]], Source]:
    """The examples of the recorded takes (holding = positives), and where they came from."""
    if not any(t.kind == "holding" for t in takes) or not any(t.kind == "not" for t in takes):
        raise LearnError("record at least one 'holding' take and one 'not holding' take first")

    def side(kind: str, what: str) -> tuple[list[dict[str, float]], str]:
        mine = [t for t in takes if t.kind == kind]
        lengths = sorted({f"{t.seconds:g} s" for t in mine})
        examples = [s for t in mine for s in t.signals]
        return examples, f"{_plural(len(mine), 'take')} {what} ({', '.join(lengths)}) on the live booth"

    positives, pos_text = side("holding", "of the look held")
    negatives, neg_text = side("not", "without it")
    rests = sorted({t.rest for t in takes})
    missed = sum(t.missed for t in takes)
    return (
        positives,
        negatives,
        Source(TEACH_PAGE, "recorded takes", pos_text, neg_text, ", ".join(rests), f"{missed}"),
    )


def mark_counts(shots: Iterable[ShotRecord]) -> dict[str, dict[str, int]]:
    """Per look: photos marked good and not good, how many of each carry signals, and those without."""
    counts: dict[str, dict[str, int]] = {}
    for shot in shots:
        if shot.mark is None:
            continue
        c = counts.setdefault(
            shot.look,
            {"good": 0, "not_good": 0, "good_usable": 0, "not_good_usable": 0, "without_signals": 0},
        )
        side = "good" if shot.mark else "not_good"
        c[side] += 1
        if shot.signals:
            c[f"{side}_usable"] += 1
        else:
            c["without_signals"] += 1
    for c in counts.values():
        c["ready"] = int(c["good_usable"] >= MIN_EXAMPLES and c["not_good_usable"] >= MIN_EXAMPLES)
    return counts


def from_marks(
    look: str, shots: Sequence[ShotRecord]
) -> tuple[list[dict[str, float]], list[dict[str, float]], Source]:
    """The examples of ``look``'s marked photos that carry signals (good = positives), oldest first."""
    mine = [s for s in shots if s.look == look and s.mark is not None]
    good = [s for s in mine if s.mark and s.signals]
    bad = [s for s in mine if not s.mark and s.signals]
    without = len(mine) - len(good) - len(bad)
    if len(good) < MIN_EXAMPLES or len(bad) < MIN_EXAMPLES:
        raise LearnError(
            f"{look}: {len(good)} good and {len(bad)} not-good marked photos with signals; mark at least "
            f"{MIN_EXAMPLES} of each ({without} marked photos were kept before signals were stored)"
        )

    def ids(records: Sequence[ShotRecord]) -> str:
        return ", ".join(str(s.id) for s in records)

    source = Source(
        TEACH_PAGE,
        "marked photos",
        f"{_plural(len(good), 'kept photo')} of {look} marked good on the review (shots {ids(good)})",
        f"{_plural(len(bad), 'kept photo')} of {look} marked not good (shots {ids(bad)})",
        "each sitter's rest when the photo was kept",
        f"{without} (marked photos kept before signals were stored)",
    )
    return [dict(s.signals or {}) for s in good], [dict(s.signals or {}) for s in bad], source

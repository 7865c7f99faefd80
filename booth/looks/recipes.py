"""Look recipes as data: load, validate, score, and how high each can go.

A recipe is a weighted sum of terms over named signals (see :mod:`booth.looks.signals`), each mapped
linearly from ``low`` (0) to ``high`` (1) and clipped. Two forms share that shape:

* **blend** (hand-written looks): divided by ``full``, the weighted sum of a textbook example (default:
  the sum of the positive weights), and clipped to 0..1; negative weights take away. Terms beyond ``full``
  are extras: they help, but a clear example reaches 1 without them. Without that, a cue that does not
  fire on real faces holds the look down (approachable capped at 0.76 while ``cheek_squint`` stayed 0).
* **logistic** (learned looks, :mod:`booth.looks.learn`): a ``bias`` is given, and the score is
  ``1 / (1 + exp(-(bias + sum(weight * term))))``, the fitted probability that the face shows the look.

A gate that fails caps the score at its ``cap`` (default 0). What a score means is the same for both:
0.6 is "a photographer would take this", 0.9 "a textbook example" (``SCORE_MEANING``).
:meth:`Recipe.ceiling` is the highest score the recipe can give at all, so an operator's threshold above
it (or close under it) is flagged rather than silently never firing. The defaults ship in
``default_looks.toml``; an operator's file adds looks or replaces them by name.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

from booth.errors import ConfigError
from booth.looks.signals import FROM_EMOTIONS, known_signals, signal_range

DEFAULT_FILE = "default_looks.toml"
#: What a look score says, for the page, the docs and the threshold warnings.
SCORE_MEANING = {0.6: "a photographer would take this", 0.9: "a textbook example"}
#: A threshold within this of a look's ceiling is flagged: it would fire only on the rare perfect frame.
CEILING_MARGIN = 0.05


@dataclass(frozen=True)
class Term:
    signal: str
    weight: float
    low: float = 0.0
    high: float = 1.0
    hint: str = ""

    def value(self, signals: dict[str, float]) -> float:
        x = signals.get(self.signal, 0.0)
        return min(1.0, max(0.0, (x - self.low) / (self.high - self.low)))


@dataclass(frozen=True)
class Gate:
    signal: str
    min: float | None = None
    max: float | None = None
    cap: float = 0.0
    hint: str = ""

    def passes(self, signals: dict[str, float]) -> bool:
        x = signals.get(self.signal, 0.0)
        return (self.min is None or x >= self.min) and (self.max is None or x <= self.max)


@dataclass(frozen=True)
class Recipe:
    name: str
    title: str
    scenario: str
    terms: tuple[Term, ...]
    gates: tuple[Gate, ...] = ()
    #: None: the blend form; a number: the logistic form's intercept (learned looks).
    bias: float | None = None
    #: The blend form's weighted sum of a textbook example; None = the sum of the positive weights.
    full: float | None = None

    def _combine(self, total: float) -> float:
        """The score of ``total`` = sum(weight * term value), by the recipe's form."""
        if self.bias is not None:
            z = self.bias + total
            return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0
        full = self.full or sum(t.weight for t in self.terms if t.weight > 0) or 1.0
        return min(1.0, max(0.0, total / full))

    def score(self, signals: dict[str, float]) -> float:
        score = self._combine(sum(t.weight * t.value(signals) for t in self.terms))
        for gate in self.gates:
            if not gate.passes(signals):
                score = min(score, gate.cap)
        return score

    def signals(self) -> frozenset[str]:
        """Every signal the recipe reads (its terms and its gates)."""
        return frozenset({t.signal for t in self.terms} | {g.signal for g in self.gates})

    def ceiling(self) -> float:
        """The highest score this recipe can give on any face: each signal set, within its range and the
        gates on it, to the value its terms like best.

        Signals are taken as independent (``smile`` and ``warm_smile`` move together on a real face), so
        this is an upper bound: a look whose ceiling is under a threshold can never fire, and one close
        under it fires only on a perfect frame.
        """
        total = 0.0
        for name in {t.signal for t in self.terms}:
            terms = [t for t in self.terms if t.signal == name]
            gates = [g for g in self.gates if g.signal == name]
            low, high = signal_range(name)
            candidates = {low, high} | {v for t in terms for v in (t.low, t.high)}
            candidates |= {v for g in gates for v in (g.min, g.max) if v is not None}
            allowed = [x for x in candidates if low <= x <= high and all(g.passes({name: x}) for g in gates)]
            total += max((sum(t.weight * t.value({name: x}) for t in terms) for x in allowed), default=0.0)
        best = self._combine(total)
        for gate in self.gates:
            low, high = signal_range(gate.signal)
            if not ((gate.min is None or gate.min <= high) and (gate.max is None or gate.max >= low)):
                best = min(best, gate.cap)  # a gate no face can pass
        return best

    def shortfall(self, signals: dict[str, float]) -> str:
        """The hint of the single change that would raise the score most (failed gates first)."""
        for gate in self.gates:
            if not gate.passes(signals) and gate.hint:
                return gate.hint
        gaps = [
            (abs(t.weight) * ((1 - t.value(signals)) if t.weight > 0 else t.value(signals)), t.hint)
            for t in self.terms
            if t.hint
        ]
        best = max(gaps, default=(0.0, ""))
        return best[1] if best[0] > 0.05 else ""


@dataclass(frozen=True)
class DeadGazeRecipe:
    threshold: float
    stillness: float
    window_seconds: float
    recipe: Recipe


@dataclass(frozen=True)
class LookBook:
    """Every look by name, plus the dead-gaze recipe."""

    looks: dict[str, Recipe]
    dead_gaze: DeadGazeRecipe

    def reads_emotions(self) -> bool:
        """Whether any look or the dead-gaze recipe reads what the emotion model gives: an ``emotion.*``
        signal, or one derived from it (:data:`booth.looks.signals.FROM_EMOTIONS`). If none does, the
        booth skips the model (about 0.5 ms a frame here) but on a raised mouth, where the smile call
        reads it (:func:`booth.looks.smile.reads_emotions`)."""
        read = set().union(*(r.signals() for r in (*self.looks.values(), self.dead_gaze.recipe)))
        return any(name.startswith("emotion.") or name in FROM_EMOTIONS for name in read)


def _line_of(text: str, pattern: str, after: int = 0) -> int:
    """1-based line of the first match of ``pattern`` at or after line ``after`` (0 if none)."""
    offset = 0 if after <= 1 else sum(len(line) + 1 for line in text.split("\n")[: after - 1])
    match = re.compile(pattern, flags=re.MULTILINE).search(text, offset)
    return text.count("\n", 0, match.start()) + 1 if match else after


def _fail(source: str, line: int, message: str) -> ConfigError:
    return ConfigError(f"{source}:{line}: {message}")


#: What :func:`_build` makes from one TOML table.
_Part = TypeVar("_Part", Term, Gate)


def _build(
    kind: type[_Part], entry: object, source: str, text: str, look: str, header: int, allowed: set[str]
) -> _Part:
    """A Term or Gate from its TOML table, or a ConfigError naming the line."""
    if not isinstance(entry, dict):
        raise _fail(source, header, f"{look}: each term and gate is a table {{ signal = ..., weight = ... }}")
    where = _line_of(text, rf"signal\s*=\s*\"{re.escape(str(entry.get('signal')))}\"", header)
    unknown = set(entry) - allowed
    if unknown:
        field = sorted(unknown)[0]
        raise _fail(source, where, f"{look}: unknown field {field!r}; allowed: {', '.join(sorted(allowed))}")
    signal = entry.get("signal")
    if signal not in known_signals():
        import difflib

        close = difflib.get_close_matches(str(signal), sorted(known_signals()), n=1)
        fix = f"did you mean {close[0]!r}?" if close else "see booth/looks/signals.py for the names"
        raise _fail(source, where, f"{look}: unknown signal {signal!r}; {fix}")
    numbers = {k: v for k, v in entry.items() if k not in ("signal", "hint")}
    for key, value in numbers.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise _fail(source, where, f"{look}: {key} must be a number, got {value!r}")
    if kind is Term:
        if "weight" not in entry:
            raise _fail(source, where, f"{look}: term on {signal!r} lacks a weight; add weight = 1.0")
        if not -20 <= entry["weight"] <= 20 or entry["weight"] == 0:
            raise _fail(source, where, f"{look}: weight {entry['weight']} must be non-zero, within -20..20")
        if entry.get("high", 1.0) <= entry.get("low", 0.0):
            raise _fail(source, where, f"{look}: high must be greater than low for {signal!r}")
    if kind is Gate and entry.get("min") is None and entry.get("max") is None:
        raise _fail(source, where, f"{look}: gate on {signal!r} needs min or max")
    if kind is Gate and not 0 <= entry.get("cap", 0.0) < 1:
        raise _fail(
            source, where, f"{look}: gate cap {entry['cap']} must be in 0..1 (below 1, or it caps nothing)"
        )
    return kind(signal=signal, hint=entry.get("hint", ""), **{k: float(v) for k, v in numbers.items()})


def _recipe(name: str, table: dict, source: str, text: str) -> Recipe:
    header = _line_of(text, rf"^\[(look\.)?{re.escape(name)}\]")
    if "threshold" in table:
        raise _fail(
            source,
            _line_of(text, r"^\s*threshold\b", header),
            f"look {name!r}: thresholds are booth settings, one per look; set [policy] thresholds = "
            f"{{ {name} = 0.6 }} in the booth config (or on the operator page) instead",
        )
    allowed = {"title", "scenario", "term", "gate", "bias", "full"}
    unknown = set(table) - allowed
    if unknown:
        field = sorted(unknown)[0]
        raise _fail(
            source, header, f"look {name!r}: unknown field {field!r}; allowed: {', '.join(sorted(allowed))}"
        )
    for required in ("scenario", "term"):
        if required not in table:
            raise _fail(source, header, f"look {name!r} lacks {required!r}; add it (see default_looks.toml)")
    terms = tuple(
        _build(Term, e, source, text, name, header, {"signal", "weight", "low", "high", "hint"})
        for e in table["term"]
    )
    gates = tuple(
        _build(
            Gate,
            e,
            source,
            text,
            name,
            _line_of(text, r"^\s*gate\b", header),
            {"signal", "min", "max", "cap", "hint"},
        )
        for e in table.get("gate", [])
    )
    if not terms:
        raise _fail(source, header, f"look {name!r} has no terms; add at least one")
    bias, full = (_number(table, key, source, text, name, header, limit) for key, limit in BOUNDS.items())
    if bias is not None and full is not None:
        raise _fail(source, header, f"look {name!r}: give bias (a learned look) or full (a blend), not both")
    return Recipe(
        name, str(table.get("title", name.title())), str(table["scenario"]), terms, gates, bias, full
    )


#: The look-level numbers and their bounds (``full`` must also be above 0).
BOUNDS = {"bias": (-50.0, 50.0), "full": (0.01, 50.0)}


def _number(
    table: dict, key: str, source: str, text: str, look: str, header: int, limit: tuple[float, float]
) -> float | None:
    """The look-level number ``key`` of ``table`` (None if absent), or a ConfigError naming its line."""
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not limit[0] <= value <= limit[1]:
        line = _line_of(text, rf"^\s*{key}\b", header)
        raise _fail(source, line, f"look {look!r}: {key} must be a number in {limit[0]:g}..{limit[1]:g}")
    return float(value)


def parse(text: str, source: str = "<looks>") -> tuple[dict[str, Recipe], DeadGazeRecipe | None]:
    """Parse one looks file; every mistake is a :class:`ConfigError` naming file, line and fix."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: not valid TOML ({err})") from None
    unknown = set(data) - {"look", "dead_gaze"}
    if unknown:
        key = sorted(unknown)[0]
        raise _fail(
            source, _line_of(text, rf"^\[?{re.escape(key)}"), f"unknown section {key!r}; use [look.NAME]"
        )
    sections = {"look": data.get("look", {}), "dead_gaze": data.get("dead_gaze", {})}
    for key, value in sections.items():
        if not isinstance(value, dict) or (
            key == "look" and not all(isinstance(v, dict) for v in value.values())
        ):
            line = _line_of(text, rf"^\[?{key}")
            raise _fail(source, line, f"{key} must be tables like [{key}.NAME] (see default_looks.toml)")
    looks = {name: _recipe(name, table, source, text) for name, table in sections["look"].items()}
    dead = None
    if "dead_gaze" in data:
        table = dict(data["dead_gaze"])
        header = _line_of(text, r"^\[dead_gaze\]")
        numbers = {
            "threshold": (0.6, 0.0, 1.0),
            "stillness": (0.006, 0.0, 1.0),
            "window_seconds": (1.0, 0.1, 10.0),
        }
        values = {}
        for key, (default, low, high) in numbers.items():
            value = table.pop(key, default)
            if isinstance(value, bool) or not isinstance(value, int | float) or not low < value <= high:
                raise _fail(
                    source, header, f"dead_gaze: {key} must be a number in {low}..{high}, got {value!r}"
                )
            values[key] = float(value)
        table.setdefault("scenario", "")
        dead = DeadGazeRecipe(**values, recipe=_recipe("dead_gaze", table, source, text))
    return looks, dead


def load(extra: Path | str | None = None) -> LookBook:
    """The shipped looks, then the operator's file (adding looks or replacing them by name)."""
    text = resources.files("booth.looks").joinpath(DEFAULT_FILE).read_text()
    looks, dead = parse(text, DEFAULT_FILE)
    if extra is not None:
        path = Path(extra)
        try:
            more_text = path.read_text()
        except OSError as err:
            raise ConfigError(f"{path}: cannot read the looks file ({err.strerror}); fix the path") from None
        more, more_dead = parse(more_text, str(path))
        looks.update(more)
        dead = more_dead or dead
    assert dead is not None, "default_looks.toml defines [dead_gaze]"
    return LookBook(looks, dead)

"""Look recipes as data: load, validate, score.

A recipe is a weighted sum of terms over named signals (see :mod:`booth.looks.signals`), each mapped
linearly from ``low`` (0) to ``high`` (1) and clipped, normalised by the sum of the positive weights and
clipped to 0..1; negative weights take away. A gate that fails caps the score at its ``cap`` (default 0).
The defaults ship in ``default_looks.toml``; an operator's file adds looks or replaces them by name.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

from booth.errors import ConfigError
from booth.looks.signals import known_signals

DEFAULT_FILE = "default_looks.toml"


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

    def score(self, signals: dict[str, float]) -> float:
        positive = sum(t.weight for t in self.terms if t.weight > 0) or 1.0
        raw = sum(t.weight * t.value(signals) for t in self.terms) / positive
        score = min(1.0, max(0.0, raw))
        for gate in self.gates:
            if not gate.passes(signals):
                score = min(score, gate.cap)
        return score

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
        if not -10 <= entry["weight"] <= 10 or entry["weight"] == 0:
            raise _fail(source, where, f"{look}: weight {entry['weight']} must be non-zero, within -10..10")
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
    allowed = {"title", "scenario", "term", "gate"}
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
    return Recipe(name, str(table.get("title", name.title())), str(table["scenario"]), terms, gates)


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

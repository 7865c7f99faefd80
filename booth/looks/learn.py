"""Teaching a look by example: a recipe fitted to frames the studio says show it, and frames that don't.

No public data set labels headshot looks, so a studio defines its own: ``booth looks learn`` and the
operator page's "Teach a look" both come here with the booth's own signals of each example (already made
relative to the sitter's rest, as the scorer makes them), and get back an ordinary
:class:`~booth.looks.recipes.Recipe` in the logistic form, readable and editable like any other.

How, in numpy only:

1. **Terms.** Every candidate signal (:data:`CANDIDATES`: the derived expressions, the blendshapes they
   do not carry, emotions, head tilt and level) is mapped 0..1 between its 5th and 95th percentile over
   all the examples, the same clipped linear term every recipe uses. Signals that do not move are dropped.
2. **Selection.** The signals that separate the two sets most are kept: the difference of their means
   in the signal's own units (0..1, or :data:`UNITS`) over the pooled spread, so a cue that moves a lot
   (the smile, 0 to 0.9) beats one that moves a little but consistently in this one sitter (a brow
   dropping 0.15 as he smiles), which would not carry to the next sitter. At most :data:`MAX_TERMS` are
   kept, each separating the sets by at least :data:`MIN_TERM_SEPARATION`, skipping any that moves with one
   already kept (correlation above :data:`MAX_CORRELATION`), so the recipe reads as a few distinct cues.
3. **Fit.** L2-regularised logistic regression by Newton's method on the kept terms, the two classes
   weighted equally, so the score is the fitted probability that the face shows the look.
4. **Gates.** When every positive is smiling (the booth's smile call), the look gates on ``smiling``; when
   none is, it gates against it: a learned look must not fire on the wrong mouth.
5. **Honesty.** Accuracy is cross-validated in contiguous blocks of each set (neighbouring video frames
   are near copies, so random folds would flatter it), with selection and fit redone in every fold.

Too few examples, or two sets the booth cannot tell apart, are refused with a one-line
:class:`LearnError` saying what to record instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from booth.errors import BoothError, ConfigError
from booth.looks.recipes import Gate, Recipe, Term
from booth.vision.blendshapes import NAMES as BLENDSHAPES
from booth.vision.emotion import NAMES as EMOTIONS

#: Fewest examples with a face on each side.
MIN_EXAMPLES = 5
#: Most terms a learned recipe keeps (a photographer should be able to read it).
MAX_TERMS = 5
#: Two signals moving together more than this count as one cue.
MAX_CORRELATION = 0.9
#: The L2 penalty on the term weights (not the bias), against the class-balanced mean log loss: small
#: enough that a clear example scores 0.9 or more, large enough that separable sets keep finite weights.
L2 = 0.002
#: Signals not in 0..1 units, and their unit for the separation (degrees of tilt).
UNITS = {"head.tilt": 15.0}
#: Share of the positives that must be smiling (or not) for a learned look to gate on the smile call.
GATE_SHARE = 0.9
#: Below this separation (difference of means over pooled spread) on every signal, the sets look alike.
MIN_SEPARATION = 1.0
#: A signal separating the sets by less than this is not kept as a term: it is more likely this
#: sitter's quirk than a cue of the look.
MIN_TERM_SEPARATION = 1.0
#: Below this cross-validated accuracy the recipe is not written.
MIN_CV_ACCURACY = 0.7
#: Most cross-validation folds.
FOLDS = 5

_DERIVED = (
    "smile", "smile_asymmetry", "squint", "cheek_squint", "eye_wide", "brow_down",
    "brow_inner_up", "brow_outer_up", "brow_raise", "mouth_press", "jaw_open", "mouth_soft",
)  # fmt: skip
#: Blendshapes a derived signal already carries (the mean of a pair, or the same value renamed).
_CARRIED = (
    "mouthSmileLeft", "mouthSmileRight", "eyeSquintLeft", "eyeSquintRight", "cheekSquintLeft",
    "cheekSquintRight", "eyeWideLeft", "eyeWideRight", "eyeBlinkLeft", "eyeBlinkRight", "browDownLeft",
    "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "mouthPressLeft",
    "mouthPressRight", "jawOpen",
)  # fmt: skip
#: The signals a learned look may use: the booth's derived signals, then the blendshapes none of them
#: carries. The gaze, blinks and eye openness are left out: whether the eyes are open and on the lens is
#: the eye state's and the verdict's business, for every look alike (a look learned from open-eyed
#: examples against shut-eyed ones would otherwise learn "eyes open" and fire on any open-eyed face).
CANDIDATES: tuple[str, ...] = (
    _DERIVED
    + tuple(n for n in BLENDSHAPES if not n.startswith(("_", "eyeLook")) and n not in _CARRIED)
    + tuple(f"emotion.{n}" for n in EMOTIONS)
    + ("head.tilt", "head.level")
)


#: A look's name: a TOML bare key and an id the operator page can use.
NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")


def check_name(name: object) -> str:
    """The look name, or a one-line :class:`ConfigError` saying what a name may hold."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ConfigError(
            f"look name {name!r}: use lower-case letters, digits, _ or -, starting with a letter "
            "(at most 40 characters)"
        )
    return name


class LearnError(BoothError, ValueError):
    """The examples cannot teach a look (too few, or indistinguishable); the message says what to give."""


@dataclass(frozen=True)
class Learned:
    """A fitted look and the evidence behind it."""

    recipe: Recipe
    positives: int
    negatives: int
    cv_accuracy: float
    folds: int
    #: Each kept signal and its separation (difference of means over pooled spread), strongest first.
    separations: tuple[tuple[str, float], ...]

    def summary(self) -> str:
        """The line ``booth looks learn`` prints."""
        return (
            f"learn: positives={self.positives} negatives={self.negatives} cv_accuracy={self.cv_accuracy:.2f}"
        )


@dataclass(frozen=True)
class _Model:
    names: tuple[str, ...]
    lows: np.ndarray
    highs: np.ndarray
    weights: np.ndarray
    bias: float
    separations: tuple[tuple[str, float], ...]

    def predict(self, x: np.ndarray, columns: Sequence[str]) -> np.ndarray:
        idx = [list(columns).index(n) for n in self.names]
        terms = np.clip((x[:, idx] - self.lows) / (self.highs - self.lows), 0.0, 1.0)
        return 1.0 / (1.0 + np.exp(-(self.bias + terms @ self.weights)))


def _matrix(examples: Sequence[Mapping[str, float]]) -> np.ndarray:
    return np.array([[float(e.get(n, 0.0)) for n in CANDIDATES] for e in examples], dtype=np.float64)


_UNIT = np.array([UNITS.get(n, 1.0) for n in CANDIDATES])


def _separation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per signal: difference of the class means over the pooled spread (plus 0.05), in signal units."""
    u = x / _UNIT
    pos, neg = u[y == 1], u[y == 0]
    spread = np.sqrt((pos.var(axis=0) + neg.var(axis=0)) / 2) + 0.05
    return np.abs(pos.mean(axis=0) - neg.mean(axis=0)) / spread


def _logistic(t: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Weights and bias of a class-balanced, L2-penalised logistic regression (Newton's method)."""
    n, k = t.shape
    a = np.hstack([t, np.ones((n, 1))])
    balance = np.where(y == 1, 0.5 / max(1, int(y.sum())), 0.5 / max(1, int((1 - y).sum())))
    penalty = np.full(k + 1, l2)
    penalty[-1] = 0.0
    w = np.zeros(k + 1)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -30, 30)))
        grad = a.T @ (balance * (p - y)) + penalty * w
        hess = (a * (balance * p * (1 - p))[:, None]).T @ a + np.diag(penalty) + 1e-9 * np.eye(k + 1)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return w[:-1], float(w[-1])


def _fit(x: np.ndarray, y: np.ndarray, l2: float) -> _Model:
    lows = np.percentile(x, 5, axis=0)
    highs = np.percentile(x, 95, axis=0)
    moving = highs - lows >= 0.02
    spans = np.where(moving, highs - lows, 1.0)
    t = np.clip((x - lows) / spans, 0.0, 1.0)
    sep = np.where(moving, _separation(x, y), 0.0)
    chosen: list[int] = []
    for j in np.argsort(-sep):
        if sep[j] < MIN_TERM_SEPARATION or len(chosen) == MAX_TERMS:
            break
        column = t[:, j]
        if column.std() == 0 or any(
            abs(float(np.corrcoef(column, t[:, c])[0, 1])) > MAX_CORRELATION for c in chosen
        ):
            continue
        chosen.append(int(j))
    if not chosen:
        chosen = [int(np.argmax(sep))]
    weights, bias = _logistic(t[:, chosen], y, l2)
    names = tuple(CANDIDATES[j] for j in chosen)
    return _Model(
        names,
        lows[chosen],
        lows[chosen] + spans[chosen],
        weights,
        bias,
        tuple((CANDIDATES[j], float(sep[j])) for j in chosen),
    )


def _blocks(count: int, folds: int) -> np.ndarray:
    """Fold number of each of ``count`` examples in order: ``folds`` contiguous blocks."""
    return np.minimum((np.arange(count) * folds) // max(1, count), folds - 1)


def cross_validate(x: np.ndarray, y: np.ndarray, folds: int, l2: float = L2) -> float:
    """Accuracy on held-out contiguous blocks, refitting everything per fold."""
    fold = np.empty(len(y), dtype=int)
    for label in (0, 1):
        where = np.flatnonzero(y == label)
        fold[where] = _blocks(len(where), folds)
    right = 0
    for k in range(folds):
        test = fold == k
        model = _fit(x[~test], y[~test], l2)
        right += int(((model.predict(x[test], CANDIDATES) >= 0.5) == (y[test] == 1)).sum())
    return right / len(y)


def _learnable(x: np.ndarray, y: np.ndarray, folds: int) -> float:
    """The cross-validated accuracy, or a :class:`LearnError` when the sets look alike or the accuracy is
    too low to trust."""
    spans = np.percentile(x, 95, axis=0) - np.percentile(x, 5, axis=0)
    separation = np.where(spans >= 0.02, _separation(x, y), 0.0)
    best = int(np.argmax(separation))
    if separation[best] < MIN_SEPARATION:
        raise LearnError(
            f"the positive and negative examples look alike to the booth (the clearest difference, "
            f"{CANDIDATES[best]}, separates them by only {separation[best]:.2f}); record the look held "
            "clearly, and its negatives without it"
        )
    accuracy = cross_validate(x, y, folds)
    if accuracy < MIN_CV_ACCURACY:
        raise LearnError(
            f"the look cannot be told apart reliably (cross-validated accuracy {accuracy:.2f}, under "
            f"{MIN_CV_ACCURACY}); give more, and more different, examples"
        )
    return accuracy


def learn(
    name: str,
    positives: Sequence[Mapping[str, float]],
    negatives: Sequence[Mapping[str, float]],
    *,
    title: str | None = None,
    scenario: str = "",
    hints: Mapping[str, str] | None = None,
) -> Learned:
    """Fit the look ``name`` to the signals of its positive and negative examples, in the order recorded
    (that order makes the cross-validation blocks). ``hints`` by signal come from the shipped looks."""
    if len(positives) < MIN_EXAMPLES or len(negatives) < MIN_EXAMPLES:
        side, count = (
            ("positive", len(positives)) if len(positives) < MIN_EXAMPLES else ("negative", len(negatives))
        )
        raise LearnError(
            f"only {count} {side} example(s) with a face; give at least {MIN_EXAMPLES} "
            "(more photos, or a longer frame range)"
        )
    x = np.vstack([_matrix(positives), _matrix(negatives)])
    y = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))])
    folds = min(FOLDS, len(positives), len(negatives))
    accuracy = _learnable(x, y, folds)
    model = _fit(x, y, L2)
    hints = hints or {}
    terms = tuple(
        Term(
            signal,
            round(float(w), 2) or (0.01 if w > 0 else -0.01),
            round(float(low), 3),
            max(round(float(high), 3), round(float(low), 3) + 0.001),
            hints.get(signal, "") if w > 0 else "",
        )
        for signal, w, low, high in zip(model.names, model.weights, model.lows, model.highs, strict=True)
    )
    smiling = float(np.mean([float(e.get("smiling", 0.0)) > 0.5 for e in positives]))
    gates: tuple[Gate, ...] = ()
    if smiling >= GATE_SHARE:
        gates = (Gate("smiling", min=0.5, hint=hints.get("smiling", "Smile")),)
    elif smiling <= 1 - GATE_SHARE:
        gates = (Gate("smiling", max=0.5, hint="Relax your mouth: no smile for this one"),)
    recipe = Recipe(
        name,
        title or name.replace("_", " ").title(),
        scenario or f"Show us your {name.replace('_', ' ')} look.",
        terms,
        gates,
        bias=round(model.bias, 2),
    )
    return Learned(recipe, len(positives), len(negatives), accuracy, folds, model.separations)


@dataclass(frozen=True)
class Provenance:
    """Where a fit's examples came from, in words, for the comment above the look in its file."""

    by: str  # "`booth looks learn grin`", 'the operator page ("Teach a look")'
    how: str  # "example frames", "recorded takes", "marked photos"
    positives: str
    negatives: str
    rest: str
    skipped: str


def comment(learned: Learned, source: Provenance, today: dt.date | None = None) -> str:
    """The comment above a learned look: how, from what, when, and how well it was learned."""
    kept = ", ".join(f"{name} ({sep:.1f})" for name, sep in learned.separations)
    day = (today or dt.date.today()).isoformat()
    return "\n".join(
        [
            f"Learned by {source.by} from {source.how} on {day}: L2-regularised logistic regression",
            "over the booth's signals,",
            f"read against {source.rest}.",
            f"Positives ({learned.positives} examples): {source.positives}.",
            f"Negatives ({learned.negatives} examples): {source.negatives}.",
            f"Examples without a face, skipped: {source.skipped}. Kept terms (separation): {kept}.",
            f"Cross-validated accuracy {learned.cv_accuracy:.2f} over {learned.folds} contiguous folds.",
            "The score is the fitted probability of the look: 0.6 a photographer would take it, 0.9 a",
            "textbook example. Edit the weights freely; re-learn to refit.",
        ]
    )


def hints_by_signal(recipes: Sequence[Recipe]) -> dict[str, str]:
    """The first hint each signal has in ``recipes`` (the shipped looks), for the learned terms."""
    hints: dict[str, str] = {}
    for recipe in recipes:
        parts: list[Term | Gate] = [*recipe.terms, *recipe.gates]
        for part in parts:
            if part.hint and part.signal not in hints and (not isinstance(part, Term) or part.weight > 0):
                hints[part.signal] = part.hint
    return hints

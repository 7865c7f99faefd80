"""Looks: headshot expressions scored from face readings, against each sitter's baseline.

Pure (dataclasses in and out). Recipes are data: ``default_looks.toml`` here, extended by the operator's
file. See :mod:`booth.looks.engine` for the baseline, smoothing, verdict and dead-gaze rules, and
:mod:`booth.looks.thresholds` for which score each look must reach.
"""

from booth.looks.calibration import Calibration, LensCalibration
from booth.looks.engine import Baseline, LookResult, LookScorer, Verdict
from booth.looks.recipes import LookBook, Recipe, load
from booth.looks.thresholds import Thresholds

__all__ = [
    "Baseline",
    "Calibration",
    "LensCalibration",
    "LookBook",
    "LookResult",
    "LookScorer",
    "Recipe",
    "Thresholds",
    "Verdict",
    "load",
]

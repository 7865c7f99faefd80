"""Looks: headshot expressions scored from face readings, against each sitter's baseline.

Pure (dataclasses in and out). Recipes are data: ``default_looks.toml`` here, extended by the operator's
file. See :mod:`booth.looks.engine` for the baseline, smoothing, verdict and dead-gaze rules.
"""

from booth.looks.engine import Baseline, LookResult, LookScorer, Verdict
from booth.looks.recipes import LookBook, Recipe, load

__all__ = ["Baseline", "LookBook", "LookResult", "LookScorer", "Recipe", "Verdict", "load"]

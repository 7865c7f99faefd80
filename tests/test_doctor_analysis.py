"""The doctor's analysis check (booth/doctor/analysis.py) on the real models and runtime; only the clock is
replaced, where a slow CPU is the point."""

from __future__ import annotations

import itertools

from booth import assets
from booth.config import VisionSettings
from booth.doctor.analysis import MODELS_SHARE, check_analysis
from booth.errors import ModelError
from booth.service.pace import BUDGET_FPS

BUDGET_MS = 1000.0 / BUDGET_FPS


def ticking(ms_per_invoke: float):
    """A clock that advances ``ms_per_invoke`` between each start and end of an invoke."""
    counter = itertools.count()
    return lambda: next(counter) * ms_per_invoke / 1000


def test_the_real_models_fit_the_budget_on_this_machine_and_are_each_named():
    result = check_analysis(VisionSettings(threads=1))
    assert result.ok and not result.warn, result
    assert "(1 interpreter thread)" in result.detail
    assert all(part in result.detail for part in ("FaceMesh v2", "blendshapes", "emotion"))
    assert "crop and geometry not counted" in result.detail


def test_without_the_emotion_model_it_is_not_timed():
    result = check_analysis(VisionSettings(threads=1, emotions=False))
    assert result.ok and "emotion" not in result.detail


def test_models_slower_than_the_budget_fail_with_the_cpu_fix():
    # Three models, each timed at a third of the budget plus a little: over it together.
    result = check_analysis(VisionSettings(threads=1), clock=ticking(BUDGET_MS / 3 + 1))
    assert not result.ok
    assert "too slow for the trigger" in result.fix and "vcgencmd get_throttled" in result.fix


def test_models_near_the_budget_pass_with_a_warning():
    result = check_analysis(VisionSettings(threads=1), clock=ticking((MODELS_SHARE * BUDGET_MS + 3) / 3))
    assert result.ok and result.warn and "little left" in result.fix


def test_a_missing_model_is_a_failure_naming_the_fetch():
    def absent(_vision):
        raise ModelError("models/face_landmarks_detector.tflite: missing; run booth models fetch")

    result = check_analysis(VisionSettings(), load=absent)
    assert not result.ok and "missing" in result.detail and result.fix == assets.FIX_FETCH

"""The doctor's ``analysis`` check: can this CPU run the models of every tracked frame within the budget?

Why beside the ``tflite`` check (which times the face detector alone): the detector runs once per track and
every ``vision.detect_every`` frames, while FaceMesh v2, the blendshape model and the emotion model run on
every frame with a face. Those three are timed here as the booth would load them (``vision.threads``,
``runtime``, ``precision``), on a blank input, one after another. That is a floor on the frame's time, not
all of it: on the development machine they were 0.79-0.81 of the whole analysis (README, "Measured"), the
rest being the crop and the geometry, and with two or more threads the booth overlaps the emotion model
with the blendshapes. The running booth measures the whole and warns the operator when it falls short
(:mod:`booth.service.pace`), which is where the doctor's estimate is confirmed.

The check fails when the models alone cannot reach :data:`~booth.service.pace.BUDGET_FPS`, and warns when
they leave less than a fifth of the frame's budget for the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from booth import assets
from booth.doctor import CheckResult, median_invoke_ms
from booth.errors import BoothError
from booth.service.pace import BUDGET_FPS, CPU_FIX

if TYPE_CHECKING:
    from booth.config import VisionSettings

#: The share of the frame's budget the models may take before the rest (crop, geometry) is at risk.
MODELS_SHARE = 0.8


def per_frame_models(models: Any) -> dict[str, Any]:
    """The runtime models every tracked frame invokes, by name (the emotion model only when loaded)."""
    timed = {"FaceMesh v2": models.landmarks.model, "blendshapes": models.blendshapes.model}
    if models.emotion is not None:
        timed["emotion"] = models.emotion.model
    return timed


def _load(vision: VisionSettings) -> Any:
    from booth.vision import Models, VisionParams  # heavy: only this check needs it

    return Models.load(VisionParams.from_settings(vision))


def check_analysis(
    vision: VisionSettings,
    load: Callable[[VisionSettings], Any] = _load,
    clock: Callable[[], float] = time.perf_counter,
    runs: int = 5,
) -> CheckResult:
    """The per-frame models' median time each, summed, against the frame's budget at the booth's settings."""
    name = "analysis"
    try:
        models = load(vision)
    except ImportError as err:  # no runtime: the tflite check says which and how to install it
        return CheckResult(name, False, str(err).splitlines()[0], "see the tflite line")
    except BoothError as err:
        return CheckResult(name, False, str(err).splitlines()[0], assets.FIX_FETCH)
    try:
        medians = {
            label: median_invoke_ms(model, clock, runs) for label, model in per_frame_models(models).items()
        }
    finally:
        models.close()
    total = sum(medians.values())
    budget = 1000.0 / BUDGET_FPS
    parts = " + ".join(f"{label} {ms:.1f}" for label, ms in medians.items())
    threads = models.landmarks.model.threads
    detail = (
        f"models {total:.1f} ms a frame ({threads} interpreter thread{'s' if threads != 1 else ''}): "
        f"{parts}; the budget is {budget:.1f} ms "
        f"({BUDGET_FPS:g} frames/s), crop and geometry not counted"
    )
    if total > budget:
        return CheckResult(name, False, detail, f"too slow for the trigger: {CPU_FIX}")
    if total > MODELS_SHARE * budget:
        return CheckResult(name, True, detail, f"little left for the rest of the frame: {CPU_FIX}", warn=True)
    return CheckResult(name, True, detail)

"""``booth eval --mesh`` and ``--fp16``: a cheaper way of reading faces held against the shipped one.

Two variants are measured, each against the same pipeline as shipped (FaceMesh v2 on every frame, fp32):

* ``--mesh``: light tracking (:mod:`booth.vision.light_mesh`), accepted only while it reads like v2;
* ``--fp16``: FaceMesh v2 handed over with the fp16 hint (:mod:`booth.vision.model_bytes`). XNNPACK takes
  the hint only on a CPU with fp16 arithmetic (a Pi 5), so elsewhere the two read the same on every frame,
  and the report says so rather than claim a pass that measured nothing.

Four measures:

* landmarks: the mean distance between the two pipelines' 478 points, over the inter-ocular distance (the
  irises' centres, 468 and 473, as v2 reads them), averaged over every frame both saw a face in;
* blendshapes: the mean absolute difference of the 52 scores;
* calls: every labelled frame's face, eyes, engaged, smile and look call (:func:`booth.evaluate.evaluate`
  run both ways), each of which must be the same;
* the trigger: the peak frame of every shot the policy decides on the test clips, for each look of the
  shot list, which must be the same frames.

Full frames are part of a light pipeline's run (a track's first frame and every ``full_every``-th), so
they count in the means as the booth would see them; how many frames were light is reported beside each
figure. The means and the calls are read without the shooter's near-threshold hint (no look is being
shot for); the trigger measure has it, as the booth does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from booth import assets, config, looks
from booth.evaluate import evaluate
from booth.media import MediaSpan, iter_video
from booth.shooting import Shooter
from booth.vision import FacePipeline, Models, VisionParams

#: The acceptance limits (issue 17): landmarks within 1.5 % of the IOD, blendshapes within 0.02.
MAX_LANDMARK_IOD = 0.015
MAX_BLENDSHAPE_MAD = 0.02
CLIPS = ("single_face.mp4", "WolfgangLanger_Pexels.mp4")
LOOKS = ("approachable", "confident", "intense", "vulnerable", "playful")


@dataclass(frozen=True)
class Variant:
    """A way of reading faces, as the vision settings that differ from the shipped ones."""

    name: str  # what the report calls it
    shipped_name: str  # what it calls the shipped pipeline beside it
    settings: dict[str, str]  # vision settings over the shipped ones

    def params(self) -> VisionParams:
        return VisionParams.from_settings(config.VisionSettings.model_validate(self.settings))


LIGHT = Variant("light", "full", {"tracking": "light"})
FP16 = Variant("fp16", "fp32", {"precision": "fp16"})
SHIPPED = Variant("shipped", "shipped", {})


@dataclass(frozen=True)
class ClipParity:
    clip: str
    frames: int  # frames both pipelines found a face in
    light_frames: int  # of those, read by the light mesh
    landmark_iod: float  # mean landmark distance over the IOD
    blendshape_mad: float


@dataclass
class MeshReport:
    variant: Variant = LIGHT
    clips: list[ClipParity] = field(default_factory=list)
    calls_compared: int = 0
    changed_calls: list[str] = field(default_factory=list)
    #: (clip, look) -> (the shipped pipeline's peak frames, the variant's)
    peaks: dict[tuple[str, str], tuple[list[int], list[int]]] = field(default_factory=dict)

    def landmark_iod(self) -> float:
        return _weighted(self.clips, "landmark_iod")

    def blendshape_mad(self) -> float:
        return _weighted(self.clips, "blendshape_mad")

    def changed_peaks(self) -> list[str]:
        a, b = self.variant.shipped_name, self.variant.name
        return [f"{c} {look}: {a} {f}, {b} {v}" for (c, look), (f, v) in self.peaks.items() if f != v]

    def identical(self) -> bool:
        """Both read exactly the same on every frame (for ``fp16``: the CPU did not take the hint)."""
        return bool(self.clips) and all(c.landmark_iod == 0 and c.blendshape_mad == 0 for c in self.clips)

    def passed(self) -> bool:
        return (
            self.landmark_iod() <= MAX_LANDMARK_IOD
            and self.blendshape_mad() <= MAX_BLENDSHAPE_MAD
            and not self.changed_calls
            and not self.changed_peaks()
        )

    def lines(self) -> list[str]:
        out = [f"{'clip':28} {'frames':>6} {'light':>6} {'landmarks %IOD':>15} {'blendshapes MAD':>16}"]
        for c in self.clips:
            out.append(
                f"{c.clip:28} {c.frames:6d} {c.light_frames:6d} {100 * c.landmark_iod:15.2f} "
                f"{c.blendshape_mad:16.4f}"
            )
        out.append(
            f"{'all':28} {sum(c.frames for c in self.clips):6d} {sum(c.light_frames for c in self.clips):6d} "
            f"{100 * self.landmark_iod():15.2f} {self.blendshape_mad():16.4f}"
            f"   (limits {100 * MAX_LANDMARK_IOD:.1f} and {MAX_BLENDSHAPE_MAD})"
        )
        if self.identical():
            why = ": this CPU has no fp16 arithmetic, so nothing was measured" if self.variant is FP16 else ""
            out.append(f"{self.variant.name} read exactly as {self.variant.shipped_name} on every frame{why}")
        out.append(f"labelled calls: {len(self.changed_calls)} of {self.calls_compared} changed")
        out += [f"changed: {line}" for line in self.changed_calls]
        fires = sum(len(f) for f, _ in self.peaks.values())
        out.append(
            f"trigger peaks: {len(self.changed_peaks())} of {len(self.peaks)} clip-looks changed "
            f"({fires} fires)"
        )
        out += [f"changed: {line}" for line in self.changed_peaks()]
        out.append(
            f"{self.variant.name}: landmarks_iod_pct={100 * self.landmark_iod():.2f} "
            f"blendshape_mad={self.blendshape_mad():.4f} "
            f"changed_calls={len(self.changed_calls)} changed_peaks={len(self.changed_peaks())} "
            f"{'PASS' if self.passed() else 'FAIL'}"
        )
        return out


def _weighted(clips: list[ClipParity], name: str) -> float:
    frames = sum(c.frames for c in clips)
    return sum(getattr(c, name) * c.frames for c in clips) / frames if frames else float("nan")


@dataclass(frozen=True)
class Side:
    """One of the two pipelines compared: its settings and the models it reads with."""

    variant: Variant
    models: Models

    def pipeline(self) -> FacePipeline:
        return FacePipeline(self.models, self.variant.params())


def sides(variant: Variant) -> tuple[Side, Side]:
    """The shipped pipeline and ``variant``, sharing models where the variant loads the same ones."""
    params = variant.params()
    variant_models = Models.load(params)
    if params.precision == SHIPPED.params().precision:  # light: the same v2, plus the light mesh
        return Side(SHIPPED, variant_models), Side(variant, variant_models)
    return Side(SHIPPED, Models.load(SHIPPED.params())), Side(variant, variant_models)


def landmark_distance(reference: np.ndarray, other: np.ndarray) -> float:
    """The mean distance between two reads' 478 points over the IOD (the irises' centres in ``reference``)."""
    iod = float(np.linalg.norm(reference[468, :2] - reference[473, :2]))
    return float(np.linalg.norm(reference[:, :2] - other[:, :2], axis=1).mean()) / iod


def compare_clip(clip: str, shipped: Side, variant: Side) -> ClipParity:
    """Both pipelines over every frame of ``clip``, side by side (each tracks on its own)."""
    a_pipe, b_pipe = shipped.pipeline(), variant.pipeline()
    errors, mads, light_frames = [], [], 0
    for frame in iter_video(assets.media_path(clip)):
        a, b = a_pipe.analyze(frame.pixels), b_pipe.analyze(frame.pixels)
        if not a or not b:
            continue
        ra, rb = a[0], b[0]
        errors.append(landmark_distance(ra.landmarks, rb.landmarks))
        mads.append(float(np.mean([abs(ra.blendshapes[k] - rb.blendshapes[k]) for k in ra.blendshapes])))
        light_frames += rb.mesh == "light"
    return ClipParity(clip, len(errors), light_frames, float(np.mean(errors)), float(np.mean(mads)))


def trigger_peaks(clip: str, look: str, side: Side, book: looks.LookBook) -> list[int]:
    """The peak frame of every shot the booth's default policy decides on ``clip`` for ``look``."""
    settings = config.Settings.model_validate({"vision": side.variant.settings})
    shooter = Shooter.from_settings(settings, book, side.models)
    peaks = []
    for position, frame in enumerate(iter_video(assets.media_path(clip))):
        sequence = frame.index if frame.index is not None else position
        decision = shooter.step(frame.pixels, frame.timestamp, sequence, look, frame.timestamp).decision
        if decision.fire and decision.peak_sequence is not None:
            peaks.append(decision.peak_sequence)
    return peaks


def mesh_report(
    label_files: list[Path],
    calibrate: list[MediaSpan] | None = None,
    variant: Variant = LIGHT,
    compared: tuple[Side, Side] | None = None,
) -> MeshReport:
    """Every measure above, on the clips the labels name (and :data:`CLIPS` for the trigger)."""
    from booth.evaluate import load_labels

    shipped, other = compared or sides(variant)
    report = MeshReport(variant)
    items = [item for path in label_files for item in load_labels(path)]
    clips = sorted({i["media"] for i in items if i["media"].endswith((".mp4", ".mov"))} | set(CLIPS))
    report.clips = [compare_clip(clip, shipped, other) for clip in clips]
    before = evaluate(items, shipped.models, calibrate, vision=shipped.variant.settings).calls
    after = evaluate(items, other.models, calibrate, vision=other.variant.settings).calls
    report.calls_compared = len(before)
    a, b = variant.shipped_name, variant.name
    report.changed_calls = [
        f"{k}: {a} {before[k]}, {b} {after.get(k)}" for k in before if after.get(k) != before[k]
    ]
    book = looks.load()
    for clip in CLIPS:
        for look in LOOKS:
            report.peaks[(clip, look)] = (
                trigger_peaks(clip, look, shipped, book),
                trigger_peaks(clip, look, other, book),
            )
    return report

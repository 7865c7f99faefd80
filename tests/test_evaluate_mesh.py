"""``booth eval --mesh`` and ``--fp16``: a variant held against the shipped pipeline on real clips (no
fakes)."""

from __future__ import annotations

import pytest

from booth import looks
from booth.evaluate_mesh import (
    FP16,
    LIGHT,
    MAX_BLENDSHAPE_MAD,
    MAX_LANDMARK_IOD,
    ClipParity,
    MeshReport,
    compare_clip,
    sides,
    trigger_peaks,
)


@pytest.fixture(scope="module")
def light_sides():
    return sides(LIGHT)


def test_compare_clip_measures_light_against_full_on_every_frame(light_sides):
    shipped, light = light_sides
    assert shipped.models is light.models  # v2 is the same model: loaded once
    parity = compare_clip("single_face.mp4", shipped, light)
    assert parity.frames == 72
    assert 50 <= parity.light_frames <= 62  # a full frame every sixth, and the first
    assert 0 < parity.landmark_iod <= MAX_LANDMARK_IOD
    assert 0 < parity.blendshape_mad <= MAX_BLENDSHAPE_MAD


def test_light_tracking_fires_once_on_the_smile_near_the_full_meshs_peak(light_sides):
    """Not always the same frame (which is why light tracking is not the default: see the README), but
    the same shot within a few frames."""
    book = looks.load()
    shipped, light_side = light_sides
    full = trigger_peaks("single_face.mp4", "approachable", shipped, book)
    assert len(full) == 1 and full[0] > 20  # fires once, after the smile starts
    light = trigger_peaks("single_face.mp4", "approachable", light_side, book)
    assert len(light) == 1 and abs(light[0] - full[0]) <= 3


def test_the_report_fails_on_any_changed_call_or_peak():
    clips = [ClipParity("a.mp4", 10, 8, 0.01, 0.01), ClipParity("b.mp4", 30, 20, 0.005, 0.03)]
    report = MeshReport(clips=clips, calls_compared=5)
    assert report.landmark_iod() == pytest.approx((0.1 + 0.15) / 40)
    assert report.blendshape_mad() == pytest.approx((0.1 + 0.9) / 40)
    assert not report.passed()  # the blendshapes are over the limit
    report.clips = clips[:1]
    assert report.passed()
    report.peaks[("a.mp4", "playful")] = ([408], [407])
    assert not report.passed() and report.changed_peaks() == ["a.mp4 playful: full [408], light [407]"]
    assert report.lines()[-1].endswith("changed_calls=0 changed_peaks=1 FAIL")


def test_fp16_is_compared_with_its_own_models_and_reads_as_fp32_on_this_cpu():
    """On this x86 machine XNNPACK does not take the fp16 hint (no fp16 arithmetic in its build here), so
    the two pipelines read exactly alike, and the report says that nothing was measured rather than
    calling it a pass that means something. On a Pi 5 the same run measures the difference."""
    shipped, fp16 = sides(FP16)
    assert shipped.models is not fp16.models
    assert fp16.models.landmarks.model.fp16 and not shipped.models.landmarks.model.fp16
    parity = compare_clip("single_face.mp4", shipped, fp16)
    assert parity.frames == 72 and parity.light_frames == 0
    assert parity.landmark_iod == 0 and parity.blendshape_mad == 0
    report = MeshReport(FP16, clips=[parity])
    assert report.identical()
    assert any("no fp16 arithmetic, so nothing was measured" in line for line in report.lines())
    assert report.lines()[-1].startswith("fp16: landmarks_iod_pct=0.00")


def test_a_report_with_differences_is_not_called_identical():
    report = MeshReport(FP16, clips=[ClipParity("a.mp4", 10, 0, 0.002, 0.001)])
    assert not report.identical() and report.passed()
    assert not any("nothing was measured" in line for line in report.lines())
    report.changed_calls = ["x.mp4#3 smile: fp32 True, fp16 False"]
    assert not report.passed()

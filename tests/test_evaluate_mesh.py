"""``booth eval --mesh``: the light tracking mesh held against FaceMesh v2 on real clips (no fakes)."""

from __future__ import annotations

import pytest

from booth import looks
from booth.evaluate_mesh import (
    MAX_BLENDSHAPE_MAD,
    MAX_LANDMARK_IOD,
    ClipParity,
    MeshReport,
    compare_clip,
    trigger_peaks,
    vision_params,
)
from booth.vision import Models


@pytest.fixture(scope="module")
def light_models():
    return Models.load(vision_params("light"))


def test_compare_clip_measures_light_against_full_on_every_frame(light_models):
    parity = compare_clip("single_face.mp4", light_models)
    assert parity.frames == 72
    assert 50 <= parity.light_frames <= 62  # a full frame every sixth, and the first
    assert 0 < parity.landmark_iod <= MAX_LANDMARK_IOD
    assert 0 < parity.blendshape_mad <= MAX_BLENDSHAPE_MAD


def test_light_tracking_fires_once_on_the_smile_near_the_full_meshs_peak(light_models):
    """Not always the same frame (which is why light tracking is not the default: see the README), but
    the same shot within a few frames."""
    book = looks.load()
    full = trigger_peaks("single_face.mp4", "approachable", "full", light_models, book)
    assert len(full) == 1 and full[0] > 20  # fires once, after the smile starts
    light = trigger_peaks("single_face.mp4", "approachable", "light", light_models, book)
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

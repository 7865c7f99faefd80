"""``booth eval --fp16`` end to end as a process, on real models and the real test clips (no fakes)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.fixture
def one_label(tmp_path):
    """One labelled still: the comparison still runs both test clips for the trigger's peaks."""
    path = tmp_path / "labels.json"
    item = {"media": "grace_hopper.jpg", "frame": None, "eyes_open": True, "engaged": True, "smile": True}
    path.write_text(json.dumps({"how": "a copy of one tests/data/labels.json item", "items": [item]}))
    return path


def booth(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "booth", "eval", *args], capture_output=True, text=True, timeout=600
    )


def test_fp16_on_this_cpu_reads_as_fp32_and_says_nothing_was_measured(one_label):
    proc = booth("--fp16", str(one_label))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert "fp16 read exactly as fp32 on every frame: this CPU has no fp16 arithmetic" in proc.stdout
    assert "labelled calls: 0 of" in proc.stdout
    assert "trigger peaks: 0 of 10 clip-looks changed" in proc.stdout
    assert lines[-1] == (
        "fp16: landmarks_iod_pct=0.00 blendshape_mad=0.0000 changed_calls=0 changed_peaks=0 PASS"
    )


def test_mesh_and_fp16_are_one_comparison_at_a_time(one_label):
    proc = booth("--mesh", "--fp16", str(one_label))
    assert proc.returncode == 2
    assert "not allowed with argument" in proc.stderr and proc.stderr.count("\n") <= 3

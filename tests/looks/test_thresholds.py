"""Which threshold a look must reach: the one rule the coaching and the trigger share."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys

import pytest

from booth.config import PolicySettings
from booth.looks import Thresholds


def test_a_look_uses_its_own_threshold_else_the_default():
    thresholds = Thresholds(default=0.6, per_look={"approachable": 0.55}, gaze=(7.0, 8.0))
    assert thresholds.for_look("approachable") == 0.55
    assert thresholds.for_look("intense") == 0.6
    assert thresholds.for_look("smize") == 0.6  # an operator's new look, not in the settings


def test_from_settings_reads_the_policy_settings():
    settings = PolicySettings(
        default_threshold=0.7, thresholds={"playful": 0.4}, gaze_horizontal_deg=6, gaze_vertical_deg=9.5
    )
    thresholds = Thresholds.from_settings(settings)
    assert thresholds == Thresholds(default=0.7, per_look={"playful": 0.4}, gaze=(6.0, 9.5))
    assert (
        Thresholds.from_settings(PolicySettings()).for_look("approachable")
        == PolicySettings().default_threshold
    )


def test_thresholds_do_not_follow_later_edits_of_the_settings():
    per_look = {"playful": 0.4}
    thresholds = Thresholds(default=0.6, per_look=per_look, gaze=(7.0, 8.0))
    per_look["playful"] = 0.9
    assert thresholds.for_look("playful") == 0.4
    with pytest.raises(dataclasses.FrozenInstanceError):
        thresholds.default = 0.1


def test_thresholds_copy_and_pickle():
    """A frozen value that is handed between threads and saved in snapshots must survive both."""
    thresholds = Thresholds(default=0.6, per_look={"intense": 0.5}, gaze=(7.0, 8.0))
    assert copy.deepcopy(thresholds) == thresholds
    assert pickle.loads(pickle.dumps(thresholds)) == thresholds


def test_looks_and_vision_import_no_settings():
    """The pure layers take parameter values; only their callers know the pydantic settings."""
    code = (
        "import sys, booth.looks, booth.vision; print(sorted(m for m in sys.modules if m == 'booth.config'))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"

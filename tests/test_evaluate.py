"""`booth eval` on the hand-labelled dev set of real media (tests/data/labels.json)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from booth.errors import ConfigError
from booth.evaluate import Counts, load_labels

LABELS = Path(__file__).parent / "data" / "labels.json"


def test_eval_meets_the_targets_on_the_dev_set():
    proc = subprocess.run(
        [sys.executable, "-m", "booth", "eval", str(LABELS)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"eval: eyes=([\d.]+) engaged=([\d.]+) smile=([\d.]+)", last)
    assert match, last
    eyes, engaged, smile = map(float, match.groups())
    assert eyes >= 0.95 and engaged >= 0.90 and smile >= 0.90
    assert "looks (rows: label, columns: booth's call)" in proc.stdout


def test_labels_cover_each_attribute_both_ways():
    items = load_labels(LABELS)
    for key in ("eyes_open", "engaged", "smile"):
        values = [i[key] for i in items if key in i]
        assert values.count(True) >= 10 and values.count(False) >= 8, key


def test_counts_give_precision_and_recall():
    c = Counts()
    for truth, said in [(True, True), (True, False), (False, True), (False, False), (True, True)]:
        c.add(truth, said)
    assert (c.tp, c.fn, c.fp, c.tn) == (2, 1, 1, 1)
    assert c.accuracy() == pytest.approx(0.6) and c.precision() == pytest.approx(2 / 3)
    assert c.recall() == pytest.approx(2 / 3)


def test_bad_labels_file_is_one_line(tmp_path):
    bad = tmp_path / "labels.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not a labels file"):
        load_labels(bad)

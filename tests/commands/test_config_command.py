"""``booth config check`` reports every error of the files in one run; ``booth config show`` survives a reader
that stops early.

Real TOML files and looks files in a temporary folder, the real command line (in-process, and as a real
process for the pipe); nothing mocked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from booth import cli, config

ROOT = Path(__file__).resolve().parents[2]

SMIZE = (
    '[look.smize]\nscenario = "Imagine you know a secret."\nterm = [{ signal = "squint", weight = 1.0 }]\n'
)


@pytest.fixture
def booth(monkeypatch):
    monkeypatch.delenv("BOOTH_CONFIG", raising=False)
    return lambda *argv: cli.main(list(argv))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_check_reports_every_error_in_one_run_one_line_each(tmp_path, booth, capsys):
    """Wrong values, an unknown key, a pin clash, a number that is not finite, and then (with those keys
    left out) the looks and shot list the file names: all of them, not the first."""
    path = write(
        tmp_path / "booth.toml",
        "[policy]\nmin_frames = 0\ncooldwn_s = 3\n"
        "[policy.thresholds]\nconfidant = 0.5\nintense = 2\n"
        '[session]\nshot_list = "solo"\n[session.per_look.intens]\nshots = 2\n'
        "[storage]\nretention_days = inf\n"
        "[pins]\nshutter = 23\n",
    )
    assert booth("config", "check", str(path)) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert sorted(err.splitlines()) == sorted(
        f"booth: {path}: {line}"
        for line in (
            "policy.thresholds.intense: Input should be less than or equal to 1 (got 2)",
            "policy.min_frames: Input should be greater than or equal to 1 (got 0)",
            "unknown key 'policy.cooldwn_s'; did you mean 'cooldown_s'?",
            "pins: shutter and focus both use GPIO23; give each device its own pin",
            "storage.retention_days: not a finite number (got inf); write a plain number (no inf or nan)",
            "session.shot_list: unknown shot list 'solo'; use one of commercial, full range, theatrical",
            "session.per_look: unknown look 'intens'; did you mean 'intense'?",
            "policy.thresholds: unknown look 'confidant'; did you mean 'confident'?",
        )
    )


def test_a_threshold_for_a_misspelt_look_is_an_error_with_the_nearest_look(tmp_path, booth, capsys):
    """The looks are the shipped ones and the operator's looks file: a name from either passes, a misspelt
    one of either is named with the nearest, in every table keyed by look (thresholds, per_look, lists)."""
    looks_file = write(tmp_path / "looks.toml", SMIZE)
    path = write(
        tmp_path / "booth.toml",
        f'[looks]\nfile = "{looks_file}"\n[policy.thresholds]\nsmize = 0.5\nconfidant = 0.5\n'
        "[session.per_look.smzie]\nshots = 2\n"
        '[session.custom_shot_lists]\neyes = ["smize", "vulnerabel"]\n',
    )
    assert booth("config", "check", str(path)) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"booth: {path}: session.custom_shot_lists: shot list 'eyes': unknown look 'vulnerabel'; "
        "did you mean 'vulnerable'?",
        f"booth: {path}: session.per_look: unknown look 'smzie'; did you mean 'smize'?",
        f"booth: {path}: policy.thresholds: unknown look 'confidant'; did you mean 'confident'?",
    ]


def test_check_with_the_data_folder_checks_the_pages_changes_over_the_base(tmp_path, booth, capsys):
    base = write(tmp_path / "etc" / "booth.toml", "[policy]\nmin_frames = 5\n")
    data = tmp_path / "data"
    changes = write(
        data / config.CHANGES_FILE, "[policy.thresholds]\nconfidant = 0.5\n[vision]\nthreads = -1\n"
    )
    assert booth("config", "check", str(base)) == 0
    assert capsys.readouterr().out == f"OK {base}\n"
    assert booth("config", "check", "--data", str(data), str(base)) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"booth: {changes} (over {base}): vision.threads: Input should be greater than or equal to 0 "
        "(got -1)",
        f"booth: {changes} (over {base}): policy.thresholds: unknown look 'confidant'; did you mean "
        "'confident'?",
    ]
    changes.write_text("[policy.thresholds]\nconfident = 0.5\n")
    assert booth("config", "check", "--data", str(data), str(base)) == 0
    assert capsys.readouterr().out == f"OK {base} + {changes}\n"


def test_a_looks_file_that_does_not_load_is_one_line_after_the_files_own_errors(tmp_path, booth, capsys):
    looks_file = write(tmp_path / "looks.toml", "[look.smize\n")
    path = write(tmp_path / "booth.toml", f'[looks]\nfile = "{looks_file}"\n[camera]\nfps = 0\n')
    assert booth("config", "check", str(path)) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and "camera.fps" in lines[0]
    assert lines[1].startswith(f"booth: {path}: looks.file: {looks_file}: not valid TOML")


def test_a_file_that_is_not_toml_is_one_line(tmp_path, booth, capsys):
    path = write(tmp_path / "booth.toml", "[camera\nfps = 0\n")
    assert booth("config", "check", str(path)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"booth: {path}: not valid TOML")


@pytest.mark.parametrize("argv", [("show", "--json"), ("show",)], ids=["json", "toml"])
def test_show_into_a_closed_pipe_ends_quietly(argv):
    """``booth config show --json | head``: the reader is gone before the booth writes (the read end is
    closed first, so the write always meets a broken pipe, as with a quick ``head``)."""
    read, write_end = os.pipe()
    os.close(read)
    env = {k: v for k, v in os.environ.items() if k != "BOOTH_CONFIG"}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "booth", "config", *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=env,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert proc.stderr == b"" and proc.returncode == 141

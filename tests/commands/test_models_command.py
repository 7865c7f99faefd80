"""`booth models list`, run as a real subprocess: where each model and medium is, and whether verified."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from booth import assets


def booth_models(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "booth", "models", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def rows(stdout: str) -> dict[str, str]:
    """``{path: state}`` from the listing's file lines."""
    found = {}
    for line in stdout.splitlines():
        state, _, rest = line.partition("  ")
        if state.strip() in ("verified", "missing", "bad"):
            found[rest.split()[0]] = state.strip()
    return found


def test_list_media_prints_where_each_medium_is(media):
    proc = booth_models("list", "--media")
    assert proc.returncode == 0, proc.stderr
    listed = rows(proc.stdout)
    clip = media("single_face.mp4")  # the suite's own lookup: fetched and verified
    assert listed[str(clip)] == "verified"
    names = {a.file for a in assets.load_manifest() if a.kind == "media"}
    assert {Path(p).name for p in listed} == names
    assert proc.stdout.splitlines()[0] == f"media folder: {clip.parent} (set BOOTH_CACHE_DIR to move it)"
    assert proc.stdout.splitlines()[-1] == f"media: {len(names)} of {len(names)} verified"


def test_list_media_says_which_are_missing_or_bad_and_the_fix(media, tmp_path):
    """A cache folder of copies with one file gone and one damaged: each says so, and listing still exits 0
    (``verify`` is the check)."""
    folder = tmp_path / "media"
    folder.mkdir()
    names = [a.file for a in assets.load_manifest() if a.kind == "media"]
    for name in names:
        shutil.copyfile(media(name), folder / name)
    (folder / "no_face.mp4").unlink()
    (folder / "grace_hopper.jpg").write_bytes(b"not the photo")
    proc = booth_models("list", "--media", env={"BOOTH_CACHE_DIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    listed = rows(proc.stdout)
    assert listed[str(folder / "no_face.mp4")] == "missing"
    assert listed[str(folder / "grace_hopper.jpg")] == "bad"
    assert listed[str(folder / "single_face.mp4")] == "verified"
    assert proc.stdout.splitlines()[-1] == (
        f"media: {len(names) - 2} of {len(names)} verified; `booth models fetch --media` fetches the rest"
    )
    verify = booth_models("verify", "--media", env={"BOOTH_CACHE_DIR": str(tmp_path)})
    assert verify.returncode == 1


def test_list_models_prints_each_models_path():
    proc = booth_models("list")
    assert proc.returncode == 0, proc.stderr
    listed = rows(proc.stdout)
    models = [a for a in assets.load_manifest() if a.kind == "model"]
    assert listed == {str(a.path()): "verified" for a in models}
    assert "model folder:" in proc.stdout.splitlines()[0]

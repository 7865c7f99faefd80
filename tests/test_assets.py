"""Model and media fetching: checksums enforced, idempotent, one-line errors naming file and fix."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from booth import assets, paths
from booth.errors import ModelError


def test_manifest_lists_every_model_with_provenance():
    models = {a.name: a for a in assets.load_manifest() if a.kind == "model"}
    assert {"face_detector", "face_landmarks", "face_blendshapes", "face_geometry", "emotion"} <= set(models)
    for asset in models.values():
        assert "==" in asset.package and len(asset.sha256) == 64 and asset.licence
        assert "input" in asset.extra and "output" in asset.extra


def test_fetched_models_verify():
    results = assets.verify([a for a in assets.load_manifest() if a.kind == "model"])
    assert [err for _, err in results if err] == []


def test_fetch_is_idempotent_and_offline_once_present(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("fetch must not download when files are present")

    monkeypatch.setattr(assets.subprocess, "run", no_network)
    assert assets.fetch(assets.load_manifest()) == []


@pytest.fixture
def model_copy(tmp_path):
    """A private models folder holding a copy of the real detector model."""
    asset = next(a for a in assets.load_manifest() if a.name == "face_detector")
    shutil.copy(asset.path(), tmp_path / asset.file)
    return asset, tmp_path


def test_truncated_model_is_named_with_the_fix(model_copy):
    asset, folder = model_copy
    path = folder / asset.file
    path.write_bytes(path.read_bytes()[:1000])
    ((_, error),) = assets.verify([asset], models_dir=folder)
    assert str(path) in error and "booth models fetch" in error and "truncated" in error
    assert "\n" not in error


def test_missing_model_is_named_with_the_fix(model_copy, monkeypatch):
    asset, folder = model_copy
    (folder / asset.file).unlink()
    monkeypatch.setenv("BOOTH_MODELS_DIR", str(folder))
    with pytest.raises(ModelError, match="missing; run `booth models fetch`"):
        assets.model_path("face_detector")


def test_fetch_restores_a_corrupt_model_from_the_cached_wheel(model_copy):
    asset, folder = model_copy
    (folder / asset.file).write_bytes(b"corrupt")
    written = assets.fetch([asset], models_dir=folder)
    assert written == [folder / asset.file]
    assert assets.sha256_of(folder / asset.file) == asset.sha256
    assert not list(folder.glob(".*.tmp"))


def test_wrong_checksum_in_manifest_refuses_to_place(model_copy):
    import dataclasses

    asset, folder = model_copy
    (folder / asset.file).unlink()
    wrong = dataclasses.replace(asset, sha256="0" * 64)
    with pytest.raises(ModelError, match=r"fix models/manifest\.toml"):
        assets.fetch([wrong], models_dir=folder)
    assert not (folder / asset.file).exists()


def test_media_cache_is_outside_git():
    assert paths.REPO_ROOT not in paths.media_dir().parents


# `booth models ...` as a user who may not read a model. Root reads any file whatever its mode, so when the
# tests run as root the command drops to nobody, after importing everything it needs while still root.
AS_NOBODY = """
import os, sys
from booth import cli
cli.build_parser()
if os.geteuid() == 0:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
sys.exit(cli.main(["models", ACTION]))
"""


def models_command_as_nobody(action: str, models_dir: Path) -> subprocess.CompletedProcess:
    try:
        nobody = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        pytest.skip("no user nobody to read the models as")
    code = AS_NOBODY.replace("NOBODY", str(nobody)).replace("ACTION", repr(action))
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "BOOTH_MODELS_DIR": str(models_dir)},
    )


@pytest.mark.parametrize(("action", "code"), [("verify", 1), ("fetch", 2)])
def test_an_unreadable_model_is_one_line_with_its_mode_and_fix_not_a_traceback(shared_models, action, code):
    path = shared_models / "face_detector.tflite"
    path.chmod(0o000)
    proc = models_command_as_nobody(action, shared_models)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = [line for line in proc.stderr.splitlines() if str(path) in line]
    assert line.removeprefix("booth: ").startswith(f"{path}: permission denied reading it as user ")
    assert "(mode 0000, owner " in line
    assert f"sudo chmod a+r {path}" in line and "firmware/provision.sh" in line
    if action == "verify":
        assert "model: 6 of 7 verified" in proc.stdout


def test_fetch_into_a_folder_it_may_not_write_is_one_line_naming_the_folder(model_copy, monkeypatch):
    asset, folder = model_copy
    data = (folder / asset.file).read_bytes()
    (folder / asset.file).unlink()

    def denied(path, data, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(assets, "_download", lambda *args: folder / "cached.whl")
    monkeypatch.setattr(assets, "_extract", lambda *args: data)
    monkeypatch.setattr(assets, "write_atomic", denied)
    with pytest.raises(ModelError) as caught:
        assets.fetch([asset], models_dir=folder)
    message = str(caught.value)
    assert message.startswith(f"{folder}: permission denied writing {asset.file} as user ")
    assert "sudo firmware/provision.sh --only models" in message and "\n" not in message

"""Model and media fetching: checksums enforced, idempotent, one-line errors naming file and fix."""

from __future__ import annotations

import shutil

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

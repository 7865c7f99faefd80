"""The page's secrets on disk: the secret key and the operator's password file are 0600 from the start.

Atomic writes give other files the umask's mode (0644 under umask 022, so the booth's user can read models
fetched by root); these two must never be readable by anyone else, not even between write and chmod.
Only booth.web.security and a temporary folder: no service, no camera.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from booth import atomic
from booth.web.security import PasswordStore, instance_dir, load_secret_key


@pytest.fixture
def loose_umask(monkeypatch) -> Iterator[list[int]]:
    """Umask 000 (so nothing is private by accident) and the modes of files as they are renamed in."""
    old = os.umask(0o000)
    seen: list[int] = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(stat.S_IMODE(os.stat(src).st_mode))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spy)
    try:
        yield seen
    finally:
        os.umask(old)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secret_key_is_0600_from_the_first_instant(tmp_path, loose_umask):
    folder = instance_dir(tmp_path)
    key = load_secret_key(folder)
    assert len(key) == 32
    assert mode_of(folder / "secret_key") == 0o600
    assert loose_umask == [0o600]
    assert load_secret_key(folder) == key  # kept, not regenerated


def test_password_file_is_0600_from_the_first_instant(tmp_path, loose_umask):
    folder = instance_dir(tmp_path)
    store = PasswordStore(folder)
    assert store.set_first("correct horse")
    assert mode_of(store.path) == 0o600
    assert loose_umask == [0o600]
    assert store.check("correct horse") and "correct horse" not in store.path.read_text()


def test_instance_folder_is_private(tmp_path, loose_umask):
    assert mode_of(instance_dir(tmp_path)) == 0o700

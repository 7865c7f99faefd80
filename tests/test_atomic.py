"""booth.atomic: a file gets the umask's mode (secrets 0600 from the first instant), never half a file.

The modes matter on the appliance: provisioning fetches the models as root and booth.service reads them as
its own user, so a private temp file renamed into place would stop the booth at first boot. Real files in a
temporary folder; the umask is set per test and restored.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from booth import atomic
from booth.atomic import write_atomic


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    """Let a test set the process umask with ``os.umask``; the old one comes back afterwards."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize(
    ("mask", "expected"),
    [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)],
    ids=["umask 022", "umask 027 (booth.service)", "umask 077"],
)
def test_a_new_file_gets_what_the_umask_allows(tmp_path, umask, mask, expected):
    os.umask(mask)
    target = tmp_path / "model.tflite"
    write_atomic(target, b"weights")
    assert target.read_bytes() == b"weights"
    assert mode_of(target) == expected


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o077], ids=["umask 000", "umask 022", "umask 077"])
def test_an_explicit_mode_is_exact_whatever_the_umask(tmp_path, umask, mask):
    os.umask(mask)
    target = tmp_path / "secret_key"
    write_atomic(target, b"k" * 32, mode=0o600)
    assert mode_of(target) == 0o600


def test_a_secret_is_never_readable_by_others_not_even_before_the_rename(tmp_path, umask, monkeypatch):
    """The mode is on the temp file when it is renamed into place, not chmodded after."""
    os.umask(0o000)  # the loosest umask: anything not set explicitly would be world-readable
    seen: list[int] = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(mode_of(Path(src)))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spy)
    write_atomic(tmp_path / "operator.json", b"{}", mode=0o600)
    assert seen == [0o600]


def test_overwriting_a_private_file_does_not_keep_its_mode(tmp_path, umask):
    target = tmp_path / "face_detector.tflite"
    target.write_bytes(b"old")
    target.chmod(0o600)  # what the old write_atomic left behind
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert mode_of(target) == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "booth.toml"
    target.write_bytes(b"old")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["booth.toml"]


def test_the_folder_is_created(tmp_path, umask):
    target = tmp_path / "a" / "b" / "photo.jpg"
    write_atomic(target, b"jpeg")
    assert target.read_bytes() == b"jpeg"
    assert mode_of(target.parent) == 0o755


def test_the_temp_file_is_named_as_storage_expects(tmp_path, monkeypatch):
    """Storage recognises in-flight writes as ``.<name>.<random>.tmp`` and cleans them up after a crash."""
    from booth.storage import is_temp_name

    names: list[str] = []
    real_replace = os.replace

    def spy(src, dst):
        names.append(Path(src).name)
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spy)
    write_atomic(tmp_path / "x.json", b"{}")
    write_atomic(tmp_path / "x.json", b"{}")
    assert len(names) == 2 and names[0] != names[1]
    assert all(n.startswith(".x.json.") and is_temp_name(n) for n in names)

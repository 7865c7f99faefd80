"""Helpers of the booth page tests (imported by the tests; fixtures are in conftest.py).

Mocked only at the hardware boundaries: the replay camera and gpiozero's MockFactory pins.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import support
from gpiozero.pins.mock import MockFactory, MockPWMPin

from booth import config
from booth.camera import open_camera
from booth.hardware import Hardware
from booth.service import BoothService

#: The shared quick session, with streams recycled and heartbeats sent fast enough for tests.
QUICK = {**support.QUICK, "web": {"stream_recycle_s": 20.0, "heartbeat_s": 1.0}}


def make_service(data_dir: Path, models, media, overrides: dict | None = None) -> BoothService:
    settings = config.validate(overrides or QUICK)
    camera = open_camera(f"replay:{media('single_face.mp4')}", settings.camera)
    hardware = Hardware(settings.pins, pin_factory=MockFactory(pin_class=MockPWMPin))
    return BoothService(
        settings,
        data_dir,
        config_path=data_dir / "booth.toml",
        camera=camera,
        hardware=hardware,
        models=models,
    )


def csrf_of(client) -> str:
    """The CSRF token the page gives this client (from the meta tag of the kiosk page)."""
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "kiosk page has no CSRF meta tag"
    return match.group(1)


def login(client, password: str = "correct horse battery") -> str:
    """Set the operator password (first run, from loopback) if needed, log in; return the CSRF token."""
    token = csrf_of(client)
    app = client.application
    if not app.extensions["booth.passwords"].is_set:
        r = client.post(
            "/operator/setup", data={"csrf_token": token, "password": password, "confirm": password}
        )
        assert r.status_code == 302, r.get_data(as_text=True)
    else:
        r = client.post("/operator/login", data={"csrf_token": token, "password": password})
        assert r.status_code == 302, r.get_data(as_text=True)
    return csrf_of(client)


# `booth run` exactly as the user types it.
LAUNCH = ("-m", "booth")


def run_command(media, port: int | str, data: Path, *extra: str) -> list[str]:
    """``booth run`` on the replayed clip with mock pins (the hardware boundary), on ``port`` and ``data``."""
    return [
        sys.executable,
        *LAUNCH,
        "run",
        *extra,
        "--camera",
        f"replay:{media('single_face.mp4')}",
        "--pins",
        "mock",
        "--port",
        str(port),
        "--data",
        str(data),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def running_booth(
    tmp: Path, media, session: dict | None = None, **more: dict
) -> Iterator[tuple[subprocess.Popen, str, Path, Path]]:
    """A module fixture's body: ``booth run`` as :func:`start_booth` starts it, stopped with SIGTERM after."""
    proc, base, cfg = start_booth(tmp, media, session=session, **more)
    yield proc, base, cfg, tmp
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def start_booth(
    tmp: Path,
    media,
    policy: dict | None = None,
    session: dict | None = None,
    web: dict | None = None,
    sections: dict | None = None,
) -> tuple[subprocess.Popen, str, Path]:
    """``booth run`` on a free port with :data:`QUICK` settings (``policy``, ``session`` and ``web`` keys
    override its sections of the same name, ``web.public_url`` included: the booth's own address unless
    given; ``sections`` adds whole sections, e.g. ``{"hotspot": {...}}``)."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = tmp / "data"
    cfg = tmp / "booth.toml"
    settings = config.validate(
        {
            **QUICK,
            **(sections or {}),
            "session": {**QUICK["session"], **(session or {})},
            "policy": {**QUICK["policy"], **(policy or {})},
            "web": {**QUICK["web"], "public_url": base, **(web or {})},
        }
    )
    config.save(settings, cfg)
    with (tmp / "booth.log").open("w") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            run_command(media, port, data, "--config", str(cfg)),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, (tmp / "booth.log").read_text()
        try:
            status, health = get_json(base + "/healthz")
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200 and health["frames"] > 0:
            return proc, base, cfg
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("booth run did not become healthy in 60 s:\n" + (tmp / "booth.log").read_text())

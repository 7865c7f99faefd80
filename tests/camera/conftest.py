"""Shared fixtures for the camera tests.

``fake_picamera2`` is the one mock here, at the hardware boundary: tests/fakes/picamera2 is loaded under the
name ``picamera2`` through ``sys.modules`` (and removed afterwards), so booth/camera/picam.py imports it
exactly as it would import the real package on a Pi.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from booth.config import CameraSettings

FAKE = Path(__file__).resolve().parent.parent / "fakes" / "picamera2" / "__init__.py"


@pytest.fixture
def fake_picamera2(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("picamera2", FAKE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "picamera2", module)
    yield module
    module.reset()


@pytest.fixture
def fast_settings() -> CameraSettings:
    """Short stall and retry times so fault and recovery tests take well under a second each."""
    return CameraSettings(
        analysis_size=(320, 180),
        stall_seconds=0.3,
        retry_min_seconds=0.02,
        retry_max_seconds=0.1,
        replay_realtime=False,
    )


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """Twelve small PNG frames, each a flat colour whose red channel is 20 * index."""
    folder = tmp_path / "frames"
    folder.mkdir()
    for index in range(12):
        pixels = np.zeros((90, 160, 3), np.uint8)
        pixels[..., 0] = 20 * index
        pixels[..., 1] = 100
        Image.fromarray(pixels).save(folder / f"{index:03d}.png")
    return folder

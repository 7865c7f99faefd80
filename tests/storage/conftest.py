"""The storage tests' shared fixtures: a settable wall clock, a real face photo, an open Storage on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import Clock

from booth.assets import media_path
from booth.config import StorageSettings
from booth.media import load_image
from booth.storage import Storage


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    return load_image(media_path("single_face.jpg"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock):
    with Storage(tmp_path / "store", StorageSettings(jpeg_quality=85), clock=clock) as s:
        yield s

"""Shared fixtures: real models and real face media (fetched by `make`), loaded once per test session; the
real servers the delivery and fleet tests talk to (SeaweedFS, one for the whole run; a Mosquitto broker per
test); and the quick booth service those tests drive."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from booth import assets
from booth.media import load_image

# gpiozero picks a pin factory at first use; off a Pi the tests use mock pins explicitly.
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")


@pytest.fixture(scope="session")
def vision_params():
    """The booth's default vision parameters (the defaults live once, in booth.config), on one interpreter
    thread whatever the machine's cores (``threads = 0``, auto, gives 2 from four cores)."""
    from booth.config import VisionSettings
    from booth.vision import VisionParams

    return VisionParams.from_settings(VisionSettings(threads=1))


@pytest.fixture(scope="session")
def models(vision_params):
    from booth.vision.pipeline import Models

    return Models.load(vision_params)


@pytest.fixture
def pipeline(models, vision_params):
    from booth.vision import FacePipeline

    return FacePipeline(models=models, params=vision_params)


@pytest.fixture(scope="session")
def media():
    """``media(name)`` -> verified path of a fetched real face photo or clip."""
    return assets.media_path


@pytest.fixture(scope="session")
def photo():
    """``photo(name)`` -> the decoded RGB array of a fetched real face photo."""
    cache: dict[str, np.ndarray] = {}

    def load(name: str) -> np.ndarray:
        if name not in cache:
            cache[name] = load_image(assets.media_path(name))
        return cache[name]

    return load


@pytest.fixture
def shared_models() -> Iterator[Path]:
    """0644 copies of the real models in a 0755 folder any user may enter.

    Not pytest's tmp_path: its parents are 0700, so another user (the service's ``booth``, or ``nobody``)
    could not even reach the folder, whatever the files' own modes.
    """
    folder = Path(tempfile.mkdtemp(prefix="booth-models-"))
    try:
        folder.chmod(0o755)
        for asset in (a for a in assets.load_manifest() if a.kind == "model"):
            shutil.copyfile(asset.path(), folder / asset.file)
            (folder / asset.file).chmod(0o644)
        yield folder
    finally:
        shutil.rmtree(folder)


@pytest.fixture(scope="session")
def seaweed_server(tmp_path_factory):
    """One real SeaweedFS S3 server for the whole run (each test writes under its own prefix)."""
    from servers.seaweed import SeaweedServer

    server = SeaweedServer(tmp_path_factory.mktemp("seaweed"))
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def seaweed(seaweed_server):
    """The running S3 server: started again if an earlier test took it down (the fault tests do)."""
    seaweed_server.start()
    return seaweed_server


@pytest.fixture
def broker(tmp_path):
    """A real Mosquitto broker on 127.0.0.1 for this test (logins and the firmware's ACL)."""
    from servers.mosquitto import Mosquitto

    server = Mosquitto(tmp_path / "broker").start()
    yield server
    server.stop()


@pytest.fixture
def quick_service(tmp_path, models, media):
    """A started booth service on the replayed clip (the camera) with gpiozero's mock pins (the GPIO) and
    the quick one-look shot list of :data:`support.QUICK`; stopped after the test."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin
    from support import QUICK

    from booth import config
    from booth.hardware import Hardware
    from booth.service import BoothService

    settings = config.validate(QUICK)
    hardware = Hardware(settings.pins, pin_factory=MockFactory(pin_class=MockPWMPin))
    svc = BoothService(
        settings,
        tmp_path / "data",
        hardware=hardware,
        models=models,
        camera_spec=f"replay:{media('single_face.mp4')}",
    )
    svc.start()
    yield svc
    svc.stop()

"""Fixtures for the booth page: a real BoothService on the replay camera with mock GPIO pins.

Mocked only at the hardware boundaries: the camera replays real face footage (``single_face.mp4``) and the
GPIO pins are gpiozero's MockFactory. Perception, looks, policy, session and storage are the real ones.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web_helpers import make_service

from booth.service import BoothService
from booth.web import create_app


@pytest.fixture
def service(tmp_path, models, media) -> Iterator[BoothService]:
    svc = make_service(tmp_path / "data", models, media)
    svc.start()
    try:
        yield svc
    finally:
        svc.stop()


@pytest.fixture
def app(service):
    return create_app(service, {"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium (Playwright) for the module's tests."""
    from browser_helpers import ARGS, CHROMIUM
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()

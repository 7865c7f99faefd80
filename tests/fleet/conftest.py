"""The fleet tests' real parts: a Mosquitto broker, a real booth service on replayed footage, and a watcher.

The watcher is a plain paho client (not the booth's adapter), so what the tests see on the broker is what
any studio dashboard would see. The booth service is the real one (models, session machine, storage) on
the replay camera with gpiozero's mock pins; its fleet link is built from settings as ``booth run`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from servers.mosquitto import Mosquitto, Watcher, credentials_file

from booth.config.outbound import FleetSettings
from booth.fleet import FleetLink
from booth.service import BoothService

VERSION = "9.9.9-test"  # what the links say they run


@pytest.fixture
def watch(broker: Mosquitto) -> Iterator[Callable[..., Watcher]]:
    """``watch(user, password=None, topics=...)``: a connected watcher, closed after the test."""
    made: list[Watcher] = []

    def make(user: str | None = "operator", password: str | None = None, topics=("booths/#",)) -> Watcher:
        watcher = Watcher(broker, user, password, topics)
        made.append(watcher)
        return watcher

    yield make
    for watcher in made:
        watcher.close()


@pytest.fixture
def service(quick_service: BoothService) -> BoothService:
    """A started booth on the replayed clip with mock pins and the quick one-look shot list."""
    return quick_service


@pytest.fixture
def make_link(tmp_path: Path, broker: Mosquitto) -> Iterator[Callable[..., FleetLink]]:
    """``make_link(port, booth_id="booth-a", login=True, **fleet_settings)``: a started fleet link from
    settings (stopped after the test unless the test stopped it)."""
    links: list[FleetLink] = []

    def make(
        port: Any, booth_id: str = "booth-a", login: bool = True, start: bool = True, **overrides: Any
    ) -> FleetLink:
        values: dict[str, Any] = {
            "enabled": True,
            "broker": broker.url,
            "booth_id": booth_id,
            "status_every_s": 1.0,
            "keepalive_s": 5,
            **overrides,
        }
        if login:
            values["credentials_file"] = credentials_file(tmp_path, booth_id)
        link = FleetLink.from_settings(FleetSettings(**values), port, VERSION)
        if start:
            link.start()
        links.append(link)
        return link

    yield make
    for link in links:
        link.stop()

"""Fixtures for cloud delivery: one real SeaweedFS S3 server for the whole test run, a fresh prefix per test,
and a booth's storage holding a real session (the gallery tests' face photos, through the real Storage).

Every test that talks to the server is marked ``s3``. A test that takes the server down (the fault tests)
leaves it to the ``seaweed`` fixture to bring it back for the next one: each use starts it if it is not
running, on the same ports and data.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from booth.config.outbound import DeliverySettings
from booth.storage import SessionRecord, ShotRecord, Storage

# The gallery tests' seeded session (real face photos with crop boxes) is reused here as it is.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from gallery_seed import seed_gallery


@pytest.fixture
def bucket(seaweed) -> str:
    """The server's one bucket. Not one per test: SeaweedFS gives each bucket volumes of its own, and a
    small test server runs out of them; each test writes under its own prefix instead."""
    return seaweed.bucket


@pytest.fixture
def prefix() -> str:
    """The test's own prefix in the bucket (a studio's booths likewise share one bucket)."""
    return f"booth-{secrets.token_hex(4)}"


@pytest.fixture
def delivery_settings(seaweed, bucket, prefix, tmp_path) -> Callable[..., DeliverySettings]:
    """``delivery_settings(**overrides)``: enabled delivery to the test's bucket, keys in a 0600 file."""
    keys = seaweed.env_file(tmp_path / "s3.env")

    def make(**overrides: Any) -> DeliverySettings:
        values: dict[str, Any] = {
            "enabled": True,
            "endpoint_url": seaweed.endpoint,
            "bucket": bucket,
            "prefix": prefix,
            "credentials_file": keys,
            "max_kbps": 0,
            "retry_min_s": 0.5,
            "retry_max_s": 2.0,
            "timeout_s": 5.0,
        }
        values.update(overrides)
        return DeliverySettings.model_validate(values)

    return make


@pytest.fixture
def seeded(tmp_path, media) -> Iterator[tuple[Storage, SessionRecord, list[ShotRecord]]]:
    """An open Storage with one delivered session of four real photos (three with crop boxes)."""
    storage = Storage(tmp_path / "data")
    storage.open()
    try:
        record, shots = seed_gallery(storage, media)
        yield storage, record, shots
    finally:
        storage.close()

"""Helpers shared by tests in several folders (importable: tests/conftest.py puts tests/ on the path)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: A one-look shot list with one shot and a short cooldown: a whole session fits in a test.
QUICK: dict[str, dict[str, Any]] = {
    "session": {
        "shot_list": "demo",
        "custom_shot_lists": {"demo": ["approachable"]},
        "shots_per_look": 1,
        "look_seconds": 30.0,
        "review_timeout": 300.0,
        # The replay clips smile within a second, so no rest face comes: the step times out to the
        # neutral default rest quickly rather than after the booth's 8 s.
        "baseline_timeout": 1.5,
    },
    "policy": {"cooldown_s": 0.5},
}


def wait_until(predicate: Callable[[], Any], seconds: float = 10.0, what: str = "condition met") -> Any:
    """Poll ``predicate`` until it returns something true and return that; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} within {seconds} s")


class Clock:
    """Wall-clock seconds that stand still until a test moves them (``clock.now += 86400``)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

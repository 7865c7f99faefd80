"""Polling helpers for the camera tests (the capture runs on its own thread)."""

from __future__ import annotations

import time
from collections.abc import Callable

from booth.camera.base import Camera


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until true; False after ``timeout`` (callers assert on it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def faulted(camera: Camera) -> bool:
    return camera.state.fault is not None


def healthy(camera: Camera, after_frames: int = 0) -> bool:
    state = camera.state
    return state.fault is None and state.frames > after_frames

"""The final hardware check, on a provisioned Raspberry Pi: ``pytest -m hardware tests/hardware``.

Off by default (``-m 'not hardware'`` in pyproject.toml) and skipped off a Pi: everything else in the suite
runs on any machine against a fake picamera2, gpiozero's mock pins and replayed footage. These tests touch
the real camera and the real GPIO lines, so stop the booth first (``sudo systemctl stop booth``) and leave
the camera's remote cable unplugged (the shutter line is pulsed).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from booth import config
from booth.hardware import Hardware, pi_model

pytestmark = [
    pytest.mark.hardware,
    pytest.mark.skipif(pi_model() is None, reason="not a Raspberry Pi"),
]


@pytest.fixture
def camera():
    from booth.camera.picam import PicameraCamera, list_cameras

    if not list_cameras():
        pytest.skip("no Pi camera connected")
    with PicameraCamera(config.CameraSettings()) as cam:
        yield cam


def test_both_streams_deliver_at_the_configured_rate(camera):
    first = camera.wait_frame(0, timeout=10)
    assert first is not None, camera.state.fault
    time.sleep(3)
    assert camera.state.fault is None
    assert camera.state.fps >= 0.8 * config.CameraSettings().fps
    frame = camera.latest()
    assert frame.pixels.shape[:2] == tuple(reversed(config.CameraSettings().analysis_size))
    still = camera.still(frame.timestamp)
    assert still is not None and still.pixels.shape[1] > frame.pixels.shape[1]  # full resolution
    assert abs(still.timestamp - frame.timestamp) < 0.1  # the ring holds that very moment


def test_analysis_keeps_up_on_this_pi(camera):
    """The budget: analysis at 15-30 fps on a Pi 5 (one analysis thread)."""
    from booth.vision import FacePipeline

    pipeline = FacePipeline()
    last, times = 0, []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        frame = camera.wait_frame(last, timeout=2)
        assert frame is not None
        last = frame.sequence
        start = time.perf_counter()
        pipeline.analyze(frame.pixels)
        times.append(time.perf_counter() - start)
    fps = 1.0 / float(np.median(times))
    print(f"analysis on {pi_model()}: {fps:.1f} frames/s (median {1000 * np.median(times):.1f} ms)")
    assert fps >= 15


def test_real_pins_open_and_the_shutter_sequence_runs():
    settings = config.Settings().pins.model_copy(update={"factory": "real"})
    with Hardware(settings) as hardware:
        assert not hardware.is_mock
        release = hardware.fire(block=True)
        assert release.first_pulse_at is not None
        assert [p.line for p in hardware.pulses] == ["shutter", "focus"]

"""Steady-state memory: 10 000 replayed frames at full speed (a generated 160x90 image folder, so decoding is
cheap), read the way the booth reads them (latest frame, preview JPEG, stills), must not grow RSS by more
than 16 MB after warm-up. No mocks: the replay source is the camera."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from booth.camera.replay import ReplayCamera
from booth.config import CameraSettings

FRAMES = 10_000
WARMUP = 1_000
#: Allowed RSS growth between warm-up and the end. A 160x90 frame is 43 KB, so a leak of one frame per
#: frame would be ~390 MB; allocator noise stays within a few MB.
MAX_GROWTH_MB = 16


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        resident_pages = int(fh.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
def test_rss_does_not_grow_over_10000_frames(tmp_path) -> None:
    rng = np.random.default_rng(0)
    for index in range(24):
        Image.fromarray(rng.integers(0, 256, (90, 160, 3), dtype=np.uint8)).save(
            tmp_path / f"{index:03d}.png"
        )
    settings = CameraSettings(replay_realtime=False, ring_seconds=1.5)
    with ReplayCamera(tmp_path, settings) as camera:
        frame = camera.wait_frame(0, timeout=10)
        baseline = None
        while frame is not None and frame.sequence < FRAMES:
            if baseline is None and frame.sequence >= WARMUP:
                baseline = rss_mb()
            assert camera.preview_jpeg(80) is not None
            assert camera.still(frame.timestamp) is not None
            frame = camera.wait_frame(frame.sequence, timeout=10)
        assert frame is not None and camera.state.fault is None
        growth = rss_mb() - baseline
        ring_entries = len(camera._ring)
    assert camera.loops >= FRAMES // 24 - 1
    assert ring_entries <= 46  # 1.5 s at 30 fps + 1: bounded by count even at thousands of fps
    assert growth < MAX_GROWTH_MB, f"RSS grew {growth:.1f} MB over {FRAMES - WARMUP} frames"

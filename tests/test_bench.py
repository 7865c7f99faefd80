"""``make bench``'s paced runs: frames handed over at a camera's rhythm, each frame's latency its own."""

from __future__ import annotations

import time

import numpy as np

from booth import bench


def test_paced_frames_come_a_period_apart_and_each_is_timed_alone():
    starts: list[float] = []

    def analyze(pixels: np.ndarray) -> None:
        starts.append(time.perf_counter())
        time.sleep(0.01 if pixels[0, 0, 0] else 0.002)  # a slow frame, then quick ones

    frames = [np.full((2, 2, 3), v, np.uint8) for v in (1, 0, 0, 0)]
    times = bench.run_paced(frames, analyze, period=0.05)
    gaps = np.diff(starts)
    assert len(times) == 4 and times[0] >= 10 and all(2 <= t < 10 for t in times[1:])
    assert all(gap >= 0.05 for gap in gaps)  # the analysis waits for the next frame, as it does live
    assert all(gap < 0.05 + 0.03 for gap in gaps)  # and no longer (a busy machine's sleep overshoots)


def test_a_frame_that_overruns_its_period_is_followed_at_once():
    starts: list[float] = []

    def analyze(pixels: np.ndarray) -> None:
        starts.append(time.perf_counter())
        time.sleep(0.03)

    bench.run_paced([np.zeros((2, 2, 3), np.uint8)] * 3, analyze, period=0.01)
    assert all(0.03 <= gap < 0.03 + 0.03 for gap in np.diff(starts))

"""``make bench``'s paced runs: frames handed over at a camera's rhythm, each frame's latency its own.

Time is a fake clock here (the module's ``time``), so the rhythm is checked exactly: the paced run reads
``perf_counter`` and calls ``sleep``, and the analysis moves the clock by what each frame "takes".
"""

from __future__ import annotations

import numpy as np
import pytest

from booth import bench


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(bench, "time", fake)
    return fake


def analysis_taking(clock: FakeTime, seconds: list[float]):
    """An analysis that takes ``seconds[i]`` on the i-th frame, noting when each frame started."""
    starts: list[float] = []

    def analyze(pixels: np.ndarray) -> None:
        starts.append(clock.now)
        clock.now += seconds[len(starts) - 1]

    return analyze, starts


def test_paced_frames_come_a_period_apart_and_each_is_timed_alone(clock):
    analyze, starts = analysis_taking(clock, [0.010, 0.002, 0.002, 0.002])
    times = bench.run_paced([np.zeros((2, 2, 3), np.uint8)] * 4, analyze, period=0.05)
    assert times == pytest.approx([10.0, 2.0, 2.0, 2.0])
    assert np.diff(starts) == pytest.approx([0.05, 0.05, 0.05])  # waits for the next frame, as live
    assert clock.sleeps == pytest.approx([0.04, 0.048, 0.048])


def test_a_frame_that_overruns_its_period_is_followed_at_once(clock):
    analyze, starts = analysis_taking(clock, [0.03, 0.03, 0.03])
    bench.run_paced([np.zeros((2, 2, 3), np.uint8)] * 3, analyze, period=0.01)
    assert np.diff(starts) == pytest.approx([0.03, 0.03]) and clock.sleeps == []


def test_camera_buffers_hold_the_frame_as_the_pi_camera_lays_it_out() -> None:
    """The conversion line times real frames: each buffer decodes back to the clip's frame."""
    from booth.camera.convert import BT601_FULL, to_rgb

    frame = bench.load_frames(every=100)[0]
    height, width = frame.shape[:2]
    buffers = bench.camera_buffers(frame)
    np.testing.assert_array_equal(to_rgb(buffers["BGR888"], "BGR888", width, height, width * 3), frame)
    np.testing.assert_array_equal(to_rgb(buffers["XBGR8888"], "XBGR8888", width, height, width * 4), frame)
    decoded = to_rgb(buffers["YUV420"], "YUV420", width, height, width, BT601_FULL)
    diff = np.abs(decoded.astype(int) - frame.astype(int))
    assert diff.mean() < 1 and np.percentile(diff, 99) <= 8  # 4:2:0 chroma and rounding only


def test_conversion_line_names_each_pi_format() -> None:
    line = bench.conversion_line(bench.load_frames(every=100)[0], repeats=3)
    assert line.startswith("camera conversion of a 640x360 frame to RGB, p50 ms: ")
    for fmt, where in bench.CAMERA_FORMATS:
        assert f"{fmt} ({where}) " in line


def test_look_line_times_the_look_beside_and_inline() -> None:
    frames = bench.load_frames()[:40]
    line = bench.look_line(frames, passes=1)
    from booth.vision.params import usable_cores

    if usable_cores() < 2:  # a one-core machine has no core to spare
        assert line.startswith("periodic look: not measured")
        return
    assert line.startswith("periodic look (every 30 frames, one interpreter thread), p50 ms: beside: look ")
    assert "; inline: look " in line and line.count("after") == 2 and line.count("rest") == 2

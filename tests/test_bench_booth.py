"""``make bench``'s service line (issue 17): ``booth run``'s own loop in a child process, a short soak, and
its last line parsed. No timing thresholds: only that every figure is there, finite and positive.

Mocked only at the hardware boundaries: the bench itself replays a real clip and uses mock pins.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest

from booth import bench_booth

LAST = re.compile(r"^booth: (?:\w+=\S+ )*cpu_ms_per_frame=(\S+) rss_growth_pct=(\S+)$")


def fields_of(line: str) -> dict[str, float]:
    return {key: float(value) for key, value in (pair.split("=") for pair in line.split()[1:])}


@pytest.mark.slow
def test_a_short_soak_reports_the_split_and_the_memory_last():
    lines = bench_booth.run_in_child(90, "--warmup", "30", "--fps", "30")
    assert lines and LAST.match(lines[-1]), "\n".join(lines)
    found = fields_of(lines[-1])
    assert list(found)[-2:] == ["cpu_ms_per_frame", "rss_growth_pct"]
    for stage in ("conversion", "analysis", "preview", "events", "other"):
        assert math.isfinite(found[f"{stage}_ms"]) and found[f"{stage}_ms"] > 0, (stage, lines)
    assert found["camera_fps"] > 0 and found["analysed_fps"] > 0
    assert math.isfinite(found["cpu_ms_per_frame"]) and found["cpu_ms_per_frame"] > 0
    assert math.isfinite(found["rss_growth_pct"])
    staged = sum(found[f"{stage}_ms"] for stage in ("conversion", "analysis", "preview", "events", "other"))
    assert staged == pytest.approx(found["cpu_ms_per_frame"], abs=0.05)  # the parts make the total
    table = "\n".join(lines[:-1])
    assert "camera conversion" in table and "preview JPEG" in table and "memory: RSS" in table


@pytest.mark.slow
def test_an_empty_booth_soaks_at_rest_and_says_so():
    """``no_face.mp4`` with ``--standby-after 1``: the booth rests within the warm-up (4 s of the clip), and
    the soak reads the standby's rate, a few frames a second of the camera's 24."""
    lines = bench_booth.run_in_child(72, "--clip", "no_face.mp4", "--warmup", "96", "--standby-after", "1")
    assert lines and LAST.match(lines[-1]), "\n".join(lines)
    assert "  standby after 1 s: at rest at both ends of the soak" in lines, "\n".join(lines)
    found = fields_of(lines[-1])
    assert 0 < found["analysed_fps"] < found["camera_fps"] / 2, lines[-1]


def test_the_standby_setting_reaches_the_booths_config(tmp_path):
    """``--standby-after`` is written into the config file ``booth run`` reads, and left out when not given
    (the booth's own default then)."""
    from booth import config

    args = bench_booth.run_args(tmp_path / "clip.mp4", tmp_path, 24.0, standby_after=0.0)
    assert config.load(args.config).standby.after_s == 0.0
    args = bench_booth.run_args(tmp_path / "clip.mp4", tmp_path, 24.0)
    assert config.load(args.config).standby.after_s == config.StandbySettings().after_s


def test_a_clip_that_is_not_there_is_one_line_and_a_failure():
    done = subprocess.run(
        [sys.executable, "-m", "booth.bench_booth", "--soak-frames", "10", "--clip", "no-such-clip.mp4"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("booth bench: ") and "no-such-clip.mp4" in line


def test_a_failed_child_ends_with_its_reason():
    lines = bench_booth.run_in_child(10, "--clip", "no-such-clip.mp4")
    assert len(lines) == 1 and lines[0].startswith("booth: not measured (booth bench: ")


def test_memory_growth_compares_a_minute_at_each_end_not_two_samples():
    """The heap trim makes resident memory a sawtooth; one sample at each end could land on either side of
    a trim. A flat sawtooth reads flat, a real slope reads as growth."""
    from booth.cpu_ledger import CpuSplit

    def mark(frames: int, kb: int) -> bench_booth.Mark:
        return bench_booth.Mark(0.0, CpuSplit(frames=frames), 0.0, 0.0, frames, kb)

    window = bench_booth.RSS_WINDOW_FRAMES
    saw = [(f, 180_000 + (f % window) * 20_000 // window) for f in range(0, 10 * window, 30)]
    # the marks alone, one just after a trim and one just before, would say +11 %
    flat = bench_booth.Result(
        mark(0, 180_000), mark(10 * window, 200_000), "c", 30.0, 0, rss_samples=tuple(saw)
    )
    assert abs(flat.rss_growth_pct) < 1
    slope = tuple((f, 180_000 + f) for f, _ in saw)
    rising = bench_booth.Result(mark(0, 180_000), mark(10 * window, 198_000), "c", 30.0, 0, rss_samples=slope)
    assert rising.rss_growth_pct > 8

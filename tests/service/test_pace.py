"""The analysis pace (booth/service/pace.py): the shown rate, and the operator's warning when the analysis
falls short of the camera over the window, with its cause. Pure: the clock's readings are passed in."""

from __future__ import annotations

import pytest

from booth.service.pace import BUDGET_FPS, CLEAR_ABOVE, WINDOW_S, AnalysisPace, target_fps


def run(
    pace: AnalysisPace,
    start: float,
    seconds: float,
    analysed_fps: float,
    camera_fps: float = 30.0,
    configured: float = 30.0,
    judged: bool = True,
    step: float = 1 / 30,
    held: bool = False,
) -> float:
    """Feed ``seconds`` of loop turns every ``step`` s, analysing at ``analysed_fps``; returns the end."""
    now, owed = start, 0.0
    for _ in range(round(seconds / step)):
        now += step
        owed += analysed_fps * step
        while owed >= 1.0 - 1e-9:
            pace.analysed()
            owed -= 1.0
        pace.tick(now, camera_fps, configured, judged, held)
    return now


def test_the_target_is_the_budget_or_nine_tenths_of_a_slower_camera():
    assert target_fps(30.0) == BUDGET_FPS == 15.0
    assert target_fps(10.0) == pytest.approx(9.0)


def test_a_booth_that_keeps_up_shows_its_rate_and_no_warning():
    pace = AnalysisPace(0.0)
    run(pace, 0.0, 2 * WINDOW_S, 29.0)
    assert pace.pace.fps == pytest.approx(29.0, abs=1.0) and pace.pace.warning is None


def test_a_slow_cpu_is_named_only_after_a_whole_window_of_it():
    pace = AnalysisPace(0.0)
    now = run(pace, 0.0, WINDOW_S - 2, 8.0)
    assert pace.pace.warning is None  # a reload or a still's pause is no alarm
    run(pace, now, 3, 8.0)
    warning = pace.pace.warning
    assert warning is not None and "\n" not in warning
    assert "keeps 8.0 frames/s" in warning and "under the 15 " in warning
    assert "while the camera gives 30.0: check" in warning and "vcgencmd get_throttled" in warning


def test_a_dim_camera_is_named_as_the_cause_when_the_analysis_keeps_up_with_it():
    pace = AnalysisPace(0.0)
    run(pace, 0.0, WINDOW_S + 2, 9.8, camera_fps=10.0)
    warning = pace.pace.warning
    assert warning is not None and "camera delivers only 10.0 frames/s" in warning
    assert "light the sitter" in warning and "vcgencmd" not in warning


def test_a_camera_set_slower_than_the_budget_is_judged_against_its_own_rate():
    pace = AnalysisPace(0.0)
    run(pace, 0.0, 2 * WINDOW_S, 9.5, camera_fps=10.0, configured=10.0)
    assert pace.pace.warning is None


def test_the_warning_clears_only_well_above_the_target():
    pace = AnalysisPace(0.0)
    now = run(pace, 0.0, WINDOW_S + 2, 10.0)
    assert pace.pace.warning
    now = run(pace, now, 2 * WINDOW_S, 15.2)  # at the target, inside the band: kept, no flicker
    assert pace.pace.warning
    run(pace, now, 2 * WINDOW_S, BUDGET_FPS * CLEAR_ABOVE + 1)
    assert pace.pace.warning is None


def test_a_stalled_analysis_reads_as_zero_and_a_down_camera_judges_nothing():
    pace = AnalysisPace(0.0)
    now = run(pace, 0.0, 5, 29.0)
    now = run(pace, now, 3, 0.0, step=0.25)  # the loop still turns (its wait times out), no frame
    assert pace.pace.fps == 0.0
    # While the camera is down its own fault says why; the window starts again when it is back.
    now = run(pace, now, 3 * WINDOW_S, 0.0, judged=False, step=0.25)
    assert pace.pace.warning is None
    run(pace, now, WINDOW_S - 2, 0.0, step=0.25)
    assert pace.pace.warning is None


def test_standby_seconds_are_left_out_of_the_window_and_keep_the_warning_as_it_was():
    pace = AnalysisPace(0.0)
    now = run(pace, 0.0, WINDOW_S - 5, 29.0)
    now = run(pace, now, 10 * WINDOW_S, 5.0, held=True)  # an empty booth at its standby rate: no alarm
    assert pace.pace.warning is None and pace.pace.fps == pytest.approx(5.0, abs=1.0)
    run(pace, now, 6, 29.0)  # the window's full-rate seconds before and after standby: still clear
    assert pace.pace.warning is None

    slow = AnalysisPace(0.0)
    now = run(slow, 0.0, WINDOW_S + 2, 8.0)
    warning = slow.pace.warning
    assert warning
    now = run(slow, now, 3 * WINDOW_S, 5.0, held=True)  # too slow for sitters: it keeps saying so
    assert slow.pace.warning == warning
    run(slow, now, 3, 8.0)
    assert slow.pace.warning is not None


def test_a_second_held_at_any_turn_is_left_out_whole():
    """The second standby ends in mixes both rates; judged, it would pull a booth at the edge under."""
    pace = AnalysisPace(0.0)
    now = run(pace, 0.0, WINDOW_S + 1, 16.0)
    assert pace.pace.warning is None
    for _ in range(40):  # each second: standby's first half at 5 frames/s, then 16
        now = run(pace, now, 0.5, 5.0, held=True)
        now = run(pace, now, 0.5, 16.0)
    assert pace.pace.warning is None

"""The CPU ledger: each thread charges only its own CPU to its own stage; waiting costs nothing; nested
stages are exclusive; snapshots subtract and add.

The checks compare the ledger with each thread's own clock (:func:`time.thread_time`), never with wall
time, so a loaded machine slows the threads without changing what they must read.
"""

from __future__ import annotations

import math
import threading
import time

import pytest

from booth.cpu_ledger import ANALYSIS, CONVERSION, EVENTS, PREVIEW, STAGES, CpuLedger, CpuSplit, CpuWindow

#: What a measurement's own bookkeeping may add or lose, in CPU seconds (it is a few microseconds).
SLACK = 0.005


def burn(seconds: float) -> None:
    """Spend ``seconds`` of this thread's CPU."""
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass


def measured_burn(ledger: CpuLedger, stage: str, seconds: float, spent: dict[str, float]) -> None:
    """Burn inside ``ledger.measure(stage)``; ``spent[stage]`` gets this thread's CPU around the block."""
    before = time.thread_time()
    with ledger.measure(stage):
        burn(seconds)
    spent[stage] = time.thread_time() - before


def test_each_thread_charges_its_own_stage_while_both_run():
    ledger, spent = CpuLedger(), {}
    threads = [
        threading.Thread(target=measured_burn, args=(ledger, ANALYSIS, 0.2, spent)),
        threading.Thread(target=measured_burn, args=(ledger, CONVERSION, 0.1, spent)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    split = ledger.snapshot()
    for stage in (ANALYSIS, CONVERSION):
        assert spent[stage] - SLACK <= split.seconds(stage) <= spent[stage] + SLACK
    assert split.preview == 0.0 and split.events == 0.0
    assert split.analysis >= 0.2 and split.conversion >= 0.1


def test_a_waiting_thread_costs_nothing_even_while_another_works():
    ledger = CpuLedger()
    worker = threading.Thread(target=burn, args=(0.3,))  # unmeasured work on another thread
    with ledger.measure(EVENTS):
        worker.start()
        time.sleep(0.3)
        worker.join()
    assert ledger.snapshot().events < 0.03


def test_nested_stages_are_exclusive_and_add_up_to_the_thread_cpu():
    ledger = CpuLedger()
    before = time.thread_time()
    with ledger.measure(ANALYSIS):
        burn(0.03)
        with ledger.measure(EVENTS):
            burn(0.05)
        burn(0.03)
    spent = time.thread_time() - before
    split = ledger.snapshot()
    assert 0.05 <= split.events < 0.05 + 0.03  # none of the outer stage's burn
    assert 0.06 <= split.analysis < 0.06 + 0.05  # none of the inner stage's burn
    assert spent - SLACK <= split.staged <= spent + SLACK


def test_an_exception_still_charges_the_stage_and_ends_it():
    ledger = CpuLedger()
    with pytest.raises(RuntimeError), ledger.measure(ANALYSIS):
        burn(0.02)
        raise RuntimeError("a bad frame")
    charged = ledger.snapshot().analysis
    assert charged >= 0.02
    with ledger.measure(PREVIEW):
        burn(0.02)
    after = ledger.snapshot()
    assert after.analysis == charged  # the failed block is closed: nothing more lands on it
    assert after.preview >= 0.02


def test_frames_are_counted_and_unknown_stages_refused():
    ledger = CpuLedger()
    for _ in range(3):
        ledger.count_frame()
    assert ledger.snapshot().frames == 3
    with pytest.raises(ValueError, match="no CPU stage 'decode'"):
        ledger.measure("decode")
    with pytest.raises(ValueError, match="no CPU stage"):
        CpuSplit().seconds("decode")


def test_snapshots_subtract_into_a_window_and_add_into_a_booth():
    earlier = CpuSplit(conversion=0.5, analysis=1.0, preview=0.25, events=0.0, frames=10)
    later = CpuSplit(conversion=1.5, analysis=5.0, preview=0.75, events=0.5, frames=110)
    window = later - earlier
    assert window == CpuSplit(conversion=1.0, analysis=4.0, preview=0.5, events=0.5, frames=100)
    assert window.staged == 6.0
    assert window.ms_per_frame() == {CONVERSION: 10.0, ANALYSIS: 40.0, PREVIEW: 5.0, EVENTS: 5.0}
    assert earlier + window == later
    assert all(math.isnan(v) for v in CpuSplit().ms_per_frame().values())
    assert set(CpuSplit().ms_per_frame()) == set(STAGES)


def test_the_process_cpu_gives_other_and_total_per_frame():
    window = CpuSplit(conversion=1.0, analysis=4.0, preview=0.5, events=0.5, frames=100)
    shown = window.ms_per_frame_of(process_seconds=7.0)  # a second the stages did not claim
    stages = {CONVERSION: 10.0, ANALYSIS: 40.0, PREVIEW: 5.0, EVENTS: 5.0}
    assert shown == {**stages, "other": 10.0, "total": 70.0}
    assert math.isnan(CpuSplit().ms_per_frame_of(1.0)["total"])


def test_a_window_closes_after_its_seconds_and_gives_the_split_per_frame():
    splits = iter([CpuSplit(analysis=1.0, frames=10), CpuSplit(analysis=1.5, frames=20)])
    window = CpuWindow(lambda: next(splits), seconds=10.0)
    window.tick(100.0)  # opens the first window
    assert window.latest is None
    window.tick(105.0)  # not yet: nothing is read
    assert window.latest is None
    window.tick(110.0)
    assert window.latest is not None and window.latest[ANALYSIS] == 50.0  # 0.5 s over 10 frames
    assert set(window.latest) == {*STAGES, "other", "total"}


def test_cpu_other_threads_counted_for_a_block_is_charged_to_its_stage():
    """A helper thread counts its own CPU (no thread's clock sees another's); the block that waited for it
    charges what that count grew by, besides its own thread's CPU."""
    ledger, counted = CpuLedger(), [2.0]
    with ledger.measure(ANALYSIS, elsewhere=lambda: counted[0]):
        counted[0] += 0.25  # what the helper counted while the block ran
    assert ledger.snapshot().analysis >= 0.25
    assert ledger.snapshot().analysis < 0.25 + SLACK

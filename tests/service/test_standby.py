"""Standby (booth/service/standby.py): which frames an empty booth analyses. Pure: the clock's readings, the
session's permission and each analysed frame's face count are passed in, at a 30 frames/s camera."""

from __future__ import annotations

import itertools

import pytest

from booth.config import StandbySettings
from booth.service.standby import Standby, StandbyParams

FRAME = 1 / 30


def feed(
    standby: Standby, start: float, seconds: float, faces: int = 0, may_rest: bool = True
) -> list[float]:
    """Camera frames every 1/30 s for ``seconds``; returns the times of those analysed."""
    analysed = []
    for i in range(1, round(seconds / FRAME) + 1):
        now = start + i * FRAME
        if standby.wants(now, may_rest=may_rest):
            standby.analysed(now, faces)
            analysed.append(now)
    return analysed


def test_the_defaults_come_from_the_standby_section():
    params = StandbyParams.from_settings(StandbySettings())
    assert params == StandbyParams(after_s=30.0, fps=5.0)


def test_an_empty_booth_analyses_every_frame_until_the_wait_then_its_standby_rate():
    standby = Standby(StandbyParams(after_s=10.0, fps=5.0), now=0.0)
    first = feed(standby, 0.0, 9.9)
    assert len(first) == 297 and not standby.resting  # every frame while the wait runs
    later = feed(standby, 9.9, 20.0)
    assert standby.resting
    rested = [t for t in later if t > 10.5]
    assert len(rested) / (later[-1] - 10.5) == pytest.approx(5.0, abs=0.3)  # not 4.3: a frame's jitter
    assert max(b - a for a, b in itertools.pairwise(rested)) <= 0.2 + FRAME


def test_a_face_ends_standby_at_the_frame_that_sees_it():
    standby = Standby(StandbyParams(after_s=1.0, fps=5.0), now=0.0)
    feed(standby, 0.0, 5.0)
    assert standby.resting
    assert standby.wants(5.0 + FRAME, may_rest=True) is False  # within standby's 0.2 s: skipped
    assert standby.wants(5.2, may_rest=True)
    standby.analysed(5.2, faces=1)
    assert not standby.resting
    following = feed(standby, 5.2, 0.5, faces=1)
    assert len(following) == 15  # every frame again
    feed(standby, 5.7, 0.9)  # the face gone: the whole wait again before standby
    assert not standby.resting
    feed(standby, 6.6, 0.2)
    assert standby.resting


def test_never_during_a_session_and_the_wait_starts_again_after_it():
    standby = Standby(StandbyParams(after_s=2.0, fps=5.0), now=0.0)
    assert len(feed(standby, 0.0, 10.0, may_rest=False)) == 300  # no faces, but a session: every frame
    assert not standby.resting
    feed(standby, 10.0, 1.9)
    assert not standby.resting
    feed(standby, 11.9, 0.2)
    assert standby.resting
    assert len(feed(standby, 12.1, 1.0, may_rest=False)) == 30  # Start pressed: every frame at once
    assert not standby.resting


def test_zero_turns_standby_off():
    standby = Standby(StandbyParams(after_s=0.0, fps=5.0), now=0.0)
    assert len(feed(standby, 0.0, 60.0)) == 1800 and not standby.resting


def test_a_face_on_one_frame_alone_neither_wakes_the_booth_for_long_nor_puts_off_standby():
    """The detector's false faces come one frame at a time (``no_face.mp4``'s title letters, once a loop):
    the booth looks at the frames after it, finds nothing, and rests again; a face awake puts off
    standby only once it has held for CONFIRM frames."""
    standby = Standby(StandbyParams(after_s=1.0, fps=5.0), now=0.0)
    feed(standby, 0.0, 2.0)
    assert standby.resting
    standby.wants(2.2, may_rest=True)
    standby.analysed(2.2, faces=1)  # a false face in standby
    assert not standby.resting and standby.wants(2.2 + FRAME, may_rest=True)  # the next frame is looked at
    standby.analysed(2.2 + FRAME, faces=0)
    assert standby.wants(2.2 + 2 * FRAME, may_rest=True) is False and standby.resting  # at rest again

    awake = Standby(StandbyParams(after_s=1.0, fps=5.0), now=0.0)
    feed(awake, 0.0, 0.5)
    awake.wants(0.5 + FRAME, may_rest=True)
    awake.analysed(0.5 + FRAME, faces=1)  # one false face while the wait runs: the wait goes on
    feed(awake, 0.5 + FRAME, 0.5)
    assert awake.resting

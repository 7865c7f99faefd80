"""booth.service.actions: work runs on the owner thread, errors come back, a late job never runs."""

from __future__ import annotations

import threading
import time

import pytest

from booth.errors import BoothError
from booth.service.actions import ActionQueue


def owner_loop(actions: ActionQueue, stop: threading.Event, pause: float = 0.0) -> threading.Thread:
    def run() -> None:
        while not stop.is_set():
            time.sleep(pause)
            actions.drain(lambda: None)
            time.sleep(0.005)

    thread = threading.Thread(target=run, daemon=True)
    actions.set_owner(thread)
    thread.start()
    return thread


def test_a_call_runs_on_the_owner_thread_and_returns_its_value_or_raises_its_error():
    actions, stop = ActionQueue(), threading.Event()
    owner = owner_loop(actions, stop)
    try:
        assert actions.call(lambda: threading.current_thread() is owner, timeout=2) is True

        def refuse() -> None:
            raise BoothError("no")

        with pytest.raises(BoothError, match="no"):
            actions.call(refuse, timeout=2)
    finally:
        stop.set()


def test_without_a_running_owner_the_call_runs_inline():
    assert ActionQueue().call(lambda: threading.current_thread(), timeout=0.1) is threading.current_thread()


def test_a_call_that_times_out_is_cancelled_and_never_runs_late():
    actions, stop = ActionQueue(), threading.Event()
    ran = []
    owner_loop(actions, stop, pause=0.3)  # the owner is busy for longer than the caller waits
    try:
        with pytest.raises(BoothError, match="busy"):
            actions.call(lambda: ran.append(1), timeout=0.05)
        time.sleep(0.8)
        assert ran == []
    finally:
        stop.set()


def test_a_posted_refusal_is_only_logged(caplog):
    actions = ActionQueue()

    def refuse() -> None:
        raise BoothError("a session is already running")

    actions.post("button start", refuse)
    with caplog.at_level("INFO", logger="booth.service.actions"):
        actions.drain(lambda: None)
    assert "button start refused: a session is already running" in caplog.text

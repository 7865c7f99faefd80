"""Work handed to the analysis thread: the page's requests and the button's presses, run between frames.

Why a queue: the analysis thread owns the session, the shooter and the runner's record, so every change
is made there and nothing needs a lock. A page request waits for its reply (with a timeout, after which
the job is cancelled rather than run late); a button press is posted and nobody waits.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from booth.errors import BoothError

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    value: Any


@dataclass
class _Job:
    action: Callable[[], Any]
    reply: queue.Queue[_Outcome] = field(default_factory=lambda: queue.Queue(maxsize=1))
    cancelled: threading.Event = field(default_factory=threading.Event)


class ActionQueue:
    """Jobs for one owner thread; :meth:`drain` runs them there, in order."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[_Job] = queue.Queue()
        self._owner: threading.Thread | None = None

    def set_owner(self, thread: threading.Thread | None) -> None:
        self._owner = thread

    def _run_here(self) -> bool:
        """No owner running yet (before start, after stop), or we are the owner: run inline."""
        owner = self._owner
        return owner is None or not owner.is_alive() or threading.current_thread() is owner

    def call(self, action: Callable[[], T], timeout: float) -> T:
        """Run ``action`` on the owner thread and return its value (or raise its error)."""
        if self._run_here():
            return action()
        job = _Job(action)
        self._jobs.put(job)
        try:
            outcome = job.reply.get(timeout=timeout)
        except queue.Empty:
            job.cancelled.set()  # never run it late: the caller was told it did not happen
            raise BoothError("the booth is busy; try again in a moment") from None
        if not outcome.ok:
            raise outcome.value
        value: T = outcome.value
        return value

    def post(self, what: str, action: Callable[[], object]) -> None:
        """Queue an action nobody waits for (a button press): a refusal is only logged."""

        def run() -> None:
            try:
                action()
            except BoothError as err:
                log.info("%s refused: %s", what, err)
            except Exception:
                log.exception("%s failed", what)

        self._jobs.put(_Job(run))

    def drain(self, after_each: Callable[[], None]) -> None:
        """Run every queued job; ``after_each`` runs before its reply (so the caller's status shows it)."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job.cancelled.is_set():
                continue
            try:
                outcome = _Outcome(True, job.action())
            except Exception as err:  # handed back to the caller's thread
                outcome = _Outcome(False, err)
            after_each()
            job.reply.put(outcome)

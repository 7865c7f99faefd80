"""What a booth tells the fleet: the compact status JSON and the events found by diffing two of them.

Why a compact status of its own rather than the page's ``/api/status``: the fleet's readers are dashboards
and ``booth fleet`` on other machines, over a broker a studio may share; they need the booth's health and
its day (state, faults, disk, counts, backlog), never a sitter's face readings or gallery tokens. Why events
from diffs: the fleet link reads only the published status, so it never reaches into the analysis thread;
two consecutive statuses say everything the fleet needs to know happened in between.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from booth.service.status import BoothStatus
from booth.session import ACTIVE, ENDED, State
from booth.storage import OutboxSummary, Storage
from booth.storage.layout import MB

log = logging.getLogger(__name__)

#: The states a session is still running in (a camera fault pauses one, it does not end it).
RUNNING = frozenset(s.value for s in (*ACTIVE, State.FAULT))
FINISHED = frozenset(s.value for s in ENDED)
#: The fault kinds of the status's ``faults`` block, in the order the table shows them.
FAULT_KINDS = ("camera", "runner", "storage", "analysis")
#: The parts of a status whose change is worth a publication at once (the rest waits for the next tick).
CHANGE_KEYS = ("state", "paused", "faults", "session")


def local_midnight(now: float) -> float:
    """Epoch seconds of the start of the local day that holds ``now`` (the booth's "today")."""
    day = dt.datetime.fromtimestamp(now).date()
    return dt.datetime.combine(day, dt.time()).timestamp()


class DayCounts:
    """Sessions and photos since local midnight, read from storage at most every ``every_s`` seconds.

    Why cached: it is a query, and the fleet link diffs the status about four times a second; a count a few
    seconds old is as good on a dashboard. A storage error keeps the last counts (logged once per kind).
    Why two clocks: the wall clock says where today began, the monotonic one when to read again; a Pi
    without a real-time clock jumps its wall clock when NTP syncs, and a jump back must not freeze the
    counts until the clock catches up.
    """

    def __init__(
        self,
        storage: Storage,
        every_s: float,
        clock: Callable[[], float] = time.time,
        ticks: Callable[[], float] = time.monotonic,
    ) -> None:
        self._storage, self._every, self._clock, self._ticks = storage, every_s, clock, ticks
        self._counts: tuple[int, int] | None = None
        self._read_at = float("-inf")
        self._failed = False

    def get(self) -> tuple[int, int] | None:
        tick = self._ticks()
        if tick - self._read_at >= self._every:
            self._read_at = tick
            try:
                self._counts = self._storage.day_counts(local_midnight(self._clock()))
                self._failed = False
            except Exception as err:  # a count is never worth stopping the fleet link
                if not self._failed:
                    log.warning("fleet: cannot count today's sessions: %s", err)
                self._failed = True
        return self._counts


def faults(status: BoothStatus, min_free_mb: float) -> dict[str, str | None]:
    """The booth's faults by kind: the camera's, the session runner's, the disk's (free space unknown,
    or below the storage's minimum, so no session can start), and the analysis falling short of the
    camera's pace (:mod:`booth.service.pace`: the booth works, but judges late)."""
    free = status.storage.free_bytes
    if free is None:
        disk: str | None = "free disk space unknown; check the data folder"
    elif free < min_free_mb * MB:
        disk = f"disk nearly full: {free / MB:.0f} MB free, below the {min_free_mb:g} MB minimum"
    else:
        disk = None
    return {
        "camera": status.camera.fault,
        "runner": status.fault,
        "storage": disk,
        "analysis": status.analysis_warning,
    }


def backlog(summary: OutboxSummary | None) -> dict[str, Any] | None:
    """The upload queue in brief (None: cloud delivery is off)."""
    if summary is None:
        return None
    return {
        "pending": summary.pending,
        "failing": summary.failing,
        "done": summary.done,
        "oldest_pending_at": summary.oldest_pending_at,
    }


@dataclass(frozen=True)
class Identity:
    booth_id: str
    version: str
    #: How often the booth publishes its status: a viewer tells a booth that went silent while its
    #: connection stayed up (``booth fleet`` shows it as "silent") from one that is merely idle.
    every_s: float = 10.0


def status_payload(
    status: BoothStatus,
    *,
    identity: Identity,
    min_free_mb: float,
    today: tuple[int, int] | None,
    outbox: OutboxSummary | None,
    now: float,
) -> dict[str, Any]:
    """The retained status JSON of ``<prefix>/<booth_id>/status``."""
    session = status.session
    return {
        "booth_id": identity.booth_id,
        "state": status.state.value,
        "paused": status.paused,
        "analysis_fps": status.analysis_fps,
        "standby": status.standby,  # the low rate above is on purpose: nobody in view (booth.service.standby)
        "faults": faults(status, min_free_mb),
        "free_disk_bytes": status.storage.free_bytes,
        "sessions_today": today[0] if today else None,
        "photos_today": today[1] if today else None,
        "upload_backlog": backlog(outbox),
        "session": (
            None
            if session is None
            else {"id": session.id, "preset": session.preset, "photos": session.progress.shots_kept}
        ),
        "version": identity.version,
        "at": round(now, 3),
        "every_s": identity.every_s,
    }


def offline_payload(last: dict[str, Any] | None, identity: Identity, now: float) -> dict[str, Any]:
    """The last status a booth leaves when it stops cleanly: its last one, with state "offline"."""
    fresh = {"booth_id": identity.booth_id, "version": identity.version}
    base: dict[str, Any] = dict(last) if last else fresh
    base.update(state="offline", session=None, analysis_fps=0.0, standby=False, at=round(now, 3))
    return base


def changed(before: dict[str, Any] | None, after: dict[str, Any]) -> bool:
    """Whether ``after`` differs from ``before`` in what a dashboard should see at once."""
    return before is None or any(before.get(key) != after.get(key) for key in CHANGE_KEYS)


class EventDiff:
    """The events between consecutive statuses: a session started (stored, so it has an id) or finished,
    a fault raised or cleared.

    ``outcome_of(session_id)`` says how a session ended when the statuses skipped its end screen (a poll
    can miss a short one); it reads the stored record.
    """

    def __init__(self, outcome_of: Callable[[int], str | None]) -> None:
        self._outcome_of = outcome_of
        self._before: dict[str, Any] | None = None
        self._session: tuple[int, str, int] | None = None  # id, preset, photos of the running session

    def feed(self, status: dict[str, Any]) -> list[dict[str, Any]]:
        events = self._session_events(status) + self._fault_events(status)
        self._before = status
        at = status.get("at")
        return [{"booth_id": status.get("booth_id"), "at": at, **event} for event in events]

    def _session_events(self, status: dict[str, Any]) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        state = status["state"]
        block = status.get("session") or {}
        sid = block.get("id")
        tracked = self._session
        if tracked is not None and (sid != tracked[0] or state not in RUNNING):
            same = sid == tracked[0]
            outcome = state if same and state in FINISHED else self._outcome(tracked[0])
            photos = block.get("photos", tracked[2]) if same else tracked[2]
            events.append(
                {
                    "event": "session_finished",
                    "session_id": tracked[0],
                    "preset": tracked[1],
                    "outcome": outcome,
                    "photos": photos,
                }
            )
            self._session = tracked = None
        if sid is not None and state in RUNNING:
            if tracked is None:
                events.append({"event": "session_started", "session_id": sid, "preset": block.get("preset")})
            self._session = (sid, block.get("preset", ""), block.get("photos", 0))
        return events

    def _outcome(self, session_id: int) -> str:
        try:
            return self._outcome_of(session_id) or "ended"
        except Exception as err:
            log.warning("fleet: cannot read how session %d ended: %s", session_id, err)
            return "ended"

    def _fault_events(self, status: dict[str, Any]) -> list[dict[str, Any]]:
        before = (self._before or {}).get("faults") or {}
        now = status.get("faults") or {}
        events: list[dict[str, Any]] = []
        for kind in FAULT_KINDS:
            old, new = before.get(kind), now.get(kind)
            if new and new != old:
                events.append({"event": "fault_raised", "kind": kind, "message": new})
            elif old and not new:
                events.append({"event": "fault_cleared", "kind": kind, "message": old})
        return events

"""The fleet table ``booth fleet`` prints: one row per booth, from the retained status and availability.

Pure (messages and a clock in, text out), so the tests check every column without a broker. Why from the
retained topics alone: a viewer that connects at any moment gets every booth's latest status and
availability at once, including the last will of a booth that vanished; how long it has been gone is
the time since its last status (by the booth's clock: a booth whose clock is wrong shows a wrong "how
long"). Why every cell is cleaned: anyone who may publish on the broker writes these strings, and a
terminal escape in a booth's "version" must not reach the studio's terminal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from booth.durations import ago

HEADERS = ("booth", "state", "fps", "free disk", "today", "backlog", "version")
MAX_CELL = 40


def clean(text: str) -> str:
    """``text`` with control characters as "?", cut to :data:`MAX_CELL` characters."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in text)
    return shown if len(shown) <= MAX_CELL else shown[: MAX_CELL - 1] + "~"


@dataclass(frozen=True)
class Row:
    booth: str
    state: str
    fps: str
    free_disk: str
    today: str
    backlog: str
    version: str

    def cells(self) -> tuple[str, ...]:
        cells = (self.booth, self.state, self.fps, self.free_disk, self.today, self.backlog, self.version)
        return tuple(clean(cell) for cell in cells)


def decode_status(payload: bytes) -> dict[str, Any] | None:
    """A status message's JSON object, or None for anything else (an empty retained message clears one)."""
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


#: A status older than this many of the booth's own publishing intervals (plus a margin for clocks) means
#: the booth stopped publishing although its connection is up: its link's thread hung, or its clock jumped.
SILENT_AFTER = 3
SILENT_MARGIN_S = 30.0


def _silent(age: float, every: float) -> bool:
    return age > SILENT_AFTER * every + SILENT_MARGIN_S


def _state(status: Mapping[str, Any], online: str | None, now: float) -> str:
    state = str(status.get("state", "?"))
    at, every = status.get("at"), status.get("every_s")
    if online == "offline" or state == "offline":
        return f"offline {ago(now - float(at))}" if isinstance(at, int | float) else "offline"
    if isinstance(at, int | float) and isinstance(every, int | float) and _silent(now - at, every):
        return f"silent {ago(now - at)} (last: {state})"
    if status.get("paused"):
        state = f"{state} (paused)"
    block = status.get("faults")
    faults = [str(kind) for kind, text in block.items() if text] if isinstance(block, dict) else []
    return f"{state} [{', '.join(faults)} fault]" if faults else state


def _disk(free: Any) -> str:
    return f"{free / 1024**3:.1f} GB" if isinstance(free, int | float) else "?"


def _count(value: Any) -> str:
    return "?" if value is None else str(value)


def _backlog(block: Any) -> str:
    if not isinstance(block, dict):
        return "-"
    failing = block.get("failing") or 0
    return f"{block.get('pending', 0)}" + (f" ({failing} failing)" if failing else "")


def _fps(fps: Any, standby: bool) -> str:
    """The analysed rate; in standby (an empty booth) marked, so a low rate reads as on purpose."""
    if not isinstance(fps, int | float):
        return "?"
    return f"{fps:.1f}" + (" standby" if standby else "")


def row(booth: str, status: Mapping[str, Any] | None, online: str | None, now: float) -> Row:
    """One booth's row; a booth with availability but no status yet shows what it can."""
    if status is None:
        state = "offline" if online == "offline" else (online or "?")
        return Row(booth, state, "", "", "", "", "")
    fps = status.get("analysis_fps")
    state = _state(status, online, now)
    return Row(
        booth=booth,
        state=state,
        fps="-" if state.startswith("offline") else _fps(fps, status.get("standby") is True),
        free_disk=_disk(status.get("free_disk_bytes")),
        today=f"{_count(status.get('sessions_today'))}/{_count(status.get('photos_today'))}",
        backlog=_backlog(status.get("upload_backlog")),
        version=str(status.get("version", "?")),
    )


def rows(
    statuses: Mapping[str, Mapping[str, Any] | None], availability: Mapping[str, str], now: float
) -> list[Row]:
    """Every booth seen in either topic, sorted by name."""
    booths = sorted(set(statuses) | set(availability))
    return [row(b, statuses.get(b), availability.get(b), now) for b in booths]


def render(table: list[Row]) -> str:
    """The rows under their headers, columns padded to fit ("today" is sessions/photos)."""
    lines = [HEADERS, *(r.cells() for r in table)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADERS))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    if not table:
        text.append("(no booth has published yet)")
    return "\n".join(text)

"""A bounded ring of recent full-resolution frames, so the still of the peak moment can be saved after
the decision to keep it (shutter lag would otherwise miss the expression).

Bounded three ways: by age (``seconds`` behind the newest entry), by count (a replay at full speed makes
thousands of frames a second) and by bytes, because a 12 MP frame is 18-36 MB
and a few seconds of them would exhaust a Pi's memory. At least the newest entry is always kept.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry(Generic[T]):
    timestamp: float
    nbytes: int
    item: T


class FrameRing(Generic[T]):
    """Thread-safe: the capture thread pushes, any thread asks for the entry nearest a moment."""

    def __init__(self, seconds: float, max_bytes: int, max_count: int) -> None:
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.max_count = max_count
        self._entries: deque[_Entry[T]] = deque()
        self._bytes = 0
        self._lock = threading.Lock()

    def push(self, timestamp: float, item: T, nbytes: int) -> None:
        with self._lock:
            self._entries.append(_Entry(timestamp, nbytes, item))
            self._bytes += nbytes
            while len(self._entries) > 1 and (
                self._bytes > self.max_bytes
                or len(self._entries) > self.max_count
                or self._entries[0].timestamp < timestamp - self.seconds
            ):
                self._bytes -= self._entries.popleft().nbytes

    def nearest(self, at: float) -> tuple[float, T] | None:
        """The ``(timestamp, item)`` closest to ``at``, or None when empty."""
        with self._lock:
            if not self._entries:
                return None
            best = min(self._entries, key=lambda entry: abs(entry.timestamp - at))
            return best.timestamp, best.item

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._bytes

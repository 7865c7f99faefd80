"""Bounded upload bandwidth: a token bucket, and a body reader that spends from it as the bytes go out.

Why throttle the body as it is read rather than sleep between objects: a booth often shares a venue's thin
uplink with the card reader and the staff's phones; one 5 MB original sent at full speed would hog it for
seconds. Reading the request body through :class:`ThrottledReader` spreads every object at ``max_kbps``,
whatever its size, and costs no memory beyond the object itself (the uploader holds one at a time).

Why the reader can be cancelled: at a low cap one object can take a minute, and stopping the booth must not
wait for it. A cancelled read raises :class:`UploadCancelled`; the object is simply sent again next time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: Bytes handed to the socket per read: small enough that the cap holds over a fraction of a second.
CHUNK = 16 * 1024
#: The bucket's capacity in seconds of the rate (but at least one chunk): the largest burst allowed.
BURST_S = 0.125


class UploadCancelled(OSError):
    """The uploader is stopping: the body being sent gives up; the job stays queued."""


class TokenBucket:
    """``rate`` bytes per second on average, bursts of at most ``burst`` bytes; thread-safe.

    ``rate`` 0 means no cap: :meth:`take` never waits. ``clock`` and ``sleep`` are injectable for tests.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if rate < 0:
            raise ValueError(f"rate {rate} bytes/s; use 0 (no cap) or more")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(CHUNK, rate * BURST_S))
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._stamp = clock()
        self._lock = threading.Lock()

    @classmethod
    def from_kbps(cls, kbps: float) -> TokenBucket:
        """A bucket for the settings' ``max_kbps`` (KB/s of 1024 bytes; 0: no cap)."""
        return cls(kbps * 1024.0)

    def take(self, count: int, cancel: threading.Event | None = None) -> None:
        """Wait until ``count`` bytes may go out (in steps, so a ``cancel`` is noticed within one step)."""
        if self.rate <= 0 or count <= 0:
            return
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                # A request larger than the burst waits for a full bucket, then goes (the debt is paid after).
                need = min(float(count), self.burst)
                if self._tokens >= need - 1e-6:  # a float's rounding must not leave it a hair short forever
                    self._tokens -= count
                    return
                wait = max((need - self._tokens) / self.rate, 0.001)
            if cancel is not None and cancel.is_set():
                raise UploadCancelled("the uploader is stopping; the object is sent again next time")
            self._sleep(min(wait, 0.25))


class ThrottledReader:
    """A read-only binary file over ``data`` whose reads spend ``bucket``'s tokens.

    It has ``seek``/``tell`` (an HTTP client rewinds a body to resend it) and ``len`` (the size is known
    up front, so the request carries a Content-Length rather than chunked encoding).
    """

    def __init__(self, data: bytes, bucket: TokenBucket, cancel: threading.Event | None = None) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._bucket = bucket
        self._cancel = cancel

    def read(self, size: int | None = -1) -> bytes:
        if self._cancel is not None and self._cancel.is_set():
            raise UploadCancelled("the uploader is stopping; the object is sent again next time")
        left = len(self._data) - self._pos
        count = left if size is None or size < 0 else min(size, left)
        count = min(count, CHUNK)
        if count <= 0:
            return b""
        self._bucket.take(count, self._cancel)
        chunk = bytes(self._data[self._pos : self._pos + count])
        self._pos += count
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: len(self._data)}[whence]
        self._pos = max(0, min(len(self._data), base + offset))
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def __len__(self) -> int:
        return len(self._data)

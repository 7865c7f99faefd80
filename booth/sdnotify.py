"""Tell systemd how the booth is doing: ``READY=1``, ``WATCHDOG=1``, ``STATUS=...``, ``STOPPING=1``.

The notify protocol is one datagram of ``KEY=value`` lines to the Unix socket named in ``$NOTIFY_SOCKET`` (a
leading ``@`` means an abstract socket), so it is written here rather than pulled in as a dependency.

The unit is ``Type=notify`` with ``WatchdogSec=``: :class:`Watchdog` says ready only once the camera has
delivered a frame, and pings only while the frame counter keeps advancing. A process that is alive but whose
camera has stalled therefore stops pinging, and systemd kills and restarts it: the one failure a booth left
alone all day must recover from without anyone at the keyboard.

Outside systemd (``make run``, tests) ``$NOTIFY_SOCKET`` is unset and every call is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# How often the watchdog thread looks at the frame counter when systemd asked for no watchdog at all:
# it still has to notice the first frame to send READY=1.
IDLE_POLL_SECONDS = 0.5


def _address(name: str) -> str:
    """Socket address for ``name``; ``@foo`` is the abstract socket ``\\0foo`` (Linux)."""
    return "\0" + name[1:] if name.startswith("@") else name


def notify(message: str, socket_name: str | None = None) -> bool:
    """Send ``message`` (``KEY=value`` lines) as one datagram; return whether it was sent.

    ``socket_name`` defaults to ``$NOTIFY_SOCKET``; without either this does nothing. A send that fails is
    logged, not raised: losing a status line must never take the booth down (a missed watchdog ping is
    what systemd is there to notice).
    """
    name = socket_name if socket_name is not None else os.environ.get("NOTIFY_SOCKET", "")
    if not name:
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.connect(_address(name))
            sock.sendall(message.encode())
        except OSError as err:
            log.warning("sd_notify to %s failed (%s): %s", name, err, message.splitlines()[0])
            return False
    return True


def watchdog_interval(environ: dict[str, str] | None = None, pid: int | None = None) -> float | None:
    """Seconds between pings (half of ``$WATCHDOG_USEC``), or ``None`` when no watchdog applies to us.

    ``$WATCHDOG_PID``, when set, names the process the watchdog is meant for; a child that inherited the
    environment must not ping on its parent's behalf.
    """
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    owner = env.get("WATCHDOG_PID", "")
    if owner.isdigit() and int(owner) != (os.getpid() if pid is None else pid):
        return None
    return int(usec) / 2e6


class Watchdog:
    """Readiness and liveness from the camera's frame counter.

    ``frames`` returns how many frames the camera has delivered so far (anything that grows by at least one
    per new frame). :meth:`tick` is the pure decision, driven by the injected ``clock`` so tests need not
    sleep; :meth:`start` runs it on a daemon thread.

    - ``READY=1`` once, on the first tick that sees a frame (``frames() > 0``).
    - ``WATCHDOG=1`` when ``interval`` has passed since the last ping *and* the counter moved since then. A
      stalled camera therefore gets no pings, and systemd restarts the service after ``WatchdogSec``.
    - ``STATUS=`` with the frame count, so ``systemctl status booth`` (and ``booth doctor``) can see frames
      advancing without opening the camera the service holds.
    """

    def __init__(
        self,
        frames: Callable[[], int],
        interval: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        send: Callable[[str], object] = notify,
    ) -> None:
        self.frames = frames
        self.interval = interval
        self.clock = clock
        self.send = send
        self.ready = False
        self._last_ping = clock()
        self._count_at_ping = -1
        self._last_status = -1
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @classmethod
    def from_environment(cls, frames: Callable[[], int], **kwargs: Any) -> Watchdog:
        """A watchdog pinging at the interval systemd asked for (none outside systemd)."""
        return cls(frames, watchdog_interval(), **kwargs)

    @property
    def poll_seconds(self) -> float:
        """How often :meth:`start`'s thread ticks: often enough that a due ping is at most 1 s late."""
        if self.interval is None:
            return IDLE_POLL_SECONDS
        return min(1.0, self.interval / 5)

    def tick(self) -> list[str]:
        """Look at the frame counter once; send and return the messages due now."""
        count = self.frames()
        now = self.clock()
        sent = []
        if not self.ready and count > 0:
            self.ready = True
            self._last_ping = now
            self._count_at_ping = count
            sent.append(f"READY=1\nSTATUS=camera delivering, {count} frames")
            self._last_status = count
        elif self.ready and self.interval is not None and now - self._last_ping >= self.interval:
            if count != self._count_at_ping:
                self._last_ping = now
                self._count_at_ping = count
                sent.append(f"WATCHDOG=1\nSTATUS=camera delivering, {count} frames")
                self._last_status = count
            elif self._last_status != -2:
                log.warning("camera frame counter stuck at %d: withholding the watchdog ping", count)
                sent.append(f"STATUS=camera stalled at {count} frames")
                self._last_status = -2
        elif self.ready and count != self._last_status and count != self._count_at_ping:
            sent.append(f"STATUS=camera delivering, {count} frames")
            self._last_status = count
        for message in sent:
            self.send(message)
        return sent

    def start(self) -> None:
        """Tick on a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sd-watchdog", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # the frame counter is someone else's code; a bug there must not kill pings
                log.exception("watchdog tick failed")
            self._stop.wait(self.poll_seconds)

    def stop(self, stopping: bool = True) -> None:
        """Stop the thread; with ``stopping`` tell systemd the shutdown is deliberate (``STOPPING=1``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if stopping:
            self.send("STOPPING=1")

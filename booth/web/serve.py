"""Serving the page with waitress: a real threaded WSGI server (each live stream holds one worker thread).

Never Flask's development server: it imports the app twice and would open the camera twice.

Why a thin layer over waitress's own server, channel and task classes (what each guards against was
measured against a running booth; see ``tests/web/test_slow_clients.py``):

* **Nothing in waitress ends a slow request.** ``channel_timeout`` counts inactivity, and every header line
  is activity, so a client that sends one every 10 s is never timed out; and its only cap,
  ``connection_limit``, is global: once reached waitress stops accepting, for the kiosk too. 100 such
  sockets kept ``/healthz`` and ``/`` unanswered for a minute. Here each connection is admitted or refused
  when it is accepted (:class:`booth.web.admission.Admission`: per-address caps, and connections kept back
  for the kiosk and the operator), a request's headers must arrive within :data:`HEADER_TIMEOUT_S` of its
  first byte and the whole request within :data:`REQUEST_TIMEOUT_S`, and waitress's check runs every
  second (``cleanup_interval``) rather than every 30. A refused connection is told so in one line.
* **Nothing in waitress drops a client that stops reading.** A stream's writes queue in the channel's
  buffers (up to 16 MB each by default, before the writing thread even waits), so three preview viewers
  that never read held their worker threads and slots until the stream was recycled, and grew memory by
  what was queued for them. Here a connection whose waiting answer took fewer than :data:`STALL_BYTES` in
  :data:`STALL_S` is closed (its stream ends and frees its slot at its next write: about 7 s from the
  last read, measured); the kernel may hold only :data:`UNSENT_IN_KERNEL` unsent bytes per connection
  (``TCP_NOTSENT_LOWAT``: Linux would otherwise take up to 4 MB from a stalled viewer, over a minute of
  events, before a send failed and anything here could notice); a writer waits once
  :data:`OUTBUF_HIGH_WATERMARK` bytes are queued; and the streams skip frames and status events while the
  last one is still queued (the task puts the queue's size in the WSGI environment,
  :data:`booth.web.context.UNSENT_KEY`), so what waits for a stalled client is at most one frame.
* **A refusal closes its connection.** A 503 or 429 ends with ``Connection: close``, so a client refused a
  stream cannot sit on the connection it was refused on; an idle keep-alive connection closes after
  :data:`IDLE_TIMEOUT_S`.

Waitress's ``channel_request_lookahead`` was not used: it reads further requests on a busy connection to
notice a client that left, which the stall check and the streams' keep-alive writes already do, and it
would let one connection queue requests.
"""

from __future__ import annotations

import errno
import functools
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher, WSGITask

from booth.config import WebSettings
from booth.errors import ServeError
from booth.web.admission import POOL, Admission
from booth.web.context import OPERATOR_SEEN_KEY, UNSENT_KEY
from booth.web.security import address_in

log = logging.getLogger(__name__)

#: The request line and headers must be in within this many seconds of the request's first byte.
HEADER_TIMEOUT_S = 10.0
#: The whole request (headers and body, at most ``web.max_request_kb``) within this many.
REQUEST_TIMEOUT_S = 30.0
#: A connection whose queued answer took fewer than :data:`STALL_BYTES` in this long is closed (a client
#: that stopped reading: the kernel still trickles a few bytes to it now and then, so "none" is too strict).
STALL_S = 5.0
#: About 3 KB/s: a phone on a weak link takes more; a client that stopped reading takes almost nothing.
STALL_BYTES = 16 * 1024
#: An idle keep-alive connection is closed after this many seconds (an int: waitress's setting is one).
IDLE_TIMEOUT_S = 15
#: Bytes the kernel may hold for a connection beyond what is in flight (``TCP_NOTSENT_LOWAT``). Linux
#: would otherwise take up to 4 MB from a client that stopped reading before a send fails and anything
#: here can notice; what is in flight (bounded by the client's own window) is not limited, so a fast link
#: keeps its speed, unlike with a small ``SO_SNDBUF``.
UNSENT_IN_KERNEL = 16 * 1024
#: Bytes queued in a connection's buffers before the thread writing to it waits.
OUTBUF_HIGH_WATERMARK = 1024 * 1024
#: Seconds between refusal lines in the log, however many connections are refused.
REFUSAL_LOG_S = 10.0
#: Answers after which the connection is closed: the client is being told to come back later.
CLOSE_AFTER = ("503", "429")


class BoothTask(WSGITask):
    """Waitress's request task, with the channel's unsent bytes in the environment and refusals closing."""

    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        if UNSENT_KEY not in environ:  # waitress caches the environment per task
            environ[UNSENT_KEY] = self.channel.unsent
            address = self.channel.addr[0]
            admission = self.channel.server.admission
            environ[OPERATOR_SEEN_KEY] = lambda: admission.note_operator(address)
        return environ

    def build_response_header(self) -> bytes:
        if self.status.startswith(CLOSE_AFTER):
            self.set_close_on_finish()
        return bytes(super().build_response_header())


class BoothChannel(HTTPChannel):
    """One connection: when its request began, whether its output moves, its admission released on close."""

    task_class = BoothTask
    request: Any = None  # waitress's parser of the request still arriving
    request_began: float | None = None
    sent_bytes = 0  # handed to the kernel so far
    stall_mark: tuple[int, float] | None = None  # (sent_bytes, when) since output has been waiting
    released = False

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.request_began = time.monotonic()
        return bool(super().received(data))

    def send(self, data: bytes, do_close: bool = True) -> int:
        sent = int(super().send(data, do_close=do_close))
        self.sent_bytes += sent
        return sent

    def unsent(self) -> int:
        """Bytes queued for this client and not yet handed to the kernel."""
        return int(self.total_outbufs_len)

    def overdue(self, now: float) -> str | None:
        """Why this connection should be closed now, or None (asked every second on the loop's thread)."""
        began = self.request_began
        if self.request is not None and began is not None and not self.requests:
            if not self.request.headers_finished and now - began > HEADER_TIMEOUT_S:
                return f"its request headers were not complete within {HEADER_TIMEOUT_S:g} s"
            if now - began > REQUEST_TIMEOUT_S:
                return f"its request was not complete within {REQUEST_TIMEOUT_S:g} s"
        if not self.total_outbufs_len:
            self.stall_mark = None
            return None
        if self.stall_mark is None:
            self.stall_mark = (self.sent_bytes, now)
        elif now - self.stall_mark[1] >= STALL_S:
            taken = self.sent_bytes - self.stall_mark[0]
            if taken < STALL_BYTES:
                return (
                    f"it took under {STALL_BYTES // 1024} KB of its answer in {STALL_S:g} s (stopped reading)"
                )
            self.stall_mark = (self.sent_bytes, now)
        return None

    def end(self, why: str) -> None:
        """Close this connection (on the loop's thread). A request still arriving is told why in one line
        (408); a client that stopped reading cannot be told anything, and is only closed."""
        if self.request is not None and not self.requests and not self.total_outbufs_len:
            self.request = None
            self.write_soon(_plain(408, "Request Timeout", f"{why}; send the whole request at once"))
            self.close_when_flushed = True
        else:
            # Now, not by will_close: the loop would act on that only once the socket is writable, which
            # a client that stopped reading never makes it. Safe here: the server's check runs before the
            # loop looks at any connection. A stream's next write then ends the stream.
            self.handle_close()

    def del_channel(self, map: Any = None) -> None:
        super().del_channel(map)
        if not self.released:
            self.released = True
            self.server.admission.release(self.addr[0])


class BoothServer(TcpWSGIServer):
    """Waitress's TCP server: each connection admitted by :class:`Admission`, overdue ones closed."""

    channel_class = BoothChannel

    def __init__(self, application: Any, admission: Admission, **kw: Any) -> None:
        self.admission = admission
        self._refused = 0
        self._refusal_logged = -REFUSAL_LOG_S
        self._last_refusal = ""
        super().__init__(application, **kw)

    def handle_accept(self) -> None:
        try:
            pair = self.accept()
            if pair is None:
                return
            conn, addr = pair
            self.set_socket_options(conn)
        except OSError:  # the client left before we got to it; waitress logs nothing here either
            return
        addr = self.fix_addr(addr)
        refusal = self.admission.admit(addr[0])
        if refusal is not None:
            self._refuse(conn, addr[0], refusal)
            return
        try:
            self.channel_class(self, conn, addr, self.adj, map=self._map)
        except OSError:
            self.admission.release(addr[0])
            conn.close()

    def _refuse(self, conn: socket.socket, address: str, reason: str) -> None:
        line = f"{reason}; close other pages of the booth, or wait a little, and retry"
        try:
            conn.setblocking(False)
            conn.recv(65536)  # what the client sent already: closing on unread bytes would reset the answer
        except OSError:
            pass
        try:
            conn.send(_plain(503, "Service Unavailable", line))
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        conn.close()
        self._refused += 1
        self._last_refusal = f"the last from {address}: {reason}"
        self._log_refusals(time.monotonic())

    def _log_refusals(self, now: float) -> None:
        """One line per :data:`REFUSAL_LOG_S` at most, however many connections a flood brings."""
        if self._refused and now - self._refusal_logged >= REFUSAL_LOG_S:
            log.warning("refused %d connection(s), %s", self._refused, self._last_refusal)
            self._refused, self._refusal_logged = 0, now

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # waitress's own: idle connections past channel_timeout
        mono = time.monotonic()
        closed: dict[str, tuple[int, str]] = {}  # reason -> (how many, the last address)
        for channel in list(self.active_channels.values()):
            why = channel.overdue(mono) if isinstance(channel, BoothChannel) else None
            if why is not None and channel.connected and not channel.close_when_flushed:
                channel.end(why)
                closed[why] = (closed.get(why, (0, ""))[0] + 1, channel.addr[0])
        for why, (count, address) in closed.items():  # one line per reason, not one per connection
            log.info("closed %d connection(s), the last from %s: %s", count, address, why)
        self._log_refusals(mono)  # the count of a flood that has stopped


def _plain(status: int, reason: str, line: str) -> bytes:
    """A whole one-line plain-text answer that closes its connection (written outside any WSGI task)."""
    body = (line + "\n").encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: 5\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


@functools.lru_cache(maxsize=1024)
def _in_networks(address: str, networks: tuple[str, ...]) -> bool:
    return address_in(address, networks)


def kiosk_check(application: Any) -> Callable[[str], bool]:
    """Is an address the kiosk's? By the live ``web.kiosk_addresses`` of the booth behind ``application``.

    ``booth run`` binds the port before the app exists and hands the server a stand-in that holds the app
    in ``.app`` once it is made; until then (no request is served before it) the defaults apply.
    """
    defaults = tuple(WebSettings().kiosk_addresses)

    def is_kiosk(address: str) -> bool:
        app = application if isinstance(application, Flask) else getattr(application, "app", None)
        service = app.extensions.get("booth") if isinstance(app, Flask) else None
        networks = tuple(service.settings.web.kiosk_addresses) if service is not None else defaults
        return _in_networks(address, networks)

    return is_kiosk


def _adjustments(host: str, port: int, threads: int) -> Adjustments:
    adj = Adjustments(
        host=host,
        port=port,
        threads=threads,
        ident="booth",
        channel_timeout=IDLE_TIMEOUT_S,
        cleanup_interval=1,
        connection_limit=POOL + 16,  # above the admission's pool: waitress never stops accepting first
        outbuf_high_watermark=OUTBUF_HIGH_WATERMARK,
    )
    # Not a keyword waitress takes; it applies them to every accepted connection.
    lowat = getattr(socket, "TCP_NOTSENT_LOWAT", None)  # Linux and macOS
    if lowat is not None:
        adj.socket_options = [*adj.socket_options, (socket.IPPROTO_TCP, lowat, UNSENT_IN_KERNEL)]
    return adj


def _why(err: OSError | ValueError, host: str, port: int) -> str:
    """Cause and fix, naming both ways to pick a port: ``make run`` takes ``PORT=``, ``booth run --port``."""
    cause = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    code = err.errno if isinstance(err, OSError) else None
    other = port + 1 if port < 65535 else 8080
    pick = f"pick another with PORT={other} make run / booth run --port {other}"
    if code == errno.EADDRINUSE:
        return f"port {port} is in use ({cause}): stop what uses it (another booth?), or {pick}"
    if code in (errno.EACCES, errno.EPERM) and port < 1024:
        return f"ports below 1024 need root ({cause}): {pick.replace(str(other), '8080')}"
    if code == errno.EADDRNOTAVAIL or isinstance(err, socket.gaierror):
        return (
            f"{host} is not an address of this machine ({cause}): "
            "use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (the network)"
        )
    if code is None:  # waitress refused the settings themselves
        return f"{cause}: check --host and --port"
    return f"{cause}: {pick}"


def make_server(app: Any, host: str, port: int, threads: int) -> Any:
    """A waitress server for the WSGI ``app`` bound to ``host:port``; a busy or forbidden port is a one-line
    ServeError. ``server.admission`` is its :class:`Admission` (the tests read its counts)."""
    admission = Admission(kiosk_check(app))
    dispatcher = ThreadedTaskDispatcher()
    socket_map: dict[int, Any] = {}
    servers: list[BoothServer] = []
    try:
        adj = _adjustments(host, port, threads)
        for info in adj.listen:
            servers.append(
                BoothServer(app, admission, map=socket_map, dispatcher=dispatcher, adj=adj, sockinfo=info)
            )
    except (OSError, ValueError) as err:
        for server in servers:
            server.close()
        raise ServeError(f"cannot listen on {host}:{port}: {_why(err, host, port)}") from None
    dispatcher.set_thread_count(adj.threads)  # only once listening: a refused port starts no threads
    if len(servers) == 1:
        return servers[0]
    # A name such as "localhost" listens on each of its addresses: one loop serves them all.
    both = MultiSocketServer(
        socket_map,
        adj,
        [(s.effective_host, s.effective_port) for s in servers],
        dispatcher,
        servers[0].log_info,
    )
    both.effective_port = servers[0].effective_port
    both.admission = admission
    return both

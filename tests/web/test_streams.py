"""The live streams against clients that stop reading (issue 15, items 13, 18c and 18d), with raw sockets.

A real ``booth run`` with ``web.lan_preview`` on, so other addresses (127.0.0.2 and up, routed to ``lo``)
may watch; the kiosk is 127.0.0.1. The structures test runs the same server in this process, on a real
socket, to count what the booth holds after its clients have gone.
Mocked only at the hardware boundaries: the replay camera and mock pins.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from waitress import wasyncore
from web_helpers import free_port, start_booth

from booth.web import create_app, serve, streams
from booth.web.serve import make_server

KIOSK = "127.0.0.1"
TINY = 1024  # SO_RCVBUF of a client that never reads (Linux makes it a little larger)


@pytest.fixture(scope="module")
def booth(tmp_path_factory, media) -> Iterator[int]:
    """A running booth whose preview any client on the network may watch: its port."""
    proc, base, _ = start_booth(tmp_path_factory.mktemp("streams"), media, web={"lan_preview": True})
    try:
        yield int(base.rsplit(":", 1)[1])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def open_stream(port: int, path: str, source: str, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    return sock


def status_of(sock: socket.socket) -> int:
    sock.settimeout(5)
    head = sock.recv(12)
    return int(head.split()[1])


def read_until(sock: socket.socket, marker: bytes, seconds: float = 5.0) -> bytes:
    sock.settimeout(seconds)
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the stream ended before {marker!r}"
        data += chunk
    return data


def first_open(port: int, path: str, source: str, seconds: float) -> float:
    """Seconds until ``source`` is given ``path`` (200) rather than refused (503); fails after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        with open_stream(port, path, source) as sock:
            if status_of(sock) == 200:
                return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"{path} was still refused to {source} after {seconds} s")


def drain(sock: socket.socket) -> int | None:
    """Bytes left for a stalled client once it reads, or None if the server is still sending (not dropped)."""
    sock.settimeout(2)
    total = 0
    try:
        while chunk := sock.recv(1 << 20):
            total += len(chunk)
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return total


def test_clients_that_never_read_are_dropped_and_the_kiosk_keeps_its_streams(booth):
    """3 preview viewers and 6 event listeners on three phones, none reading: the phones get only their
    share, the kiosk gets its preview and events at once, and the stalled ones are dropped within seconds
    with little queued for them (memory stays flat: newer frames are skipped, not queued)."""
    port = booth
    phones = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    started = time.monotonic()
    previews = [open_stream(port, "/stream.mjpg", phone, TINY) for phone in phones]
    events = [open_stream(port, "/api/events", phone, TINY) for phone in phones for _ in range(2)]
    try:
        statuses = [status_of(sock) for sock in previews + events]
        # The phones' share: the last TRUSTED_RESERVE slots of each kind are the kiosk's and the operator's.
        assert statuses[:3].count(200) == 3 - streams.TRUSTED_RESERVE
        assert statuses[3:].count(200) == 6 - streams.TRUSTED_RESERVE
        kiosk_preview = open_stream(port, "/stream.mjpg", KIOSK)
        kiosk_events = open_stream(port, "/api/events", KIOSK)
        with kiosk_preview, kiosk_events:
            assert b"\xff\xd8\xff" in read_until(kiosk_preview, b"\xff\xd9")  # a whole JPEG
            assert b'"face"' in read_until(kiosk_events, b"event: status")
        # A fourth phone is refused while the stalled phones hold the share, served once they are dropped.
        bound = serve.STALL_S + 7
        assert first_open(port, "/stream.mjpg", "127.0.0.5", bound) < bound
        assert first_open(port, "/api/events", "127.0.0.6", bound) < bound
        assert time.monotonic() - started < bound + 2
        for sock, status in zip(previews + events, statuses, strict=True):
            if status == 200:
                left = drain(sock)
                assert left is not None, "a client that never read is still being sent to"
                assert left < 512 * 1024, f"{left} bytes were queued for a client that never read"
    finally:
        for sock in previews + events:
            sock.close()


def test_a_slow_reader_gets_whole_frames_and_is_not_dropped(booth):
    """A viewer on a weak link (about 32 KB/s) keeps its stream and gets whole frames, fewer of them."""
    port = booth
    with open_stream(port, "/stream.mjpg", KIOSK, 16 * 1024) as sock:
        sock.settimeout(5)
        data = b""
        started = time.monotonic()
        while time.monotonic() - started < serve.STALL_S + 3:
            chunk = sock.recv(8192)
            assert chunk, "the server dropped a client that was still reading"
            data += chunk
            time.sleep(0.25)
    parts = data.split(f"--{streams.BOUNDARY}\r\n".encode())[1:-1]  # the last may be cut short
    assert len(parts) >= 2
    for part in parts:
        head, _, body = part.partition(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        assert body[:length].startswith(b"\xff\xd8") and body[length - 2 : length] == b"\xff\xd9"


def test_the_preview_and_face_scores_follow_web_lan_preview(app, service):
    """Off: a phone gets 403 and no face; the kiosk and a logged-in operator from a phone get both. On:
    the phone gets both too."""
    phone = {"REMOTE_ADDR": "192.168.4.77"}
    stranger = app.test_client()
    r = stranger.get("/stream.mjpg", environ_base=phone)
    assert r.status_code == 403 and "web.lan_preview" in r.json["error"]
    assert stranger.get("/api/status", environ_base=phone).json["face"] is None
    r = stranger.get("/api/events", environ_base=phone, buffered=False)
    chunks = iter(r.response)
    next(chunks)
    assert json.loads(next(chunks).split(b"data: ", 1)[1])["trigger"] is None
    r.close()
    kiosk = app.test_client()
    r = kiosk.get("/stream.mjpg", buffered=False)
    assert r.status_code == 200
    r.close()
    service.settings.web.lan_preview = True
    r = stranger.get("/stream.mjpg", environ_base=phone, buffered=False)
    assert r.status_code == 200 and b"\xff\xd8" in next(iter(r.response))
    r.close()
    assert "face" in stranger.get("/api/status", environ_base=phone).json


def test_what_the_booth_holds_returns_to_its_baseline_after_clients_go(service, tmp_path):
    """Streams opened and closed, pages, status, stalled viewers, slow headers: once the clients have gone,
    no subscription, stream slot, admitted connection, channel or thread is left over (item 18d)."""
    service.settings.web.lan_preview = True
    app = create_app(service)
    port = free_port()
    server = make_server(app, "127.0.0.1", port, service.settings.web.threads)
    loop = threading.Thread(target=server.run, daemon=True)
    loop.start()
    slots = app.extensions["booth.slots"]
    hub = service.events
    stalled: list[socket.socket] = []  # left open and unread: the server must drop them
    try:
        baseline_threads = threading.active_count()
        for round_ in range(3):
            stalled += load(port, stalled=round_ == 0)
            deadline = time.monotonic() + serve.STALL_S + 5
            while time.monotonic() < deadline and not settled(server, slots, hub):
                time.sleep(0.2)
            assert settled(server, slots, hub), held_now(server, slots, hub)
            assert threading.active_count() == baseline_threads
    finally:
        app.extensions["booth.stopping"].set()
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)
        loop.join(timeout=5)
        for sock in stalled:
            sock.close()


def load(port: int, stalled: bool) -> list[socket.socket]:
    """One round of clients; returns the stalled ones (opened, read from once, then left unread)."""
    for path in ("/", "/api/status", "/healthz"):
        for source in (KIOSK, "127.0.0.2"):
            with open_stream(port, path + "?x", source) as sock:
                assert status_of(sock) == 200
    for path in ("/stream.mjpg", "/api/events"):
        for source in (KIOSK, "127.0.0.3"):
            with open_stream(port, path, source) as sock:
                read_until(sock, b"\r\n\r\n")
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"GET / HTTP/1.1\r\n")  # gone before its headers end
    slow.close()
    left = []
    if stalled:  # once the streams above have ended (noticed at their next write)
        time.sleep(1.5)
    for path in ("/stream.mjpg", "/api/events") if stalled else ():
        sock = open_stream(port, path, "127.0.0.4", TINY)
        assert status_of(sock) == 200
        left.append(sock)
    return left


def held_now(server, slots, hub) -> dict[str, int]:
    return {
        "subscriptions": len(hub._subscribers),
        "preview slots": slots["preview"].open,
        "event slots": slots["events"].open,
        "slot addresses": slots["preview"].addresses() + slots["events"].addresses(),
        "admitted": server.admission.open,
        "admitted addresses": server.admission.addresses(),
        "channels": len(server.active_channels),
    }


def settled(server, slots, hub) -> bool:
    return not any(held_now(server, slots, hub).values())

"""Hostile and slow clients against a real ``booth run`` (issue 15, items 12 and 18c), with raw sockets.

The kiosk is 127.0.0.1 (``web.kiosk_addresses``, asked for as ``127.0.0.1:<port>``); other clients on the
studio network are other loopback addresses (127.0.0.2 and up: Linux routes all of 127/8 to ``lo``).
Mocked only at the hardware boundaries: ``--camera replay:single_face.mp4 --pins mock``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator

import pytest
from web_helpers import running_booth

from booth.web import admission, serve

KIOSK = "127.0.0.1"


@pytest.fixture(scope="module")
def booth(tmp_path_factory, media) -> Iterator[tuple[str, int]]:
    """A running booth with the default web settings: its base URL and port."""
    for _proc, base, _cfg, _tmp in running_booth(tmp_path_factory.mktemp("slow"), media):
        yield base, int(base.rsplit(":", 1)[1])


def connect(port: int, source: str, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def request(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()


def answer(port: int, path: str, source: str = KIOSK, timeout: float = 5.0) -> tuple[int, bytes, float]:
    """(status, body, seconds) of one whole GET from ``source``; the server closes after it."""
    started = time.monotonic()
    with connect(port, source) as sock:
        sock.settimeout(timeout)
        sock.sendall(request(port, path))
        data = read_to_end(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body, time.monotonic() - started


def read_to_end(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def settled(port: int, source: str, seconds: float = 10.0) -> None:
    """Wait until ``source`` is admitted again: connections an earlier test closed are let go by the
    server's next check (every second), not at the instant the client closes them."""
    deadline = time.monotonic() + seconds
    while answer(port, "/healthz", source)[0] != 200:
        assert time.monotonic() < deadline, f"{source} still refused {seconds} s after the last test"
        time.sleep(0.2)


def slow_sockets(port: int, source: str, count: int) -> list[socket.socket]:
    """``count`` connections that each sent a request line and one header, and no end of headers."""
    socks = []
    for _ in range(count):
        sock = connect(port, source)
        sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())
        socks.append(sock)
    return socks


def trickle(socks: list[socket.socket]) -> None:
    """One more header line on each: activity, which waitress's own idle timeout counts."""
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.send(b"X-Slow: 1\r\n")


def closed_with(sock: socket.socket, timeout: float) -> bytes | None:
    """What the server sent before closing ``sock`` within ``timeout`` s, or None if it stayed open."""
    sock.settimeout(timeout)
    try:
        return read_to_end(sock)
    except TimeoutError:
        return None
    except ConnectionResetError:
        return b""


def test_slow_header_sockets_do_not_starve_the_page_and_are_closed(booth):
    """100 sockets from the kiosk's address and 100 from a phone's, each trickling a header line: the
    page answers at once, the phone holds at most its share, and every one is closed by the header timeout
    with a one-line 408 (the ones over the phone's share are refused at once with a one-line 503)."""
    _, port = booth
    started = time.monotonic()
    kiosk_socks = slow_sockets(port, KIOSK, 100)
    phone_socks = slow_sockets(port, "127.0.0.2", 100)
    try:
        while time.monotonic() - started < serve.HEADER_TIMEOUT_S - 2:
            trickle(kiosk_socks + phone_socks)
            for path in ("/healthz", "/"):
                status, _, seconds = answer(port, path)
                assert status == 200 and seconds < 2, (path, status, seconds)
            status, _, seconds = answer(port, "/", source="127.0.0.3")  # another phone: its own share
            assert status == 200 and seconds < 2
            time.sleep(1.0)
        deadline = started + serve.HEADER_TIMEOUT_S + 4
        got = [closed_with(sock, max(0.1, deadline - time.monotonic())) for sock in kiosk_socks + phone_socks]
        assert None not in got, "a slow-header socket was still open after the header timeout"
        refused = [g for g in got if g.startswith(b"HTTP/1.1 503 ")]
        timed_out = [g for g in got if g.startswith(b"HTTP/1.1 408 ")]
        assert len(refused) == 100 - admission.PER_ADDRESS and len(timed_out) == 100 + admission.PER_ADDRESS
        assert refused[0].endswith(
            b"16 connections from this address are open already; close other pages of the booth, or wait "
            b"a little, and retry\n"
        )
        assert timed_out[0].endswith(
            b"its request headers were not complete within 10 s; send the whole request at once\n"
        )
    finally:
        for sock in kiosk_socks + phone_socks:
            sock.close()


def test_phones_cannot_take_the_connections_kept_for_the_kiosk(booth):
    """Enough phones to fill the pool: a new phone is refused in one line; the kiosk is still served."""
    _, port = booth
    shared = admission.POOL - admission.KIOSK_RESERVE - admission.OPERATOR_RESERVE
    phones = [f"127.0.1.{n}" for n in range(1, shared // admission.PER_ADDRESS + 2)]
    socks = [s for phone in phones for s in slow_sockets(port, phone, admission.PER_ADDRESS)]
    try:
        status, body, _ = answer(port, "/", source="127.0.2.1")
        assert status == 503
        assert body == (
            b"the booth has too many open connections; close other pages of the booth, or wait a little, "
            b"and retry\n"
        )
        for path in ("/healthz", "/", "/api/status"):
            status, _, seconds = answer(port, path)
            assert status == 200 and seconds < 2
    finally:
        for sock in socks:
            sock.close()


def test_a_refused_stream_closes_its_connection(booth):
    """A phone over its share of event streams gets a 503 and the connection closed, not kept open."""
    _, port = booth
    phone = "127.0.0.4"
    settled(port, phone)
    streams = [connect(port, phone) for _ in range(2)]
    try:
        for sock in streams:
            sock.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            sock.settimeout(5)
            assert sock.recv(100).startswith(b"HTTP/1.1 200 ")
        with connect(port, phone) as third:
            third.settimeout(5)
            third.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            got = read_to_end(third)  # returns only because the server closed the connection
        head, _, body = got.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503 ") and b"Connection: close" in head
        assert json.loads(body)["error"] == (
            "2 events streams are open from this address; close one and retry"
        )
    finally:
        for sock in streams:
            sock.close()


def test_the_preview_and_face_scores_are_the_kiosks_and_the_operators_by_default(booth):
    """web.lan_preview is off: a phone gets 403 for the preview and the status without the face."""
    _, port = booth
    settled(port, "127.0.0.5")
    status, body, _ = answer(port, "/stream.mjpg", source="127.0.0.5")
    assert status == 403
    assert "web.lan_preview" in json.loads(body)["error"]
    status, body, _ = answer(port, "/api/status", source="127.0.0.5")
    phone = json.loads(body)
    assert status == 200 and phone["face"] is None and phone["trigger"] is None and phone["hint"] == ""
    deadline = time.monotonic() + 10
    while True:  # the replayed face is in view most of the time; the kiosk sees its readings
        status, body, _ = answer(port, "/api/status")
        kiosk = json.loads(body)
        if kiosk["face"] is not None:
            break
        assert time.monotonic() < deadline, "the kiosk never saw a face reading"
        time.sleep(0.2)
    assert "looks" in kiosk["face"] and kiosk["trigger"] is not None
    with connect(port, "127.0.0.5") as sock:  # the phone's event stream: the status without the face
        sock.settimeout(5)
        sock.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        data = b""
        while data.count(b"event: status") < 3:
            data += sock.recv(65536)
    for block in data.split(b"\n\n"):
        if block.startswith(b"event: status"):
            event = json.loads(block.split(b"data: ", 1)[1])
            assert event["face"] is None and event["trigger"] is None


def test_admission_keeps_its_reserves_and_forgets_what_has_closed():
    """The counting alone: phones share the pool less both reserves, an operator's address also gets the
    operator's reserve (for an hour after its last operator request), the kiosk the rest."""
    now = [0.0]
    gate = admission.Admission(lambda address: address == KIOSK, pool=60, clock=lambda: now[0])
    shared = 60 - admission.KIOSK_RESERVE - admission.OPERATOR_RESERVE
    phones = [f"10.0.0.{n}" for n in range(shared)]
    assert all(gate.admit(phone) is None for phone in phones)
    assert gate.admit("10.0.1.1") == "the booth has too many open connections"
    gate.note_operator("10.0.1.2")
    assert all(gate.admit("10.0.1.2") is None for _ in range(admission.OPERATOR_RESERVE // 2))
    assert gate.admit("10.0.1.3") is not None
    while gate.admit(KIOSK) is None:
        pass
    assert gate.open == 60
    now[0] += admission.OPERATOR_MEMORY_S + 1  # an hour without an operator request: a phone again
    for address in phones + [KIOSK] * gate.held(KIOSK):
        gate.release(address)
    assert gate.open == admission.OPERATOR_RESERVE // 2 == shared
    assert gate.admit("10.0.1.2") == "the booth has too many open connections"
    for _ in range(gate.held("10.0.1.2")):
        gate.release("10.0.1.2")
    assert gate.open == 0 and gate.addresses() == 0
    full = admission.Admission(lambda address: False)  # the real pool: room for a whole per-address share
    assert all(full.admit("10.0.3.1") is None for _ in range(admission.PER_ADDRESS))
    assert full.admit("10.0.3.1") == "16 connections from this address are open already"
    for n in range(3 * admission.OPERATOR_ADDRESSES):
        gate.note_operator(f"10.0.2.{n}")
    assert len(gate._operators) == admission.OPERATOR_ADDRESSES  # a flood of addresses stays bounded

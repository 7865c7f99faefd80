"""booth.sdnotify against a real Unix datagram socket standing in for systemd's ``$NOTIFY_SOCKET``.

Nothing is mocked: a socket is bound in a temporary folder (or in the abstract namespace) and the datagrams
the booth sends are read back. The watchdog's timing is driven by an injected clock where the decision is
tested, and by the real clock (with generous bounds) where the thread is.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from booth import sdnotify


@pytest.fixture
def receiver(tmp_path: Path):
    """A bound AF_UNIX/SOCK_DGRAM socket, like the one systemd listens on; yields (socket, path)."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2.0)
    yield sock, str(path)
    sock.close()


def received(sock: socket.socket) -> list[str]:
    """Every datagram waiting on ``sock``, without blocking."""
    messages = []
    sock.setblocking(False)
    try:
        while True:
            messages.append(sock.recv(4096).decode())
    except BlockingIOError:
        pass
    finally:
        sock.settimeout(2.0)
    return messages


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_notify_sends_one_datagram_to_notify_socket(receiver, monkeypatch):
    sock, path = receiver
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    assert sdnotify.notify("READY=1\nSTATUS=hello") is True
    assert sock.recv(4096) == b"READY=1\nSTATUS=hello"
    assert received(sock) == []


def test_notify_abstract_socket():
    name = f"booth-test-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2.0)
        assert sdnotify.notify("STOPPING=1", f"@{name}") is True
        assert sock.recv(4096) == b"STOPPING=1"


def test_notify_without_socket_is_a_noop(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.notify("READY=1") is False


def test_notify_to_a_dead_socket_logs_and_returns_false(tmp_path, caplog):
    assert sdnotify.notify("READY=1", str(tmp_path / "gone.sock")) is False
    assert "sd_notify" in caplog.text


@pytest.mark.parametrize(
    ("env", "interval"),
    [
        ({}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "10000000"}, 5.0),
        ({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "4242"}, 5.0),
        ({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"}, None),
        ({"WATCHDOG_USEC": "junk"}, None),
    ],
)
def test_watchdog_interval_is_half_of_watchdog_usec_for_this_pid(env, interval):
    assert sdnotify.watchdog_interval(env, pid=4242) == interval


def test_ready_once_after_first_frame_then_pings_while_frames_advance(receiver):
    sock, path = receiver
    clock = FakeClock()
    frames = [0]
    dog = sdnotify.Watchdog(lambda: frames[0], 5.0, clock=clock, send=lambda m: sdnotify.notify(m, path))

    dog.tick()
    clock.now += 6
    dog.tick()
    assert received(sock) == [], "no READY before the camera delivered a frame, and no ping either"

    frames[0] = 1
    dog.tick()
    messages = received(sock)
    assert len(messages) == 1
    assert messages[0].splitlines()[0] == "READY=1"

    # Frames advance every second; the ping comes once 5 s have passed since READY, not before.
    pings = []
    for second in range(1, 12):
        clock.now += 1
        frames[0] += 30
        dog.tick()
        pings += [second for m in received(sock) if m.startswith("WATCHDOG=1")]
    assert pings == [5, 10]
    assert not any(m.startswith("READY=1") for m in received(sock)), "READY=1 is sent exactly once"


def test_no_ping_when_frames_stall_and_pings_resume_when_they_advance(receiver):
    sock, path = receiver
    clock = FakeClock()
    frames = [10]
    dog = sdnotify.Watchdog(lambda: frames[0], 5.0, clock=clock, send=lambda m: sdnotify.notify(m, path))
    dog.tick()
    assert received(sock)[0].startswith("READY=1")

    for _ in range(15):  # 15 s of a frozen counter: three whole watchdog intervals
        clock.now += 1
        dog.tick()
    messages = received(sock)
    assert not any("WATCHDOG=1" in m for m in messages)
    assert messages == ["STATUS=camera stalled at 10 frames"], "the stall is reported once, not every tick"

    frames[0] = 11
    clock.now += 1
    dog.tick()
    messages = received(sock)
    assert len(messages) == 1
    assert messages[0].startswith("WATCHDOG=1\n")


def test_status_carries_the_frame_count(receiver):
    sock, path = receiver
    clock = FakeClock()
    frames = [3]
    dog = sdnotify.Watchdog(lambda: frames[0], None, clock=clock, send=lambda m: sdnotify.notify(m, path))
    dog.tick()
    frames[0] = 40
    clock.now += 100
    dog.tick()
    messages = received(sock)
    assert messages == ["READY=1\nSTATUS=camera delivering, 3 frames", "STATUS=camera delivering, 40 frames"]
    assert not any("WATCHDOG" in m for m in messages), "no watchdog configured: never ping"


def test_thread_pings_in_real_time_and_stops_with_stopping(receiver):
    """The real thread with WatchdogSec=0.5 s: ping about every 0.25 s, then STOPPING=1 on stop."""
    sock, path = receiver
    frames = [0]

    def counter() -> int:
        frames[0] += 1
        return frames[0]

    dog = sdnotify.Watchdog(counter, 0.25, send=lambda m: sdnotify.notify(m, path))
    assert dog.poll_seconds == pytest.approx(0.05)
    dog.start()
    try:
        first = sock.recv(4096).decode()
        assert first.startswith("READY=1")
        started = time.monotonic()
        pings = 0
        while pings < 3:
            if sock.recv(4096).startswith(b"WATCHDOG=1"):
                pings += 1
        elapsed = time.monotonic() - started
    finally:
        dog.stop()
    assert 0.5 <= elapsed < 5, f"3 pings at a 0.25 s interval took {elapsed:.2f} s"
    assert received(sock)[-1] == "STOPPING=1"


def test_thread_withholds_pings_when_camera_stalls(receiver):
    sock, path = receiver
    dog = sdnotify.Watchdog(lambda: 7, 0.1, send=lambda m: sdnotify.notify(m, path))
    dog.start()
    try:
        assert sock.recv(4096).startswith(b"READY=1")
        time.sleep(0.6)
    finally:
        dog.stop(stopping=False)
    messages = received(sock)
    assert messages == ["STATUS=camera stalled at 7 frames"]


def test_a_failing_frame_counter_sends_nothing_but_keeps_the_thread_alive(receiver, caplog):
    sock, path = receiver
    calls = []

    def broken() -> int:
        calls.append(1)
        raise RuntimeError("camera layer bug")

    dog = sdnotify.Watchdog(broken, 0.1, send=lambda m: sdnotify.notify(m, path))
    dog.start()
    time.sleep(0.3)
    dog.stop(stopping=False)
    assert len(calls) >= 2, "the thread kept ticking after the first failure"
    assert received(sock) == []
    assert "watchdog tick failed" in caplog.text

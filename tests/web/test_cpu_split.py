"""The booth's CPU split (issue 17): with a preview viewer and an event stream connected, every stage fills,
the streams charge their own work to the service, and a camera swap loses no counts.

Mocked only at the hardware boundaries: the replay camera (real footage) stands in for the Pi camera and
gpiozero's MockFactory for the pins; the service, the page's streams and the ledgers are the real ones.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields

from support import wait_until

from booth.cpu_ledger import ANALYSIS, CONVERSION, EVENTS, PREVIEW, STAGES, CpuLedger


class StreamReader:
    """One client reading a stream on its own thread (the Flask test client runs the view's generator
    there, as a server worker would), until the app stops its streams."""

    def __init__(self, app, path: str) -> None:
        self.chunks = 0
        self.status: int | None = None
        self._app, self._path = app, path
        self.thread = threading.Thread(target=self._read, name=f"reader{path}", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        response = self._app.test_client().get(self._path, buffered=False)
        self.status = response.status_code
        try:
            for _ in response.response:
                self.chunks += 1
        finally:
            response.close()


@contextmanager
def viewer_and_listener(app) -> Iterator[tuple[StreamReader, StreamReader]]:
    """The kiosk's two streams (the test client is 127.0.0.1 asking for localhost: the kiosk screen)."""
    readers = StreamReader(app, "/stream.mjpg"), StreamReader(app, "/api/events")
    try:
        yield readers
    finally:
        app.extensions["booth.stopping"].set()  # the streams end at their next turn
        for reader in readers:
            reader.thread.join(10)


def test_every_stage_fills_while_a_viewer_and_a_listener_watch(app, service):
    start, cpu_before = service.cpu_split(), time.process_time()
    with viewer_and_listener(app) as (viewer, listener):

        def filled():
            window = service.cpu_split() - start
            stages = all(window.seconds(stage) > 0 for stage in STAGES)
            return stages and window.frames > 60 and viewer.chunks > 2 and listener.chunks > 2

        wait_until(filled, 30, "CPU in every stage with both streams read")
        window, cpu = service.cpu_split() - start, time.process_time() - cpu_before
    assert viewer.status == 200 and listener.status == 200
    # Each thread charges only its own CPU, once: the stages never add up to more than the process spent
    # (give or take the blocks that were under way when the window opened: a frame's analysis, at most).
    assert window.staged <= cpu + 0.1
    assert all(ms > 0 for ms in window.ms_per_frame().values())


class ChargeLog(CpuLedger):
    """The service's ledger, noting which thread charged which stage."""

    def __init__(self) -> None:
        super().__init__()
        self.charged: set[tuple[str, str]] = set()

    def add(self, stage: str, seconds: float) -> None:
        self.charged.add((threading.current_thread().name, stage))
        super().add(stage, seconds)


def test_the_streams_charge_their_serialization_to_the_service(app, service):
    service.cpu = log = ChargeLog()  # before the streams open: each takes the service's ledger then
    with viewer_and_listener(app) as (viewer, listener):
        wanted = {
            ("booth-analysis", ANALYSIS),
            ("booth-analysis", EVENTS),
            (listener.thread.name, EVENTS),  # each listener's own copy of the event, as SSE
            (viewer.thread.name, PREVIEW),  # the multipart framing of each preview frame
        }
        wait_until(lambda: wanted <= log.charged, 30, f"charges {sorted(wanted)}")
    # The camera's own work stays on the camera's ledger; the service's ledger never sees it.
    assert not any(stage == CONVERSION for _, stage in log.charged)
    assert service.camera.cpu.snapshot().conversion > 0 and service.camera.cpu.snapshot().preview > 0


def test_a_camera_swap_keeps_what_the_old_camera_counted(service, media):
    wait_until(lambda: service.cpu_split().frames > 10, 20, "frames from the first clip")
    old = service.camera
    service.update_settings({"camera": {"source": f"replay:{media('no_face.mp4')}"}})
    assert service.camera is not old and not old.running
    counted = old.cpu.snapshot()  # final: the old camera has stopped
    wait_until(lambda: service.camera.cpu.snapshot().frames > 5, 20, "frames from the new clip")
    after = service.cpu_split()
    assert after.frames >= counted.frames + 5
    assert all(getattr(after, f.name) >= getattr(counted, f.name) for f in fields(after))


def test_the_status_shows_the_split_over_the_last_window(client, service):
    """``/api/status`` carries what ``make bench`` measures, from the booth as it runs: each stage,
    "other" and the total, in CPU ms per camera frame over the service's last window (shortened here)."""
    assert client.get("/api/status").get_json()["cpu_ms_per_frame"] is None  # no window has closed yet
    service.cpu_window.seconds = 0.5

    def split():
        return client.get("/api/status").get_json()["cpu_ms_per_frame"]

    wait_until(lambda: split() is not None, 20, "a CPU window closed")
    shown = split()
    assert set(shown) == {*STAGES, "other", "total"}
    assert shown[ANALYSIS] > 0 and shown[CONVERSION] > 0
    assert shown["total"] >= shown[ANALYSIS] + shown[CONVERSION]

"""The two long-lived responses: the live preview (``/stream.mjpg``) and live events (``/api/events``, SSE).

Why capped and recycled: each open stream holds one of the server's worker threads for as long as the
client stays. :class:`StreamSlots` refuses one viewer too many with 503 (the page retries later), and every
stream ends after ``web.stream_recycle_s`` (the page reopens it), so a stuck or forgotten client cannot
hold a thread forever. Both streams also end promptly when the server stops (:data:`STOPPING` in the app's
extensions), so shutdown never waits on them.

Why the preview costs nothing unwatched: frames are JPEG-encoded only when a viewer asks
(:meth:`BoothService.preview_jpeg` encodes lazily and caches per frame), at most ``web.preview_fps`` times a
second per viewer, and a frame already sent is not sent again, except as a keep-alive: while no new frame
comes (camera stalled), the last one (or a tiny placeholder) is re-sent every :data:`KEEPALIVE_S`, because
a server notices that a viewer has gone only when it writes, and a silent stream would keep a dead viewer's
slot until it is recycled.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, request
from PIL import Image

from booth.imaging import encode_jpeg
from booth.web.context import booth_service, is_trusted, web_settings

log = logging.getLogger(__name__)

bp = Blueprint("streams", __name__)

BOUNDARY = "boothframe"
#: Longest silence on a preview stream; the server learns that a viewer left only when it writes.
KEEPALIVE_S = 1.0
#: Side of the keep-alive picture sent before the first frame (booth.js's preview() knows it).
PLACEHOLDER_SIZE = 8


class StreamSlots:
    """A counting cap on concurrent streams of one kind."""

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.open = 0
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        with self._lock:
            if self.open >= self.limit:
                return False
            self.open += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.open = max(0, self.open - 1)


def _busy(kind: str) -> Response:
    log.info("%s: all stream slots taken; refusing %s", kind, request.remote_addr)
    body = json.dumps({"error": f"too many {kind} viewers; try again shortly"})
    return Response(body, 503, mimetype="application/json", headers={"Retry-After": "5"})


def _stopping() -> threading.Event:
    return current_app.extensions["booth.stopping"]


def _part(jpeg: bytes) -> bytes:
    head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
    return head.encode() + jpeg + b"\r\n"


@functools.cache
def placeholder_jpeg() -> bytes:
    """A tiny dark JPEG, the keep-alive part before the camera's first frame.

    ``PLACEHOLDER_SIZE`` pixels wide: the kiosk counts its preview as live only when the picture is wider, so
    "Camera starting..." stays up until real frames arrive.
    """
    return encode_jpeg(Image.new("RGB", (PLACEHOLDER_SIZE, PLACEHOLDER_SIZE), (16, 16, 16)), 50)


@bp.get("/stream.mjpg")
def preview() -> Response:
    slots: StreamSlots = current_app.extensions["booth.slots"]["preview"]
    if not slots.acquire():
        return _busy("preview")
    service = booth_service()
    settings = web_settings()
    stopping = _stopping()
    period = 1.0 / settings.preview_fps
    ends = time.monotonic() + settings.stream_recycle_s
    quality = settings.preview_quality

    def frames() -> Iterator[bytes]:
        last = -1
        jpeg: bytes | None = None
        sent_at = time.monotonic()
        try:
            while not stopping.is_set() and time.monotonic() < ends:
                started = time.monotonic()
                latest = service.preview_jpeg(quality)
                if latest is not None and latest[0] != last:
                    last, jpeg = latest
                    sent_at = started
                    yield _part(jpeg)
                elif started - sent_at >= KEEPALIVE_S:
                    # No new frame (camera stalled or not started): write anyway, or a viewer who left
                    # would hold its slot until the stream is recycled, as the server notices a closed
                    # connection only when it writes to it.
                    sent_at = started
                    yield _part(jpeg if jpeg is not None else placeholder_jpeg())
                stopping.wait(max(0.0, period - (time.monotonic() - started)))
        finally:
            slots.release()

    return Response(
        frames(),
        mimetype=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def sse(event: dict[str, Any]) -> bytes:
    kind = str(event.get("type", "message"))
    return f"event: {kind}\ndata: {json.dumps(event, separators=(',', ':'), default=str)}\n\n".encode()


@bp.get("/api/events")
def events() -> Response:
    slots: StreamSlots = current_app.extensions["booth.slots"]["events"]
    if not slots.acquire():
        return _busy("event")
    service = booth_service()
    settings = web_settings()
    stopping = _stopping()
    trusted = is_trusted()
    ends = time.monotonic() + settings.stream_recycle_s
    heartbeat = settings.heartbeat_s
    try:
        subscription = service.subscribe()
    except BaseException:
        slots.release()
        raise

    def stream() -> Iterator[bytes]:
        try:
            yield b"retry: 2000\n\n"
            yield sse({"type": "status", **service.status().to_json(trusted)})
            quiet_since = time.monotonic()
            while not stopping.is_set() and time.monotonic() < ends:
                event = subscription.get(timeout=min(1.0, heartbeat))
                if event is None:
                    if time.monotonic() - quiet_since >= heartbeat:
                        quiet_since = time.monotonic()
                        yield b": heartbeat\n\n"
                    continue
                quiet_since = time.monotonic()
                yield sse(event.for_listener(trusted))
            yield sse({"type": "recycle"})
        finally:
            subscription.close()
            slots.release()

    return Response(
        stream(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )

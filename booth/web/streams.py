"""The two long-lived responses: the live preview (``/stream.mjpg``) and live events (``/api/events``, SSE).

Why capped and recycled: each open stream holds one of the server's worker threads for as long as the
client stays. :class:`StreamSlots` refuses one viewer too many with 503 (the page retries later), and every
stream ends after ``web.stream_recycle_s`` (the page reopens it), so a stuck or forgotten client cannot
hold a thread forever. Both streams also end promptly when the server stops (:data:`STOPPING` in the app's
extensions), so shutdown never waits on them.

Why the last slots are kept back: the kiosk screen and the operator must get their streams whoever else is
watching, so the last :data:`TRUSTED_RESERVE` slots of each kind are theirs, and another client holds at
most :data:`PER_ADDRESS_STREAMS` of a kind. A client that stops reading is the server's to drop
(:mod:`booth.web.serve`: no progress for a few seconds closes the connection, and the stream ends at its
next write); the release is tied to the response's close, so it happens even if the stream never started.

Who may watch: the preview, and the face readings in the status events, only the kiosk screen and a
logged-in operator unless ``web.lan_preview`` is on (:func:`booth.web.context.may_watch_preview`).

Why the preview costs nothing unwatched: frames are JPEG-encoded only when a viewer asks
(:meth:`BoothService.preview_jpeg` encodes lazily and caches per frame), at most ``web.preview_fps`` times a
second per viewer, and a frame already sent is not sent again, except as a keep-alive: while no new frame
comes (camera stalled), the last one (or a tiny placeholder) is re-sent every :data:`KEEPALIVE_S`, because
a server notices that a viewer has gone only when it writes, and a silent stream would keep a dead viewer's
slot until it is recycled. Why memory stays flat for a slow viewer: while the last frame (or status
event) sent is still queued in the server for the client, newer ones are skipped rather than queued, so a
viewer on a weak link gets fewer frames, not a growing backlog of old ones.

What the streams cost is charged to the service's CPU ledger (:mod:`booth.cpu_ledger`): each listener's
serialization of an event as events, each multipart frame as preview (the JPEG itself is the camera's).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, Response, current_app, request
from PIL import Image

from booth.cpu_ledger import EVENTS, PREVIEW
from booth.imaging import encode_jpeg
from booth.web.context import (
    booth_service,
    for_client,
    is_trusted,
    may_watch_preview,
    trust_holds,
    unsent_probe,
    web_settings,
)

log = logging.getLogger(__name__)

bp = Blueprint("streams", __name__)

BOUNDARY = "boothframe"
#: Longest silence on a preview stream; the server learns that a viewer left only when it writes.
KEEPALIVE_S = 1.0
#: Side of the keep-alive picture sent before the first frame (booth.js's preview() knows it).
PLACEHOLDER_SIZE = 8
#: Slots of each kind only the kiosk screen and a logged-in operator may take (one each).
TRUSTED_RESERVE = 2
#: Streams of one kind one other address may hold at once (two tabs).
PER_ADDRESS_STREAMS = 2


class StreamSlots:
    """A counting cap on concurrent streams of one kind, with the last slots kept for trusted clients."""

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.open = 0
        self._by_address: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, address: str | None = None, trusted: bool = True) -> str | None:
        """Take a slot for ``address`` and return None, or return why not (the 503's one line)."""
        key = address or "?"
        with self._lock:
            held = self._by_address.get(key, 0)
            if not trusted:
                if self.open >= self.limit - TRUSTED_RESERVE:
                    return f"too many {self.name} viewers; try again shortly"
                if held >= PER_ADDRESS_STREAMS:
                    return f"{held} {self.name} streams are open from this address; close one and retry"
            elif self.open >= self.limit:
                return f"too many {self.name} viewers; try again shortly"
            self.open += 1
            self._by_address[key] = held + 1
            return None

    def release(self, address: str | None = None) -> None:
        key = address or "?"
        with self._lock:
            held = self._by_address.get(key, 0)
            if held <= 0:
                return
            self.open = max(0, self.open - 1)
            if held == 1:
                del self._by_address[key]
            else:
                self._by_address[key] = held - 1

    def addresses(self) -> int:
        """Addresses holding a slot (it returns to 0 when every stream has ended)."""
        with self._lock:
            return len(self._by_address)


def _take_slot(kind: str) -> tuple[StreamSlots, Response | None]:
    """This client's slot of ``kind`` (``preview`` or ``events``), or the 503 that refuses it."""
    slots: StreamSlots = current_app.extensions["booth.slots"][kind]
    refusal = slots.acquire(request.remote_addr, is_trusted())
    if refusal is None:
        return slots, None
    log.info("%s: refusing %s: %s", kind, request.remote_addr, refusal)
    body = json.dumps({"error": refusal})
    return slots, Response(body, 503, mimetype="application/json", headers={"Retry-After": "5"})


def _streaming(body: Iterator[bytes], mimetype: str, on_close: Callable[[], None]) -> Response:
    response = Response(
        body, mimetype=mimetype, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    response.call_on_close(on_close)  # on close, started or not: a never-iterated generator runs no finally
    return response


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
    if not may_watch_preview():
        log.info("preview: refusing %s: not the kiosk screen or the operator", request.remote_addr)
        body = json.dumps(
            {
                "error": "the live preview is for the booth's screen and the logged-in operator; "
                "log in at /operator, or set web.lan_preview = true to show it on the network"
            }
        )
        return Response(body, 403, mimetype="application/json")
    slots, refused = _take_slot("preview")
    if refused is not None:
        return refused
    address = request.remote_addr
    service = booth_service()
    settings = web_settings()
    stopping = _stopping()
    unsent = unsent_probe()
    period = 1.0 / settings.preview_fps
    ends = time.monotonic() + settings.stream_recycle_s
    quality = settings.preview_quality
    ledger = service.cpu

    def part(jpeg: bytes) -> bytes:
        with ledger.measure(PREVIEW):
            return _part(jpeg)

    def frames() -> Iterator[bytes]:
        last = -1
        jpeg: bytes | None = None
        sent_at = time.monotonic()
        while not stopping.is_set() and time.monotonic() < ends:
            started = time.monotonic()
            if unsent():
                pass  # the last frame is still on its way: skip this one rather than queue it
            elif (latest := service.preview_jpeg(quality)) is not None and latest[0] != last:
                last, jpeg = latest
                sent_at = started
                yield part(jpeg)
            elif started - sent_at >= KEEPALIVE_S:
                # No new frame (camera stalled or not started): write anyway, or a viewer who left
                # would hold its slot until the stream is recycled, as the server notices a closed
                # connection only when it writes to it.
                sent_at = started
                yield part(jpeg if jpeg is not None else placeholder_jpeg())
            stopping.wait(max(0.0, period - (time.monotonic() - started)))

    return _streaming(
        frames(), f"multipart/x-mixed-replace; boundary={BOUNDARY}", lambda: slots.release(address)
    )


def sse(event: dict[str, Any]) -> bytes:
    kind = str(event.get("type", "message"))
    return f"event: {kind}\ndata: {json.dumps(event, separators=(',', ':'), default=str)}\n\n".encode()


@bp.get("/api/events")
def events() -> Response:
    """Live events; a status event is held back while the last one sent is still queued for the client
    (each status replaces the one before, so only the newest is sent once the queue drains)."""
    slots, refused = _take_slot("events")
    if refused is not None:
        return refused
    address = request.remote_addr
    service = booth_service()
    settings = web_settings()
    stopping = _stopping()
    trusted = is_trusted()
    still_trusted = trust_holds()
    preview = may_watch_preview()
    unsent = unsent_probe()
    ends = time.monotonic() + settings.stream_recycle_s
    heartbeat = settings.heartbeat_s
    try:
        subscription = service.subscribe()
    except BaseException:
        slots.release(address)
        raise
    first = for_client({"type": "status", **service.status().to_json(trusted)}, preview)
    ledger = service.cpu

    def serialized(payload: dict[str, Any]) -> bytes:
        with ledger.measure(EVENTS):  # this listener's own copy of the event, as SSE
            return sse(payload)

    def stream() -> Iterator[bytes]:
        yield b"retry: 2000\n\n"
        yield serialized(first)
        quiet_since = time.monotonic()
        held: dict[str, Any] | None = None
        while not stopping.is_set() and time.monotonic() < ends:
            if not still_trusted():  # logged out meanwhile: end here; the reconnect is judged afresh
                break
            event = subscription.get(timeout=min(1.0, heartbeat))
            if event is not None and event.kind != "status":
                quiet_since = time.monotonic()
                yield serialized(event.for_listener(trusted))
                continue
            if event is not None:
                held = for_client(event.for_listener(trusted), preview)
            if held is not None and not unsent():
                quiet_since = time.monotonic()
                yield serialized(held)
                held = None
            elif time.monotonic() - quiet_since >= heartbeat:
                quiet_since = time.monotonic()
                yield b": heartbeat\n\n"
        yield sse({"type": "recycle"})

    def close() -> None:
        subscription.close()
        slots.release(address)

    return _streaming(stream(), "text/event-stream", close)

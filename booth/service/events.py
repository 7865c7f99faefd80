"""The booth's live events and their listeners (the page's SSE streams).

Why its own module: the analysis thread publishes and any number of web threads listen, so the fan-out and
its bounded queues are one small, thread-safe piece with no knowledge of sessions or frames. Each event is
built once with two payloads, the full one for the kiosk screen and the operator and the public one for any
other client, so "what a stranger may see" is decided where the event is made, not by filtering keys later.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Events a slow listener may lag behind before it loses the oldest.
QUEUE_SIZE = 64


@dataclass(frozen=True)
class Event:
    """One live event: ``kind`` (the SSE event name), and what trusted and other listeners may read."""

    kind: str
    data: Mapping[str, Any]
    public_data: Mapping[str, Any] | None = None  # None: the same as ``data`` (nothing private in it)

    def for_listener(self, trusted: bool) -> dict[str, Any]:
        """The JSON the listener receives; ``type`` names the event, as the page expects."""
        payload = self.data if trusted or self.public_data is None else self.public_data
        return {"type": self.kind, **payload}


class Subscription:
    """A bounded queue of events for one listener: a slow one loses old events, never blocks the booth."""

    def __init__(self, hub: EventHub) -> None:
        self._queue: queue.Queue[Event] = queue.Queue(maxsize=QUEUE_SIZE)
        self._hub = hub

    def put(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            try:
                self._queue.get_nowait()
                self._queue.put_nowait(event)
            except (queue.Empty, queue.Full):
                pass

    def get(self, timeout: float | None = None) -> Event | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._hub.remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventHub:
    """Fans each published event out to every open subscription (any thread may publish or subscribe)."""

    def __init__(self) -> None:
        self._subscribers: list[Subscription] = []
        self._lock = threading.Lock()

    def subscribe(self) -> Subscription:
        subscription = Subscription(self)
        with self._lock:
            self._subscribers.append(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)

    def publish(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            subscription.put(event)

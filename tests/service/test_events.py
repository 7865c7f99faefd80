"""booth.service.events: one event, two payloads; bounded subscriptions that never block the publisher."""

from __future__ import annotations

import threading

from booth.service.events import QUEUE_SIZE, Event, EventHub


def test_a_stranger_gets_the_public_payload_and_the_kiosk_the_full_one():
    event = Event("shot", {"id": 3, "session_token": "secret"}, {"id": 3})
    assert event.for_listener(trusted=True) == {"type": "shot", "id": 3, "session_token": "secret"}
    assert event.for_listener(trusted=False) == {"type": "shot", "id": 3}
    plain = Event("fire", {"look": "intense"})
    assert plain.for_listener(trusted=False) == {"type": "fire", "look": "intense"}


def test_every_subscriber_gets_each_event_and_a_closed_one_none():
    hub = EventHub()
    with hub.subscribe() as a, hub.subscribe() as b:
        hub.publish(Event("status", {"n": 1}))
        assert a.get(1).data == {"n": 1} and b.get(1).data == {"n": 1}
    hub.publish(Event("status", {"n": 2}))
    assert a.get(0.01) is None  # closed: removed from the hub


def test_a_slow_listener_loses_the_oldest_events_and_never_blocks():
    hub = EventHub()
    slow = hub.subscribe()
    done = threading.Event()

    def flood() -> None:
        for n in range(QUEUE_SIZE * 3):
            hub.publish(Event("status", {"n": n}))
        done.set()

    threading.Thread(target=flood).start()
    assert done.wait(2), "publishing blocked on a listener that does not read"
    got = [slow.get(0.01) for _ in range(QUEUE_SIZE + 1)]
    numbers = [e.data["n"] for e in got if e is not None]
    assert len(numbers) == QUEUE_SIZE and numbers[-1] == QUEUE_SIZE * 3 - 1

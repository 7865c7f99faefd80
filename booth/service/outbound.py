"""What the service needs from the parts that talk to the world outside: the cloud delivery and the fleet.

Why protocols here rather than the classes: the service is started, stopped and tested with either part
absent (delivery and the fleet link are off by default), and ``booth run`` wires the concrete ones
(:class:`booth.delivery.Delivery`, :class:`booth.fleet.FleetLink`). The status reads the delivery through
:class:`DeliveryView`, which asks the outbox at most once a second: the analysis thread publishes the
status at about 7 Hz and a database read per status is not worth it for a count a person reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from booth.service.status import DeliveryStatus, LinkStatus
from booth.storage import OutboxSummary

log = logging.getLogger(__name__)

#: Seconds between reads of the outbox for the status.
REFRESH_EVERY = 1.0


class DeliveryPort(Protocol):
    def deliver(self, session_id: int) -> Any: ...

    def summary(self) -> OutboxSummary: ...

    def link_state(self, session_id: int) -> Any: ...  # .state, .link, .error

    @property
    def connected(self) -> str | None: ...

    def wake(self) -> None: ...  # something new in the outbox (a session deleted): look now

    def start(self) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...


class FleetPart(Protocol):
    """The fleet link: started after the service and stopped before it by ``booth run``; the operator page
    reads its connection through :meth:`state` (``.connected``, ``.broker``, ``.error``)."""

    def start(self) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...

    def state(self) -> Any: ...


class DeliveryView:
    """The delivery as the status shows it, refreshed at most every :data:`REFRESH_EVERY` seconds."""

    def __init__(self, delivery: DeliveryPort, clock: Callable[[], float]) -> None:
        self.delivery, self._clock = delivery, clock
        self._at = float("-inf")
        self._session: int | None = None
        self._status: DeliveryStatus | None = None
        self._link: LinkStatus | None = None

    def read(self, session_id: int | None) -> tuple[DeliveryStatus | None, LinkStatus | None]:
        """The outbox's counts and the cloud link of ``session_id`` (the session on screen, if any)."""
        now = self._clock()
        if now - self._at < REFRESH_EVERY and session_id == self._session:
            return self._status, self._link
        self._at, self._session = now, session_id
        try:
            summary = self.delivery.summary()
            self._status = DeliveryStatus(
                summary.pending, summary.failing, summary.done, self.delivery.connected
            )
            self._link = None
            if session_id is not None:
                state = self.delivery.link_state(session_id)
                if state.state != "off":
                    self._link = LinkStatus(state.state, state.link, state.error)
        except Exception as err:  # a count is not worth stopping the status for
            log.warning("cannot read the delivery queue: %s", err)
        return self._status, self._link

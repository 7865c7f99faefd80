"""Who may open one more connection to the booth page: decided when it is accepted, before a byte is read.

Why at accept time, and why split the pool: waitress reads requests on its one event-loop thread and keeps a
half-received request for as long as its client keeps trickling bytes, so what a slow client costs before
its request is complete is one connection; and waitress's only cap (``connection_limit``) is global and,
once reached, stops accepting for everyone, the kiosk included. So 100 sockets that each sent a header line
every 10 s kept ``/healthz`` and ``/`` unanswered for as long as they liked. Here the pool is split:

* **per address**: an address that is not the kiosk holds at most :data:`PER_ADDRESS` connections at once
  (a browser opens six per host; the rest is room for a second tab);
* **kept back for the kiosk**: the last :data:`KIOSK_RESERVE` connections of the pool are only for the
  kiosk screen's addresses (``web.kiosk_addresses``); the :data:`OPERATOR_RESERVE` before them also for an
  address a logged-in operator used lately (the server cannot read a cookie at accept time, so the
  operator is known by where their requests came from: each request carries a callable to
  :meth:`Admission.note_operator`, which :func:`booth.web.context.operator_logged_in` calls);
* everyone else shares the rest.

The kiosk is not capped per address: it is the booth's own screen (loopback by default), and a local
process that wanted to harm the booth would not need the network. The header and request deadlines and the
drop of clients that stop reading are the server's (:mod:`booth.web.serve`); this is only the counting, kept
free of waitress so it is tested on its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: Connections the booth keeps open at once (waitress's own limit sits just above, never reached first).
POOL = 200
#: Connections one address other than the kiosk may hold at once.
PER_ADDRESS = 16
#: The last connections of the pool: only the kiosk's.
KIOSK_RESERVE = 24
#: The connections before those: the kiosk's or a recent operator's.
OPERATOR_RESERVE = 24
#: Operator addresses remembered at most (a flood of logins from new addresses cannot grow memory).
OPERATOR_ADDRESSES = 32
#: An address stays an operator's this long after its last operator request (the operator page makes one
#: at least every ``web.stream_recycle_s``, when it reopens its event stream).
OPERATOR_MEMORY_S = 3600.0


class Admission:
    """Counts open connections per address and says whether one more is admitted (thread-safe).

    ``is_kiosk(address)`` is asked at every accept, so a changed ``web.kiosk_addresses`` applies at once.
    """

    def __init__(
        self,
        is_kiosk: Callable[[str], bool],
        pool: int = POOL,
        operator_s: float = OPERATOR_MEMORY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.is_kiosk = is_kiosk
        self.operator_s = operator_s
        self.pool = pool
        self.clock = clock
        self.open = 0
        self._by_address: dict[str, int] = {}
        self._operators: dict[str, float] = {}  # address -> when its operator was last seen
        self._lock = threading.Lock()

    def admit(self, address: str) -> str | None:
        """Count one more connection from ``address`` and return None, or say why it is refused."""
        kiosk = self.is_kiosk(address)
        with self._lock:
            operator = not kiosk and self._is_operator(address)
            held = self._by_address.get(address, 0)
            if kiosk:
                room = self.pool
            elif operator:
                room = self.pool - KIOSK_RESERVE
            else:
                room = self.pool - KIOSK_RESERVE - OPERATOR_RESERVE
            if self.open >= room:
                return "the booth has too many open connections"
            if not kiosk and held >= PER_ADDRESS:
                return f"{held} connections from this address are open already"
            self.open += 1
            self._by_address[address] = held + 1
            return None

    def release(self, address: str) -> None:
        """One connection from ``address`` closed (each admitted connection is released exactly once)."""
        with self._lock:
            held = self._by_address.get(address, 0)
            if held <= 0:
                return
            self.open -= 1
            if held == 1:
                del self._by_address[address]  # no entry per address ever seen: the map stays small
            else:
                self._by_address[address] = held - 1

    def held(self, address: str) -> int:
        with self._lock:
            return self._by_address.get(address, 0)

    def addresses(self) -> int:
        """Addresses with an open connection (for the tests: it returns to 0 when all have closed)."""
        with self._lock:
            return len(self._by_address)

    def note_operator(self, address: str | None) -> None:
        """A request from ``address`` carried a logged-in operator's session."""
        if not address:
            return
        with self._lock:
            self._operators.pop(address, None)
            self._operators[address] = self.clock()  # newest last, so the oldest is dropped first
            while len(self._operators) > OPERATOR_ADDRESSES:
                del self._operators[next(iter(self._operators))]

    def _is_operator(self, address: str) -> bool:
        seen = self._operators.get(address)
        if seen is None:
            return False
        if self.clock() - seen > self.operator_s:
            del self._operators[address]
            return False
        return True

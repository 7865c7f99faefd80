"""What the page needs from the booth: the :class:`BoothPort` protocol the web layer is written against.

Why a protocol rather than the service class: the web layer depends only on these few typed calls, so the
service can change inside without the page noticing, and the type checker holds both sides to it.
:class:`booth.service.BoothService` is the one implementation.

The cloud delivery and the fleet link are seen through protocols of their own, of only what the page reads:
the page must not import the fleet package (both are front ends), and either part may be absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from booth.config import Settings
from booth.cpu_ledger import CpuLedger
from booth.service import BoothStatus, Health, Subscription
from booth.service.teaching import Teaching
from booth.storage import OutboxSummary, Storage


class DeliveryView(Protocol):
    """The cloud delivery (``booth.delivery.Delivery``) as the page reads it."""

    @property
    def connected(self) -> str | None: ...  # the bucket's last error; None while its last request worked

    def link_state(self, session_id: int) -> Any: ...  # .state ("off", "pending", "done", "failing"), .link


class FleetView(Protocol):
    """The fleet link (``booth.fleet.FleetLink``); ``state()`` has ``.connected``, ``.broker``, ``.error``."""

    def state(self) -> Any: ...


class BoothPort(Protocol):
    settings: Settings
    data_dir: Path
    storage: Storage
    teaching: Teaching
    cpu: CpuLedger  # the streams charge their serialization to it

    @property
    def paused(self) -> str | None: ...  # why the booth starts no session; None: it does

    @property
    def delivery(self) -> DeliveryView | None: ...  # None: cloud delivery is off

    @property
    def fleet(self) -> FleetView | None: ...  # None: no fleet link

    def status(self) -> BoothStatus: ...

    def health(self) -> Health: ...

    def preview_jpeg(self, quality: int = 75) -> tuple[int, bytes] | None: ...

    def subscribe(self) -> Subscription: ...

    def looks(self) -> list[dict[str, str]]: ...

    def threshold_warnings(self) -> list[str]: ...

    def start_session(self, preset: str | None = None) -> BoothStatus: ...

    def consent(self) -> BoothStatus: ...

    def cancel_session(self) -> BoothStatus: ...

    def finish(self) -> BoothStatus: ...

    def fire(self) -> BoothStatus: ...

    def pause(self, reason: str) -> BoothStatus: ...

    def resume(self) -> BoothStatus: ...

    def outbox(self) -> OutboxSummary | None: ...  # None: cloud delivery is off

    def delete_session(self, session_id: int, reason: str = ...) -> None: ...

    def update_settings(self, changes: Mapping[str, Any]) -> Settings: ...

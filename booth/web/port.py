"""What the page needs from the booth: the :class:`BoothPort` protocol the web layer is written against.

Why a protocol rather than the service class: the web layer depends only on these few typed calls, so the
service can change inside without the page noticing, and the type checker holds both sides to it.
:class:`booth.service.BoothService` is the one implementation.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from booth.config import Settings
from booth.service import BoothStatus, Health, Subscription
from booth.service.teaching import Teaching
from booth.storage import Storage


class BoothPort(Protocol):
    settings: Settings
    data_dir: Path
    storage: Storage
    teaching: Teaching

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

    def delete_session(self, session_id: int, reason: str = ...) -> None: ...

    def update_settings(self, changes: Mapping[str, Any]) -> Settings: ...

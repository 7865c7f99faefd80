"""The topic names of one booth, built once from the prefix and the booth id.

Why one place: the booth publishes on these, ``booth fleet`` and the Mosquitto ACL in ``firmware/`` read
them, and a studio's dashboards are written against them; a typo in one copy would silently split the
fleet. Every topic of a booth sits under ``<prefix>/<booth_id>/`` so one ACL line (``%u``) confines it.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass

#: What a booth id may hold: one topic level without the MQTT wildcards.
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_.\-]+")


def default_booth_id(hostname: str | None = None) -> str:
    """The machine's host name as a topic level: anything but letters, digits, ``_ . -`` becomes ``-``."""
    name = hostname if hostname is not None else socket.gethostname()
    cleaned = _NOT_ALLOWED.sub("-", name.split(".")[0]).strip("-")  # "pi.local": "pi"
    return cleaned or "booth"


@dataclass(frozen=True)
class Topics:
    prefix: str
    booth_id: str

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.booth_id}"

    @property
    def status(self) -> str:
        """Retained JSON: the booth's latest status (:mod:`booth.fleet.payload`)."""
        return f"{self.base}/status"

    @property
    def availability(self) -> str:
        """Retained ``online`` / ``offline``; the broker sends ``offline`` for us when we vanish."""
        return f"{self.base}/availability"

    @property
    def events(self) -> str:
        return f"{self.base}/events"

    @property
    def command(self) -> str:
        return f"{self.base}/command"

    @property
    def command_result(self) -> str:
        return f"{self.base}/command/result"


def fleet_filters(prefix: str) -> tuple[str, str]:
    """The subscriptions of a fleet viewer: every booth's status and availability."""
    return f"{prefix}/+/status", f"{prefix}/+/availability"


def split(topic: str, prefix: str) -> tuple[str, str] | None:
    """``(booth_id, kind)`` of ``<prefix>/<booth_id>/<kind>``, or None for any other topic."""
    head = prefix + "/"
    if not topic.startswith(head):
        return None
    parts = topic[len(head) :].split("/")
    if len(parts) != 2 or not parts[0]:
        return None
    return parts[0], parts[1]

"""The fleet link: a booth's status, events and commands over MQTT, for a studio of many booths.

What it publishes, under ``<prefix>/<booth_id>/`` (:mod:`booth.fleet.topics`):

- ``status``: retained JSON (:func:`booth.fleet.payload.status_payload`), on connect, every
  ``fleet.status_every_s`` and at once when the state, pause, faults or session change;
- ``availability``: retained ``online``, and ``offline`` as the last will (the broker sends it when the
  booth vanishes) and on a clean stop;
- ``events``: ``session_started``, ``session_finished``, ``fault_raised``, ``fault_cleared``;
- ``command/result``: the answer to each command taken on ``command`` (:mod:`booth.fleet.commands`).

Why one thread of its own: it polls the service's published status about four times a second and diffs it
for events, so it never touches the analysis thread; paho's callbacks only queue commands or raise the
"reconnected" flag for it (a command may wait seconds for the analysis thread, which must not stall
paho's network loop). Why republish on every
connect: a broker restarted without persistence has forgotten the retained messages, and the will of a
previous connection may have marked us offline. A broker that is down never stops the booth: paho
reconnects in the background and the booth keeps shooting.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from booth.config.outbound import FleetSettings
from booth.fleet import commands, discovery
from booth.fleet.mqtt import Broker, Login, MqttClient, Will
from booth.fleet.payload import DayCounts, EventDiff, Identity, changed, offline_payload, status_payload
from booth.fleet.port import FleetPort
from booth.fleet.topics import Topics, default_booth_id
from booth.secrets_file import credentials

__all__ = ["FleetLink", "FleetPort", "FleetState"]

log = logging.getLogger(__name__)

POLL_S = 0.25  # how often the link reads the service's status to diff it
STOP_FLUSH_S = 2.0  # how long stop() waits for the offline messages to leave
INBOX_SIZE = 16  # commands waiting for the link's thread; more are dropped (logged)
#: Events kept while the broker is away, sent on the next connect (the oldest go first past this).
UNSENT_EVENTS = 100
CREDENTIAL_NAMES = ("MQTT_USERNAME", "MQTT_PASSWORD")


@dataclass(frozen=True)
class FleetState:
    """For the operator page: is the booth on the broker, and if not, why."""

    connected: bool
    broker: str
    error: str
    booth_id: str = ""
    commands: bool = False


def login_from(settings: FleetSettings) -> Login:
    """The broker login: the credentials file (both names required) or the environment (optional)."""
    if settings.credentials_file is not None:
        found = credentials(settings.credentials_file, CREDENTIAL_NAMES)
    else:
        found = credentials(None, CREDENTIAL_NAMES, required=False)
    return Login(
        username=found.get("MQTT_USERNAME"),
        password=found.get("MQTT_PASSWORD"),
        ca_file=settings.ca_file,
        cert_file=settings.cert_file,
        key_file=settings.key_file,
    )


class FleetLink:
    """The booth's connection to the studio's broker (see the module docstring)."""

    def __init__(
        self,
        settings: FleetSettings,
        port: FleetPort,
        version: str,
        *,
        login: Login,
        booth_id: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings, self.port = settings, port
        self.broker = Broker.parse(settings.broker)
        self.topics = Topics(settings.prefix, booth_id)
        self.identity = Identity(booth_id, version, settings.status_every_s)
        self._clock = clock
        self._reconnected = threading.Event()
        self.commands_on, why_off = _commands_allowed(settings, login)
        if why_off:
            log.info("fleet: commands are off: %s", why_off)
        self._client = MqttClient(
            self.broker,
            login,
            client_id=f"booth-{booth_id}",
            keepalive=settings.keepalive_s,
            will=Will(self.topics.availability, "offline"),
            on_connect=self._reconnected.set,
            on_message=self._heard,
        )
        # A flag, not an inbox item: a flood of commands must never crowd out the (re)connect, or the
        # booth would stay "offline" and unsubscribed until the next one.
        self._inbox: queue.Queue[bytes] = queue.Queue(INBOX_SIZE)
        self._unsent: deque[dict[str, Any]] = deque(maxlen=UNSENT_EVENTS)
        self._day = DayCounts(port.storage, settings.status_every_s, clock)
        self._diff = EventDiff(self._outcome_of)
        self._published: dict[str, Any] | None = None
        self._published_at = float("-inf")
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls, settings: FleetSettings, service: FleetPort, version: str) -> FleetLink:
        """Built from ``settings.fleet``; ConfigError (one line) for a bad credentials or TLS file. Touches
        no network."""
        booth_id = settings.booth_id or default_booth_id()
        return cls(settings, service, version, login=login_from(settings), booth_id=booth_id)

    # --- life cycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background and start the link's thread; returns at once, whatever the broker."""
        self._client.start()
        self._thread = threading.Thread(target=self._run, name="booth-fleet", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Leave cleanly: a last status with state "offline", availability "offline", then disconnect.
        A second call does nothing."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            if self._client.connected:
                last = offline_payload(self._published, self.identity, self._clock())
                self._client.publish(self.topics.status, json.dumps(last), retain=True)
                self._client.publish(self.topics.availability, "offline", retain=True)
        finally:
            self._client.stop(flush_s=STOP_FLUSH_S)
        log.info("fleet: left the broker %s", self.broker)

    def state(self) -> FleetState:
        client, booth_id = self._client, self.identity.booth_id
        return FleetState(client.connected, str(self.broker), client.error, booth_id, self.commands_on)

    # --- paho's thread: queue only ---------------------------------------------------------------------

    def _heard(self, topic: str, payload: bytes, retained: bool) -> None:
        if topic != self.topics.command:
            return
        if retained:  # it would run again on every reconnect
            log.warning("fleet: ignored a retained command on %s; publish commands without retain", topic)
            return
        try:
            self._inbox.put_nowait(payload)
        except queue.Full:
            log.warning("fleet: %d commands already waiting; dropped one", INBOX_SIZE)

    # --- the link's thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                payload: bytes | None = self._inbox.get(timeout=POLL_S)
            except queue.Empty:
                payload = None
            try:
                if self._reconnected.is_set():
                    self._reconnected.clear()  # before: a reconnect meanwhile sets it again
                    self._on_connected()
                if payload is not None:
                    self._command(payload)
                self._tick()
            except Exception:  # nothing may end the link; the next tick tries again
                log.exception("fleet: error in the fleet link")

    def _command(self, payload: bytes) -> None:
        result = commands.handle(payload, self.port)
        self._client.publish(self.topics.command_result, json.dumps(result))
        self._publish_status(self._snapshot())  # the command's effect, at once

    def _on_connected(self) -> None:
        """Every (re)connect: online, the status, the discovery configs, the command subscription, and
        the events of the time away."""
        self._client.publish(self.topics.availability, "online", retain=True)
        self._publish_status(self._snapshot())
        if self.settings.home_assistant:
            configs = discovery.configs(self.topics, self.settings.discovery_prefix, self.identity.version)
            for topic, config in configs:
                self._client.publish(topic, config, retain=True)
        if self.commands_on:
            self._client.subscribe(self.topics.command, qos=1)
        self._send_events()

    def _tick(self) -> None:
        snapshot = self._snapshot()
        for event in self._diff.feed(snapshot):
            log.info("fleet: event %s", event["event"])
            self._unsent.append(event)
        self._send_events()
        due = time.monotonic() - self._published_at >= self.settings.status_every_s
        if due or changed(self._published, snapshot):
            self._publish_status(snapshot)

    def _snapshot(self) -> dict[str, Any]:
        port = self.port
        try:
            outbox = port.outbox()
        except Exception as err:
            log.debug("fleet: no upload summary: %s", err)
            outbox = None
        return status_payload(
            port.status(),
            identity=self.identity,
            min_free_mb=port.settings.storage.min_free_mb,
            today=self._day.get(),
            outbox=outbox,
            now=self._clock(),
        )

    def _publish_status(self, snapshot: dict[str, Any]) -> None:
        """Publish (retained) and remember it; while disconnected it is only remembered, and the next
        connect sends a fresh one."""
        if self._client.publish(self.topics.status, json.dumps(snapshot), retain=True):
            self._published_at = time.monotonic()
        self._published = snapshot

    def _send_events(self) -> None:
        """In order; what the broker cannot take now waits for the next connect (each keeps its "at")."""
        while self._unsent:
            if not self._client.publish(self.topics.events, json.dumps(self._unsent[0])):
                return
            self._unsent.popleft()

    def _outcome_of(self, session_id: int) -> str | None:
        record = self.port.storage.session(session_id)
        return None if record is None else record.status


def _commands_allowed(settings: FleetSettings, login: Login) -> tuple[bool, str]:
    if not settings.commands:
        return False, "fleet.commands is false"
    if not login.authenticated:
        return False, (
            "the broker connection is not authenticated; give fleet.credentials_file (MQTT_USERNAME and "
            "MQTT_PASSWORD) or a client certificate"
        )
    return True, ""

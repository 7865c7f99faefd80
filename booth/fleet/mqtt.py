"""The one home of paho-mqtt: a small client that connects in the background and keeps reconnecting.

Why an adapter: the fleet link and ``booth fleet`` need five things from MQTT (connect with a last will,
login and TLS; publish; subscribe; hear of a (re)connect and of messages; disconnect) and none of paho's
threading rules. Here paho's network thread is started with ``loop_start`` after ``connect_async``, so a
broker that is down at start never raises and never blocks the caller; paho retries with a backoff of 1
to 30 s. Every callback is guarded: an exception in one would end paho's thread, and the link with it.
Callbacks run on paho's thread and must return quickly (the fleet link only queues work for its own).
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from booth.errors import BoothError, ConfigError

log = logging.getLogger(__name__)

RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 30
#: Messages flush() waits for at most (the status, availability and a few events of a stop).
SENT_KEPT = 32
#: QoS 1 messages paho may hold unacknowledged (it keeps them across a reconnect and sends them again).
#: Without a bound, a link that goes silent (Wi-Fi gone, not yet noticed by the keep-alive) would pile
#: them up in memory; past it, publish() says False and the link republishes a fresh status later.
OUT_QUEUE = 64
#: The largest packet we accept (MQTT 5 tells the broker, which then drops bigger ones rather than
#: sending them): the booth only receives commands, a few hundred bytes at most.
MAX_PACKET = 64 * 1024
#: How long stop() waits for paho's thread: it may sit in a DNS lookup or a TCP connect that has no
#: shorter way out, and a booth's shutdown must not hang on a broker (the thread is a daemon).
JOIN_S = 3.0
#: MQTT 5's "Session taken over": another client logged in with our client id.
TAKEN_OVER = 0x8E


class BrokerError(BoothError, ConnectionError):
    """The broker cannot be reached, or refused our login (``booth fleet``; the booth itself retries)."""


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> Broker:
        """``mqtt://host[:1883]`` or ``mqtts://host[:8883]``; ConfigError (one line) for anything else."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ConfigError(f"{url!r} is not a broker URL; use mqtt://host:1883 or mqtts://host:8883")
        tls = parts.scheme == "mqtts"
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError:
            raise ConfigError(f"{url!r}: the port is not a number from 1 to 65535") from None
        return cls(parts.hostname, port, tls)

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


@dataclass(frozen=True)
class Login:
    """Who we are to the broker: a username and password, and/or a client certificate (TLS)."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log line or a traceback
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    @property
    def authenticated(self) -> bool:
        """Whether the broker can tell who we are (the rule for taking commands)."""
        return bool(self.username) or self.cert_file is not None


@dataclass(frozen=True)
class Will:
    topic: str
    payload: str
    qos: int = 1
    retain: bool = True


Handler = Callable[[str, bytes, bool], None]  # topic, payload, retained


class MqttClient:
    """One connection to one broker (see the module docstring). Thread-safe: paho locks its own state."""

    def __init__(
        self,
        broker: Broker,
        login: Login,
        *,
        client_id: str,
        keepalive: int = 30,
        will: Will | None = None,
        version: str = "5",
        on_connect: Callable[[], None] | None = None,
        on_message: Handler | None = None,
    ) -> None:
        self.broker = broker
        self._keepalive = keepalive
        self._on_connect, self._on_message = on_connect, on_message
        self._connected = threading.Event()
        self._answered = threading.Event()  # a CONNACK came (either way) or the connect failed
        self.error = "not connected yet"
        self._sent: list[paho.MQTTMessageInfo] = []
        self._sent_lock = threading.Lock()
        self._acked: set[int] = set()  # SUBACKs heard, by message id (for barrier())
        self._acks = threading.Condition()
        protocol = paho.MQTTv5 if version == "5" else paho.MQTTv311
        self._v5 = protocol == paho.MQTTv5
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
        self._client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        self._client.max_queued_messages_set(OUT_QUEUE)
        if will is not None:
            self._client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        if login.username:
            self._client.username_pw_set(login.username, login.password or None)
        if broker.tls:
            self._set_tls(login)
        self._client.on_connect = self._connected_cb
        self._client.on_connect_fail = self._connect_failed_cb
        self._client.on_disconnect = self._disconnected_cb
        self._client.on_message = self._message_cb
        self._client.on_subscribe = self._subscribed_cb

    def _set_tls(self, login: Login) -> None:
        try:
            self._client.tls_set(
                ca_certs=str(login.ca_file) if login.ca_file else None,
                certfile=str(login.cert_file) if login.cert_file else None,
                keyfile=str(login.key_file) if login.key_file else None,
            )
        except (OSError, ssl.SSLError, ValueError) as err:
            raise ConfigError(f"fleet TLS files: {err}; check fleet.ca_file, cert_file, key_file") from None

    # --- life cycle -----------------------------------------------------------------------------------

    def _connect_properties(self) -> Properties | None:
        if not self._v5:
            return None
        properties = Properties(PacketTypes.CONNECT)
        properties.MaximumPacketSize = MAX_PACKET
        return properties

    def start(self) -> None:
        """Connect in the background and keep reconnecting; never raises for a broker that is down."""
        try:
            host, port = self.broker.host, self.broker.port
            self._client.connect_async(host, port, self._keepalive, properties=self._connect_properties())
        except (OSError, ValueError) as err:
            self.error = f"cannot connect to {self.broker}: {err}"
        self._client.loop_start()

    def connect(self, timeout: float) -> None:
        """Connect now (``booth fleet``): BrokerError (one line) if unreachable or our login is refused."""
        try:
            host, port = self.broker.host, self.broker.port
            self._client.connect(host, port, self._keepalive, properties=self._connect_properties())
        except (OSError, ValueError) as err:
            raise BrokerError(
                f"cannot reach the broker at {self.broker} ({err}); check that it runs and the --broker URL"
            ) from None
        self._client.loop_start()
        if not self._answered.wait(timeout):
            self.stop()
            raise BrokerError(f"no answer from the broker at {self.broker} within {timeout:g} s")
        if not self._connected.is_set():
            self.stop()
            raise BrokerError(f"the broker at {self.broker} {self.error}")

    def stop(self, flush_s: float = 0.0) -> None:
        """Disconnect (a clean disconnect: the broker does not send our last will) and end paho's thread;
        with ``flush_s``, first wait that long at most for the messages already published to leave.
        Returns within about ``flush_s + JOIN_S`` whatever the network does."""
        if flush_s > 0:
            self.flush(flush_s)
        self._client.disconnect()
        # paho's loop_stop() joins its thread without a timeout: join it from a helper we can leave.
        stopper = threading.Thread(target=self._client.loop_stop, name="booth-mqtt-stop", daemon=True)
        stopper.start()
        stopper.join(JOIN_S)
        if stopper.is_alive():
            log.warning("fleet: paho's thread did not end within %g s (a connect under way); left it", JOIN_S)
        self._connected.clear()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    # --- traffic --------------------------------------------------------------------------------------

    def publish(self, topic: str, payload: str | bytes, *, qos: int = 1, retain: bool = False) -> bool:
        """Send one message now; False (nothing queued) while disconnected: the link republishes later."""
        if not self.connected:
            return False
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            return False
        with self._sent_lock:  # for flush(); only the not yet acknowledged are kept
            self._sent = [*[i for i in self._sent if not i.is_published()][-SENT_KEPT:], info]
        return True

    def subscribe(self, topic: str, qos: int = 1) -> bool:
        if not self.connected:
            return False
        result, _mid = self._client.subscribe(topic, qos)
        return result == paho.MQTT_ERR_SUCCESS

    def barrier(self, topic: str, timeout: float) -> bool:
        """Wait until the broker has sent what it owes for the subscriptions made so far (their retained
        messages, e.g. every booth's status for ``booth fleet --once``): subscribe to ``topic`` once more,
        asking for no retained message again, and wait for that SUBACK; the broker handles our packets in
        order, so it comes after them. Subscribe at QoS 0 first so no in-flight window holds them back.
        MQTT 3.1.1 has no such option: a pause of ``timeout`` at most 1 s instead."""
        if not self._v5:
            time.sleep(min(timeout, 1.0))
            return True
        again = SubscribeOptions(qos=0, retainHandling=SubscribeOptions.RETAIN_SEND_IF_NEW_SUB)
        result, mid = self._client.subscribe(topic, options=again)
        if result != paho.MQTT_ERR_SUCCESS or mid is None:
            return False
        with self._acks:
            return self._acks.wait_for(lambda: mid in self._acked, timeout)

    def flush(self, timeout: float) -> bool:
        """Wait at most ``timeout`` s until the messages published so far have left (QoS 1: acknowledged)."""
        deadline = time.monotonic() + timeout
        with self._sent_lock:
            sent, self._sent = self._sent, []
        for info in sent:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.connected:
                return False
            try:
                info.wait_for_publish(remaining)
            except (RuntimeError, ValueError):
                return False
        return all(info.is_published() for info in sent)

    # --- paho's callbacks (paho's thread; never raise) --------------------------------------------------

    def _connected_cb(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        try:
            if reason.is_failure:
                error = f"refused the connection ({reason}); check the username, password or certificate"
                if error != self.error:  # paho retries every 30 s at most: say it once, not each time
                    log.warning("fleet: broker %s %s", self.broker, error)
                self.error = error
                self._answered.set()
                return
            self.error = ""
            self._connected.set()
            log.info("fleet: connected to %s", self.broker)
            if self._on_connect is not None:
                self._on_connect()  # before connect() returns: its subscriptions go out first
        except Exception:
            log.exception("fleet: error after connecting")
        finally:
            self._answered.set()

    def _subscribed_cb(self, client: Any, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        with self._acks:
            self._acked.add(mid)
            if len(self._acked) > SENT_KEPT:  # only the latest matter; message ids wrap at 65535
                self._acked = {mid}
            self._acks.notify_all()

    def _connect_failed_cb(self, client: Any, userdata: Any) -> None:
        error = f"cannot reach the broker at {self.broker} (or its TLS certificate is not trusted); retrying"
        if error != self.error:  # once per outage, not on every retry
            log.warning("fleet: %s", error)
        self.error = error
        self._answered.set()

    def _disconnected_cb(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        try:
            if getattr(reason, "value", None) == TAKEN_OVER:
                self.error = (
                    f"another client logged in to {self.broker} with our client id; two booths with the "
                    "same fleet.booth_id (a cloned SD card keeps the host name)? Give each booth its own"
                )
                log.warning("fleet: %s", self.error)
            elif was and reason.is_failure:
                self.error = f"lost the broker at {self.broker} ({reason}); reconnecting"
                log.warning("fleet: %s", self.error)
        except Exception:
            log.exception("fleet: error after a disconnect")

    def _message_cb(self, client: Any, userdata: Any, message: Any) -> None:
        try:
            if self._on_message is not None:
                self._on_message(message.topic, bytes(message.payload), bool(message.retain))
        except Exception:
            log.exception("fleet: error handling a message on %s", getattr(message, "topic", "?"))

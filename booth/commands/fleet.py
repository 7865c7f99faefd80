"""``booth fleet``: a live table of every booth on the studio's broker, from the retained topics.

It subscribes to ``<prefix>/+/status`` and ``<prefix>/+/availability``; the broker hands over every
booth's retained status and availability at once, so the table is whole a moment after connecting. A booth
whose availability is "offline" (its last will, or a clean stop) shows how long ago its last status was.
``--once`` prints the table once the retained messages have arrived (a barrier, not a guessed pause: see
:meth:`booth.fleet.mqtt.MqttClient.barrier`) and exits (for scripts); otherwise it is redrawn every second
until Ctrl-C, and subscribes again after each reconnect (the broker forgets a viewer's subscriptions).
The broker and TLS files come from the booth's settings file
(``[fleet]``) unless ``--broker`` is given; the login from ``--credentials`` (``MQTT_USERNAME`` and
``MQTT_PASSWORD`` lines), else the settings' credentials file, else those variables in the environment.
An unreachable broker or a refused login is one line and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from booth import config
from booth.commands import options
from booth.commands.config import resolve_config_path
from booth.config.outbound import TOPIC_PART, FleetSettings
from booth.errors import ConfigError
from booth.fleet import CREDENTIAL_NAMES, login_from
from booth.fleet.mqtt import Broker, Login, MqttClient
from booth.fleet.table import decode_status, render, rows
from booth.fleet.topics import fleet_filters, split
from booth.secrets_file import credentials

#: Seconds --once waits at most for the broker to have sent the retained messages.
SETTLE_S = 10.0
CONNECT_TIMEOUT_S = 10.0
REDRAW_S = 1.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("fleet", help="live table of every booth on the MQTT broker")
    parser.add_argument(
        "--broker", metavar="URL", help="mqtt://host:1883 or mqtts://host:8883 (default: [fleet])"
    )
    parser.add_argument("--once", action="store_true", help="print the table once and exit")
    parser.add_argument("--prefix", metavar="P", help="first topic level(s) of the booths (default: [fleet])")
    options.add_config(parser)
    parser.add_argument(
        "--credentials",
        type=Path,
        metavar="FILE",
        help="file of MQTT_USERNAME=... and MQTT_PASSWORD=... (0600)",
    )
    parser.set_defaults(func=run)


class Board:
    """The latest retained status and availability of each booth (written on paho's thread)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.statuses: dict[str, dict[str, Any] | None] = {}
        self.availability: dict[str, str] = {}
        self.lock = threading.Lock()

    def heard(self, topic: str, payload: bytes, retained: bool) -> None:
        where = split(topic, self.prefix)
        if where is None:
            return
        booth, kind = where
        with self.lock:
            if kind == "status":
                if payload:
                    self.statuses[booth] = decode_status(payload)
                else:  # an empty retained message: the booth was removed from the broker
                    self.statuses.pop(booth, None)
            elif kind == "availability":
                if payload:
                    self.availability[booth] = payload.decode("utf-8", "replace").strip()
                else:
                    self.availability.pop(booth, None)

    def text(self, now: float) -> str:
        with self.lock:
            return render(rows(dict(self.statuses), dict(self.availability), now))


def _settings(args: argparse.Namespace) -> FleetSettings:
    path = resolve_config_path(args.config)
    fleet = config.load(path).fleet if path is not None else FleetSettings()
    updates: dict[str, Any] = {}
    if args.broker:
        updates["broker"] = args.broker
    if args.prefix:
        if not TOPIC_PART.fullmatch(args.prefix):
            raise ConfigError(f"--prefix {args.prefix!r}: use letters, digits, _ . - and /; no + or #")
        updates["prefix"] = args.prefix
    return fleet.model_copy(update=updates)


def _login(args: argparse.Namespace, fleet: FleetSettings) -> Login:
    if args.credentials is None:
        return login_from(fleet)
    found = credentials(args.credentials, CREDENTIAL_NAMES)
    return Login(
        found["MQTT_USERNAME"], found["MQTT_PASSWORD"], fleet.ca_file, fleet.cert_file, fleet.key_file
    )


def run(args: argparse.Namespace) -> int:
    fleet = _settings(args)
    broker = Broker.parse(fleet.broker)
    board = Board(fleet.prefix)
    filters = fleet_filters(fleet.prefix)

    def subscribe() -> None:  # on paho's thread, on every (re)connect; QoS 0: see barrier()
        for topic in filters:
            client.subscribe(topic, qos=0)

    client = MqttClient(
        broker,
        _login(args, fleet),
        client_id=f"booth-fleet-{os.getpid()}",
        on_connect=subscribe,
        on_message=board.heard,
    )
    client.connect(CONNECT_TIMEOUT_S)  # BrokerError: one line, exit 2 (booth.cli)
    try:
        if not client.barrier(filters[-1], SETTLE_S):
            print(
                f"(no answer from the broker within {SETTLE_S:g} s; the table may be short)", file=sys.stderr
            )
        if args.once:
            print(board.text(time.time()))
            return 0
        return _live(board, client)
    finally:
        client.stop()


def _live(board: Board, client: MqttClient) -> int:
    tty = sys.stdout.isatty()
    try:
        while True:
            text = board.text(time.time())
            if not client.connected:
                text += f"\n(lost the broker: {client.error})"
            print("\x1b[H\x1b[2J" + text if tty else text + "\n", flush=True)
            time.sleep(REDRAW_S)
    except KeyboardInterrupt:
        return 0

"""The commands a studio may send a booth over MQTT: parsed strictly, run through the port, answered always.

Why strict: the command topic is the one way in from the network, so anything that is not exactly one of
the five documented shapes is refused with a one-line reason (logged, and answered on
``command/result``) rather than guessed at. Why :func:`handle` never raises: it runs on the fleet link's
thread, and a bad message from one operator's script must not stop the link for the whole studio.

A command is a JSON object::

    {"command": "start", "id": "abc", "preset": "corporate"}
    {"command": "stop"}            {"command": "pause", "reason": "lunch"}
    {"command": "resume"}          {"command": "reload_looks"}

``id`` (optional, up to 64 characters) is echoed in the result so the sender can match its reply.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from booth.errors import BoothError
from booth.fleet.payload import RUNNING
from booth.fleet.port import FleetPort

log = logging.getLogger(__name__)

MAX_BYTES = 4096
MAX_ID = 64
MAX_TEXT = 200
MAX_ECHO = 40  # how much of a sender's text a refusal repeats (the log and the answer stay one short line)
DEFAULT_REASON = "paused from the fleet"
#: Each command and the optional keys it takes besides ``command`` and ``id``.
COMMANDS: dict[str, frozenset[str]] = {
    "start": frozenset({"preset"}),
    "stop": frozenset(),
    "pause": frozenset({"reason"}),
    "resume": frozenset(),
    "reload_looks": frozenset(),
}


@dataclass(frozen=True)
class Command:
    name: str
    id: str | None = None
    preset: str | None = None
    reason: str | None = None


class Refused(ValueError):
    """A payload that is not a command; ``str()`` is the one-line reason, ``id`` the sender's id if any."""

    def __init__(self, reason: str, command_id: str | None = None, name: str | None = None) -> None:
        super().__init__(reason)
        self.id, self.name = command_id, name


def parse(payload: bytes) -> Command:
    """The :class:`Command` in ``payload``, or :class:`Refused` saying what is wrong with it."""
    if len(payload) > MAX_BYTES:
        raise Refused(f"command too big ({len(payload)} bytes); send at most {MAX_BYTES}")
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refused('not a JSON object; send e.g. {"command": "pause", "reason": "lunch"}') from None
    if not isinstance(data, dict):
        raise Refused('not a JSON object; send e.g. {"command": "start"}')
    command_id = data.get("id")
    if command_id is not None and (not isinstance(command_id, str) or len(command_id) > MAX_ID):
        raise Refused(f'"id" must be a string of at most {MAX_ID} characters')
    name = data.get("command")
    if not isinstance(name, str) or name not in COMMANDS:
        known = ", ".join(COMMANDS)
        raise Refused(f"unknown command {_echo(name)}; use one of {known}", command_id)
    extra = sorted(set(data) - {"command", "id"} - COMMANDS[name])
    if extra:
        raise Refused(f"{name} takes no {', '.join(map(_echo, extra[:3]))}", command_id, name)
    texts = {key: data.get(key) for key in ("preset", "reason")}
    for key, value in texts.items():
        if value is not None and (not isinstance(value, str) or not value or len(value) > MAX_TEXT):
            reason = f'"{key}" must be a non-empty string of at most {MAX_TEXT} characters'
            raise Refused(reason, command_id, name)
    return Command(name, command_id, texts["preset"], texts["reason"])


def _echo(value: object) -> str:
    """``repr`` (so no newline or terminal escape reaches the log) cut to :data:`MAX_ECHO` characters."""
    text = repr(value)
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 3] + "..."


def run(command: Command, port: FleetPort) -> str:
    """Carry ``command`` out through the port; returns the booth's state after it (raises BoothError)."""
    actions: dict[str, Callable[[], Any]] = {
        "start": lambda: port.start_session(command.preset),
        "stop": lambda: _stop(port),
        "pause": lambda: port.pause(command.reason or DEFAULT_REASON),
        "resume": lambda: port.resume(),
        "reload_looks": lambda: port.reload_looks_now(),
    }
    actions[command.name]()
    return port.status().state.value


def _stop(port: FleetPort) -> None:
    state = port.status().state.value
    if state not in RUNNING:
        raise BoothError(f"no session to stop: the booth is {state}")
    port.cancel_session()


def handle(payload: bytes, port: FleetPort) -> dict[str, Any]:
    """Parse and run one command payload; the result to publish. Never raises."""
    try:
        command = parse(payload)
    except Refused as err:
        log.warning("fleet: command refused: %s", err)
        return {"id": err.id, "command": err.name, "ok": False, "error": str(err)}
    result: dict[str, Any] = {"id": command.id, "command": command.name}
    try:
        state = run(command, port)
    except BoothError as err:
        log.info("fleet: %s not done: %s", command.name, err)
        return {**result, "ok": False, "error": str(err)}
    except Exception as err:  # a bug must not end the fleet link; the log keeps the trace
        log.exception("fleet: %s failed", command.name)
        return {**result, "ok": False, "error": f"internal error: {type(err).__name__}: {err}"}
    log.info("fleet: %s done (booth now %s)", command.name, state)
    return {**result, "ok": True, "state": state}

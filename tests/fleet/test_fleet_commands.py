"""Commands over a real Mosquitto: only the operator's reach the booth, bad ones are refused, good ones act.

Why the ordering probes: "the booth never acts" cannot be waited for, so each refused command is followed
by a valid one from the operator; the booth handles its command topic in order, so once the operator's
answer is there, an earlier command that had reached the booth would have been answered (or acted on)
before it.
"""

from __future__ import annotations

import json

import pytest
from support import wait_until

pytestmark = pytest.mark.mqtt

COMMAND, RESULT = "booths/booth-a/command", "booths/booth-a/command/result"
STATUS = "booths/booth-a/status"


def wait_for(predicate, seconds: float = 30.0, what: str = "condition met"):
    return wait_until(predicate, seconds, what)


@pytest.fixture
def booth(service, make_link, watch):
    """A booth on the broker taking commands, and the operator watching its topics."""
    link = make_link(service)
    operator = watch("operator")
    wait_for(lambda: link.state().connected and operator.last_json(STATUS), what="the booth connected")
    assert link.state().commands
    return link, operator


def send(operator, command: dict | bytes | str, command_id: str | None = None) -> dict:
    """Publish ``command`` as the operator and wait for its answer (matched by id)."""
    if isinstance(command, dict):
        payload = json.dumps({**command, "id": command_id} if command_id else command)
    else:
        payload = command
    count = len(operator.received(RESULT))
    operator.publish(COMMAND, payload)
    results = wait_for(lambda: operator.jsons(RESULT)[count:], what=f"an answer to {payload!r}")
    return results[0]


def test_commands_from_the_operator_act(service, booth):
    _link, operator = booth
    result = send(operator, {"command": "start"}, "s1")
    assert result == {"id": "s1", "command": "start", "ok": True, "state": "welcome"}
    assert service.status().state.value == "welcome"
    wait_for(lambda: operator.last_json(STATUS)["state"] == "welcome", what="the status says welcome")

    result = send(operator, {"command": "stop"}, "s2")
    assert result["ok"] and result["state"] == "idle"
    assert service.status().state.value == "idle"

    result = send(operator, {"command": "pause", "reason": "lunch break"}, "p1")
    assert result["ok"]
    assert service.status().paused == "lunch break"
    wait_for(lambda: operator.last_json(STATUS)["paused"] == "lunch break", what="paused in the status")
    refused = send(operator, {"command": "start"}, "s3")
    assert not refused["ok"] and "paused" in refused["error"]
    assert service.status().state.value == "idle"

    assert send(operator, {"command": "resume"}, "r1")["ok"]
    assert service.status().paused is None
    wait_for(lambda: operator.last_json(STATUS)["paused"] is None, what="resumed in the status")

    assert send(operator, {"command": "reload_looks"}, "l1") == {
        "id": "l1",
        "command": "reload_looks",
        "ok": True,
        "state": "idle",
    }

    result = send(operator, {"command": "start", "preset": "no-such-list"}, "s4")
    assert not result["ok"] and "no-such-list" in result["error"]
    result = send(operator, {"command": "stop"}, "s5")
    assert not result["ok"] and "no session" in result["error"]


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        (b"not json at all", "not a JSON object"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"command": "explode"}', "unknown command"),
        (b'{"command": 7}', "unknown command"),
        (b'{"command": "start", "preset": 3}', '"preset" must be'),
        (b'{"command": "stop", "force": true}', "takes no 'force'"),
        (b'{"command": "start", "id": ' + b'"' + b"x" * 65 + b'"}', '"id" must be'),
        (b'{"command": "pause", "pad": "' + b"x" * 5000 + b'"}', "too big"),
        (b"\xff\xfe", "not a JSON object"),
    ],
)
def test_malformed_or_unknown_commands_are_refused_and_the_booth_runs_on(service, booth, payload, says):
    _link, operator = booth
    result = send(operator, payload)
    assert result["ok"] is False and says in result["error"], result
    assert service.status().state.value == "idle"
    # The link and the booth go on: the next command works.
    assert send(operator, {"command": "start"}, "after")["ok"]
    assert service.status().state.value == "welcome"


def test_an_unauthenticated_client_is_refused_and_the_booth_never_acts(service, booth, watch):
    _link, operator = booth
    for user, password in ((None, None), ("operator", "wrong password"), ("nobody", "nothing")):
        stranger = watch(user, password)
        wait_for(stranger.answered.is_set, what="the broker's answer")
        assert stranger.connack.is_failure and not stranger.connected.is_set()
        assert str(stranger.connack) == "Not authorized"
        stranger.client.publish(COMMAND, json.dumps({"command": "start", "id": "stranger"}), qos=1)
    probe = send(operator, {"command": "pause", "reason": "probe"}, "probe")
    assert probe["ok"]
    assert [r["id"] for r in operator.jsons(RESULT)] == ["probe"]
    assert service.status().state.value == "idle"


def test_a_command_from_the_read_only_dashboard_is_dropped_by_the_acl(service, booth, watch):
    _link, operator = booth
    dashboard = watch("dashboard")
    wait_for(dashboard.connected.is_set, what="the dashboard connected")
    info = dashboard.publish(COMMAND, json.dumps({"command": "start", "id": "dashboard"}))
    assert info.is_published()
    probe = send(operator, {"command": "pause", "reason": "probe"}, "probe")
    assert probe["ok"]
    assert [r["id"] for r in operator.jsons(RESULT)] == ["probe"]
    assert service.status().state.value == "idle"


def test_a_booth_cannot_command_another_booth(service, booth, watch):
    _link, operator = booth
    other = watch("booth-b")
    wait_for(other.connected.is_set, what="booth-b connected")
    other.publish(COMMAND, json.dumps({"command": "start", "id": "booth-b"}))
    assert send(operator, {"command": "pause"}, "probe")["ok"]
    assert [r["id"] for r in operator.jsons(RESULT)] == ["probe"]
    assert service.status().state.value == "idle"


def test_a_retained_command_is_never_run(service, make_link, watch):
    """A retained command would run again on every reconnect of the booth: it is ignored (logged)."""
    operator = watch("operator")
    wait_for(operator.connected.is_set, what="the operator connected")
    operator.publish(COMMAND, json.dumps({"command": "start", "id": "retained"}), retain=True)
    link = make_link(service)  # subscribes after the command was retained: gets it with the retain flag
    wait_for(lambda: link.state().connected and operator.last_json(STATUS), what="the booth connected")
    assert send(operator, {"command": "pause"}, "probe")["ok"]
    assert [r["id"] for r in operator.jsons(RESULT)] == ["probe"]
    assert service.status().state.value == "idle"


def test_commands_are_off_without_a_login(service, make_link, broker, tmp_path):
    assert not make_link(service, login=False, start=False).state().commands
    assert not make_link(service, booth_id="booth-b", commands=False, start=False).state().commands
    assert make_link(service, booth_id="booth-b", start=False).state().commands

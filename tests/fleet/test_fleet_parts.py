"""The fleet link's pure parts, without a broker: topics, command parsing, event diffs, the table."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from booth.config.outbound import FleetSettings
from booth.errors import ConfigError
from booth.fleet import commands, discovery, login_from, payload, table
from booth.fleet.mqtt import Broker, Login, MqttClient
from booth.fleet.topics import Topics, default_booth_id, fleet_filters, split


def test_booth_id_from_the_host_name_is_one_clean_topic_level():
    assert default_booth_id("booth-1") == "booth-1"
    assert default_booth_id("pi.local") == "pi"
    assert default_booth_id("Studio Booth #2") == "Studio-Booth-2"
    assert default_booth_id("+/#") == "booth"
    assert default_booth_id() == default_booth_id()  # the machine's own name, whatever it is


def test_topics_and_their_split():
    topics = Topics("studio/booths", "b1")
    assert topics.status == "studio/booths/b1/status"
    assert topics.command_result == "studio/booths/b1/command/result"
    assert fleet_filters("studio/booths") == ("studio/booths/+/status", "studio/booths/+/availability")
    assert split(topics.availability, "studio/booths") == ("b1", "availability")
    assert split(topics.command_result, "studio/booths") is None
    assert split("other/b1/status", "studio/booths") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"command": "start"}', commands.Command("start")),
        (
            '{"command": "start", "preset": "corporate", "id": "7"}',
            commands.Command("start", "7", "corporate"),
        ),
        ('{"command": "pause", "reason": "lunch"}', commands.Command("pause", reason="lunch")),
        ('{"command": "reload_looks", "id": null}', commands.Command("reload_looks")),
    ],
)
def test_valid_commands_parse(text, expected):
    assert commands.parse(text.encode()) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null",
        '"start"',
        '{"command": "START"}',
        '{"id": "x"}',
        '{"command": "resume", "reason": "x"}',
        '{"command": "pause", "reason": ""}',
        '{"command": "start", "id": 5}',
    ],
)
def test_anything_else_is_refused_with_one_line(text):
    with pytest.raises(commands.Refused) as caught:
        commands.parse(text.encode())
    assert "\n" not in str(caught.value) and str(caught.value)


def test_a_refused_command_keeps_its_id_for_the_answer():
    class NoPort:  # never reached: the command is refused before it runs
        pass

    result = commands.handle(b'{"command": "dance", "id": "abc"}', NoPort())  # type: ignore[arg-type]
    assert result["id"] == "abc" and result["ok"] is False and "unknown command" in result["error"]


def test_a_bug_in_the_port_is_an_answer_not_an_exception():
    class Broken:
        def resume(self):
            raise ZeroDivisionError("oops")

    result = commands.handle(b'{"command": "resume"}', Broken())  # type: ignore[arg-type]
    assert result["ok"] is False and "ZeroDivisionError" in result["error"]


def status(state="idle", session=None, faults=None, at=1000.0):
    return {
        "booth_id": "b1",
        "state": state,
        "session": session,
        "faults": faults or {"camera": None, "runner": None, "storage": None},
        "at": at,
    }


def test_events_from_consecutive_statuses():
    outcomes = {5: "expired"}
    diff = payload.EventDiff(outcomes.get)
    assert diff.feed(status()) == []
    assert diff.feed(status("welcome", {"id": None, "preset": "demo", "photos": 0})) == []  # not stored yet
    started = diff.feed(status("baseline", {"id": 4, "preset": "demo", "photos": 0}))
    assert [e["event"] for e in started] == ["session_started"] and started[0]["session_id"] == 4
    assert diff.feed(status("shooting", {"id": 4, "preset": "demo", "photos": 2})) == []
    finished = diff.feed(status("delivered", {"id": 4, "preset": "demo", "photos": 3}))
    assert finished[0] | {"at": 0} == {
        "booth_id": "b1",
        "at": 0,
        "event": "session_finished",
        "session_id": 4,
        "preset": "demo",
        "outcome": "delivered",
        "photos": 3,
    }
    assert diff.feed(status("delivered", {"id": 4, "preset": "demo", "photos": 3})) == []
    # A session whose end screen the polls missed: its outcome comes from the stored record.
    diff.feed(status("shooting", {"id": 5, "preset": "demo", "photos": 1}))
    missed = diff.feed(status("idle"))
    assert missed[0]["outcome"] == "expired" and missed[0]["photos"] == 1
    # A camera fault pauses a session: no finish; the fault is raised, then cleared.
    diff.feed(status("shooting", {"id": 6, "preset": "demo", "photos": 0}))
    raised = diff.feed(status("fault", {"id": 6, "preset": "demo", "photos": 0}, {"camera": "camera lost"}))
    assert [(e["event"], e["kind"], e["message"]) for e in raised] == [
        ("fault_raised", "camera", "camera lost")
    ]
    cleared = diff.feed(status("shooting", {"id": 6, "preset": "demo", "photos": 0}))
    assert [(e["event"], e["message"]) for e in cleared] == [("fault_cleared", "camera lost")]
    # A booth whose analysis falls behind the camera raises a fault of its own kind (it keeps shooting).
    slow = "the analysis keeps 8.0 frames/s over the last 30 s, under the 15 the trigger is built for"
    raised = diff.feed(status("shooting", {"id": 6, "preset": "demo", "photos": 0}, {"analysis": slow}))
    assert [(e["event"], e["kind"], e["message"]) for e in raised] == [("fault_raised", "analysis", slow)]


def test_status_changes_worth_publishing_at_once():
    before = status()
    assert payload.changed(None, before)
    assert not payload.changed(before, {**before, "at": 2000.0, "analysis_fps": 3.0})
    assert payload.changed(before, {**before, "state": "welcome"})
    assert payload.changed(before, {**before, "paused": "lunch"})


def test_offline_payload_and_local_midnight():
    last = {**status("shooting", {"id": 1}), "version": "1"}
    gone = payload.offline_payload(last, payload.Identity("b1", "1"), 5000.0)
    assert gone["state"] == "offline" and gone["session"] is None and gone["at"] == 5000.0
    now = dt.datetime(2030, 6, 1, 15, 30).timestamp()
    assert payload.local_midnight(now) == dt.datetime(2030, 6, 1).timestamp()


def test_table_rows():
    now = 10_000.0
    statuses = {
        "a": {
            "state": "shooting",
            "analysis_fps": 7.26,
            "free_disk_bytes": 3 * 1024**3,
            "sessions_today": 2,
            "photos_today": 9,
            "upload_backlog": {"pending": 3, "failing": 1},
            "version": "0.1",
            "paused": None,
            "faults": {"camera": None, "runner": "disk full"},
            "at": now,
        },
        "b": {"state": "idle", "at": now - 185, "version": "0.1"},
        "c": {"state": "offline", "at": now - 7200},
    }
    rows = {r.booth: r for r in table.rows(statuses, {"a": "online", "b": "offline", "d": "online"}, now)}
    assert rows["a"] == table.Row(
        "a", "shooting [runner fault]", "7.3", "3.0 GB", "2/9", "3 (1 failing)", "0.1"
    )
    assert rows["b"].state == "offline 3 min" and rows["b"].fps == "-"
    assert rows["c"].state == "offline 2 h"
    assert rows["d"].state == "online" and rows["d"].fps == ""
    text = table.render(list(rows.values()))
    assert text.splitlines()[0].split()[:2] == ["booth", "state"] and len(text.splitlines()) == 5
    assert table.ago(45) == "45 s" and table.ago(86400 * 3) == "3 d" and table.ago(-5) == "0 s"
    assert table.decode_status(b"[1]") is None and table.decode_status(b"\xff") is None


def test_a_booth_in_standby_shows_its_low_rate_as_on_purpose():
    now = 10_000.0
    resting = {"state": "idle", "analysis_fps": 5.0, "standby": True, "at": now}
    busy = {"state": "idle", "analysis_fps": 5.0, "standby": False, "at": now}  # slow: no mark
    rows = {r.booth: r for r in table.rows({"r": resting, "s": busy}, {}, now)}
    assert rows["r"].fps == "5.0 standby" and rows["s"].fps == "5.0"
    gone = payload.offline_payload({**resting, "booth_id": "r"}, payload.Identity("r", "0.1"), now)
    assert gone["standby"] is False and gone["analysis_fps"] == 0.0


def test_a_booth_online_whose_status_stopped_coming_shows_as_silent():
    """Its connection is up (paho answers the broker's pings), but no status came for three of its own
    intervals: the table says so rather than show the last state as if it were live."""
    now = 10_000.0
    fresh = {"state": "idle", "at": now - 20, "every_s": 10.0}
    stale = {"state": "shooting", "at": now - 600, "every_s": 10.0}
    old_booth = {"state": "idle", "at": now - 600}  # a status without every_s (an older booth): as it was
    rows = {r.booth: r for r in table.rows({"f": fresh, "s": stale, "o": old_booth}, {}, now)}
    assert rows["f"].state == "idle"
    assert rows["s"].state == "silent 10 min (last: shooting)"
    assert rows["o"].state == "idle"


def test_discovery_configs_name_the_status_topic():
    configs = discovery.configs(Topics("booths", "b1"), "homeassistant", "0.1")
    topics = [topic for topic, _ in configs]
    assert "homeassistant/sensor/b1/photos_today/config" in topics and len(topics) == 7
    assert all(json.loads(text)["state_topic"] == "booths/b1/status" for _, text in configs)


def test_broker_urls():
    assert Broker.parse("mqtt://10.0.0.5") == Broker("10.0.0.5", 1883, False)
    assert Broker.parse("mqtts://broker.example:9000/") == Broker("broker.example", 9000, True)
    assert str(Broker.parse("mqtts://h")) == "mqtts://h:8883"
    for bad in ("http://h", "mqtt://", "mqtt://h:99999"):
        with pytest.raises(ConfigError):
            Broker.parse(bad)


def test_login_from_the_credentials_file_or_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("MQTT_USERNAME", raising=False)
    monkeypatch.delenv("MQTT_PASSWORD", raising=False)
    assert not login_from(FleetSettings()).authenticated
    path = tmp_path / "mqtt.env"
    path.write_text("MQTT_USERNAME=b1\nMQTT_PASSWORD=pw\n")
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        login_from(FleetSettings(credentials_file=path))
    path.chmod(0o600)
    login = login_from(FleetSettings(credentials_file=path))
    assert (login.username, login.password, login.authenticated) == ("b1", "pw", True)


def test_a_missing_ca_file_is_a_config_error():
    with pytest.raises(ConfigError, match="ca_file"):
        MqttClient(Broker("h", 8883, True), Login(ca_file=Path("/nonexistent/ca.crt")), client_id="x")


def test_day_counts_read_again_after_the_wall_clock_jumps_back():
    class Counting:
        calls = 0

        def day_counts(self, since):
            Counting.calls += 1
            return (Counting.calls, 0)

    wall, ticks = [1_000_000.0], [0.0]
    counts = payload.DayCounts(Counting(), 10.0, lambda: wall[0], lambda: ticks[0])  # type: ignore[arg-type]
    assert counts.get() == (1, 0)
    wall[0] -= 3600  # NTP set the clock an hour back
    ticks[0] += 11
    assert counts.get() == (2, 0)
    assert counts.get() == (2, 0)  # cached until every_s passed on the monotonic clock


def test_discovery_topics_are_valid_node_ids_and_carry_no_deprecated_object_id():
    configs = discovery.configs(Topics("booths", "hall.2"), "homeassistant", "0.1")
    for topic, text in configs:
        assert topic.startswith("homeassistant/sensor/hall_2/")
        config = json.loads(text)
        assert "object_id" not in config and config["state_topic"] == "booths/hall.2/status"
    by_name = {topic.split("/")[3]: json.loads(text) for topic, text in configs}
    assert by_name["sessions_today"]["state_class"] == "total_increasing"
    assert by_name["free_disk"]["device_class"] == "data_size"
    assert "state_class" not in by_name["state"]


def sandboxed_jinja():
    """Jinja's immutable sandbox, which Home Assistant's template environment is built on (jinja2 comes
    with Flask)."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment()


def test_discovery_templates_render_unknown_rather_than_a_false_zero():
    environment = sandboxed_jinja()
    by_name = {s.name: s.template for s in discovery.SENSORS}

    def render(name, value_json):
        return environment.from_string(by_name[name]).render(value_json=value_json)

    assert render("free_disk", {"free_disk_bytes": 3 * 1073741824}) == "3.0"
    assert render("free_disk", {"free_disk_bytes": None}) == "None"
    assert render("upload_backlog", {"upload_backlog": {"pending": 2, "failing": 1}}) == "3"
    assert render("upload_backlog", {"upload_backlog": None}) == "None"
    healthy = {"camera": None, "runner": None, "storage": None, "analysis": None}
    assert render("faults", {"faults": healthy}) == "none"
    two = {**healthy, "analysis": "slow", "camera": "gone"}
    assert render("faults", {"faults": two}) == "camera, analysis"  # in the status's order
    assert render("faults", {"faults": None}) == "None"


def test_the_faults_sensor_carries_each_fault_s_message_as_an_attribute():
    """The kinds are the state (an automation alerts when it leaves "none"); the messages, which name the
    cause and the fix, are its attributes, read from the same status JSON."""
    configs = dict(discovery.configs(Topics("booths", "b1"), "homeassistant", "0.1"))
    config = json.loads(configs["homeassistant/sensor/b1/faults/config"])
    assert config["json_attributes_topic"] == config["state_topic"] == "booths/b1/status"
    template = sandboxed_jinja().from_string(config["json_attributes_template"])
    disk = "disk nearly full: 90 MB free"
    faults = {"camera": None, "runner": None, "storage": disk, "analysis": None}
    assert json.loads(template.render(value_json={"faults": faults})) == {"storage": disk}
    assert json.loads(template.render(value_json={})) == {}
    with_attributes = {"faults", "fps"}
    others = [
        json.loads(text) for topic, text in configs.items() if topic.split("/")[-2] not in with_attributes
    ]
    assert others and not any("json_attributes_topic" in other for other in others)


def test_the_rate_sensor_says_when_the_low_rate_is_standby():
    configs = dict(discovery.configs(Topics("booths", "b1"), "homeassistant", "0.1"))
    config = json.loads(configs["homeassistant/sensor/b1/fps/config"])
    assert config["json_attributes_topic"] == config["state_topic"]
    template = sandboxed_jinja().from_string(config["json_attributes_template"])
    assert json.loads(template.render(value_json={"analysis_fps": 5.0, "standby": True})) == {"standby": True}
    assert json.loads(template.render(value_json={"analysis_fps": 29.9, "standby": False})) == {
        "standby": False
    }
    assert json.loads(template.render(value_json={"analysis_fps": 29.9})) == {
        "standby": False
    }  # an older booth


def test_table_cells_keep_terminal_escapes_out():
    status = {"state": "idle\x1b[2J", "version": "v" * 500, "faults": ["not", "a", "dict"], "at": 1.0}
    cells = table.row("evil\x1b]0;x\x07", status, "online", 2.0).cells()
    assert not any(ch in cell for cell in cells for ch in "\x1b\x07")
    assert max(len(cell) for cell in cells) <= table.MAX_CELL


def test_refusals_repeat_little_of_what_was_sent():
    with pytest.raises(commands.Refused) as caught:
        commands.parse(json.dumps({"command": "x\n" * 500}).encode())
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def test_a_login_never_shows_its_password():
    assert "s3cret" not in repr(Login("booth-a", "s3cret"))

"""Home Assistant MQTT discovery: the booth's status sensors appear in Home Assistant by themselves.

Why from the status topic: each sensor reads one field of the retained status JSON through a
``value_template``, so there is one publication to keep right, and the sensors go "unavailable" with the
booth's availability topic (its last will) when it vanishes. The configs are retained and sent again on
every connect, so a Home Assistant that starts after the booth still finds them. A field the booth does
not know (``null``) renders as ``None``, which Home Assistant shows as "unknown" rather than a false 0.
No ``object_id``: Home Assistant deprecated it (2025.10); the entity ids come from the device and sensor
names, and ``unique_id`` keeps them stable.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from booth.fleet.topics import Topics

#: What Home Assistant allows in a discovery topic's node id; a booth id may also hold ".".
_NOT_NODE = re.compile(r"[^A-Za-z0-9_-]")
#: Counts that start again from 0 each day: Home Assistant reads a drop as a reset, not a loss.
DAILY = "total_increasing"
#: Jinja for the status's raised faults, as (kind, message) pairs in the status's order, and its guard.
_RAISED = "value_json.faults.items() | selectattr(1)"
_HAS_FAULTS = "value_json.faults is mapping"


@dataclass(frozen=True)
class Sensor:
    name: str  # the topic level and the unique id's tail
    title: str
    template: str
    unit: str | None = None
    icon: str | None = None
    state_class: str | None = "measurement"  # None: not a number (the state)
    device_class: str | None = None
    #: A template for the entity's attributes, read from the same status JSON (None: no attributes).
    attributes: str | None = None


SENSORS = (
    Sensor("state", "State", "{{ value_json.state }}", icon="mdi:camera-account", state_class=None),
    # In standby (an empty booth, booth.service.standby) the rate is low on purpose: an attribute says so,
    # so an automation alerting on a low rate can leave those times out.
    Sensor(
        "fps",
        "Analysis rate",
        "{{ value_json.analysis_fps }}",
        unit="fps",
        icon="mdi:speedometer",
        attributes="{{ {'standby': value_json.standby is sameas true} | tojson }}",
    ),
    Sensor(
        "free_disk",
        "Free disk",
        "{{ (value_json.free_disk_bytes / 1073741824) | round(1) "
        "if value_json.free_disk_bytes is number else None }}",
        unit="GiB",
        icon="mdi:harddisk",
        device_class="data_size",
    ),
    Sensor(
        "sessions_today",
        "Sessions today",
        "{{ value_json.sessions_today }}",
        icon="mdi:account-group",
        state_class=DAILY,
    ),
    Sensor(
        "photos_today",
        "Photos today",
        "{{ value_json.photos_today }}",
        icon="mdi:image-multiple",
        state_class=DAILY,
    ),
    Sensor(
        "upload_backlog",
        "Upload backlog",
        "{{ value_json.upload_backlog.pending + value_json.upload_backlog.failing "
        "if value_json.upload_backlog else None }}",
        icon="mdi:cloud-upload",
    ),
    # The kinds at fault ("none" when all is well) as the state, so an automation can alert on any change
    # from "none"; each fault's message (its cause and fix) as an attribute of that name.
    Sensor(
        "faults",
        "Faults",
        f"{{{{ {_RAISED} | map(attribute=0) | join(', ') or 'none' if {_HAS_FAULTS} else None }}}}",
        icon="mdi:alert-circle-outline",
        state_class=None,
        attributes=f"{{{{ dict({_RAISED}) | tojson if {_HAS_FAULTS} else '{{}}' }}}}",
    ),
)


def node_id(booth_id: str) -> str:
    """The booth id as Home Assistant's node id ("." becomes "_"; the ACL's %u then needs the same)."""
    return _NOT_NODE.sub("_", booth_id)


def config_topic(discovery_prefix: str, booth_id: str, sensor: Sensor) -> str:
    return f"{discovery_prefix}/sensor/{node_id(booth_id)}/{sensor.name}/config"


def configs(topics: Topics, discovery_prefix: str, version: str) -> list[tuple[str, str]]:
    """``(topic, JSON)`` of every sensor's retained discovery config."""
    device = {
        "identifiers": [f"booth_{topics.booth_id}"],
        "name": f"Headshot booth {topics.booth_id}",
        "model": "Headshot booth",
        "sw_version": version,
    }
    out = []
    for sensor in SENSORS:
        config: dict[str, object] = {
            "name": sensor.title,
            "unique_id": f"booth_{topics.booth_id}_{sensor.name}",
            "state_topic": topics.status,
            "value_template": sensor.template,
            "availability_topic": topics.availability,
            "payload_available": "online",
            "payload_not_available": "offline",
            "device": device,
        }
        if sensor.unit:
            config["unit_of_measurement"] = sensor.unit
        if sensor.state_class:
            config["state_class"] = sensor.state_class
        if sensor.device_class:
            config["device_class"] = sensor.device_class
        if sensor.icon:
            config["icon"] = sensor.icon
        if sensor.attributes:
            config["json_attributes_topic"] = topics.status
            config["json_attributes_template"] = sensor.attributes
        out.append((config_topic(discovery_prefix, topics.booth_id, sensor), json.dumps(config)))
    return out

"""Home Assistant MQTT discovery: the booth's status sensors appear in Home Assistant by themselves.

Why from the status topic: each sensor reads one field of the retained status JSON through a
``value_template``, so there is one publication to keep right, and the sensors go "unavailable" with the
booth's availability topic (its last will) when it vanishes. The configs are retained and sent again on
every connect, so a Home Assistant that starts after the booth still finds them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from booth.fleet.topics import Topics


@dataclass(frozen=True)
class Sensor:
    name: str  # the topic level and the unique id's tail
    title: str
    template: str
    unit: str | None = None
    icon: str | None = None
    numeric: bool = True


SENSORS = (
    Sensor("state", "State", "{{ value_json.state }}", icon="mdi:camera-account", numeric=False),
    Sensor("fps", "Analysis rate", "{{ value_json.analysis_fps }}", unit="fps", icon="mdi:speedometer"),
    Sensor(
        "free_disk",
        "Free disk",
        "{{ ((value_json.free_disk_bytes or 0) / 1073741824) | round(1) }}",
        unit="GiB",
        icon="mdi:harddisk",
    ),
    Sensor("sessions_today", "Sessions today", "{{ value_json.sessions_today }}", icon="mdi:account-group"),
    Sensor("photos_today", "Photos today", "{{ value_json.photos_today }}", icon="mdi:image-multiple"),
    Sensor(
        "upload_backlog",
        "Upload backlog",
        "{{ (value_json.upload_backlog or {}).get('pending', 0) + "
        "(value_json.upload_backlog or {}).get('failing', 0) }}",
        icon="mdi:cloud-upload",
    ),
)


def config_topic(discovery_prefix: str, booth_id: str, sensor: Sensor) -> str:
    return f"{discovery_prefix}/sensor/{booth_id}/{sensor.name}/config"


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
            "object_id": f"booth_{topics.booth_id}_{sensor.name}",
            "state_topic": topics.status,
            "value_template": sensor.template,
            "availability_topic": topics.availability,
            "payload_available": "online",
            "payload_not_available": "offline",
            "device": device,
        }
        if sensor.unit:
            config["unit_of_measurement"] = sensor.unit
        if sensor.numeric:
            config["state_class"] = "measurement"
        if sensor.icon:
            config["icon"] = sensor.icon
        out.append((config_topic(discovery_prefix, topics.booth_id, sensor), json.dumps(config)))
    return out

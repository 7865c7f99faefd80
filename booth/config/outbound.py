"""The sections for what leaves the booth: cloud delivery (S3), the fleet link (MQTT) and the hotspot.

Why a module of their own: these three talk to the world outside the booth and share one rule, that a
secret never sits in the TOML. Each names a credentials file (``KEY=value`` lines, kept 0600, the format
systemd's ``EnvironmentFile=`` reads too) or falls back to the environment; a key that looks like a secret
written into the TOML is refused by the sections' ``extra="forbid"`` with a message saying where it goes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from booth.config.base import Section

#: Keys someone might try to put into the TOML; each is refused with where the secret belongs instead.
SECRET_KEYS = frozenset(
    {
        "access_key",
        "access_key_id",
        "secret_key",
        "secret_access_key",
        "aws_access_key_id",
        "aws_secret_access_key",
        "password",
        "username",
        "token",
        "session_token",
    }
)

#: MQTT topic levels a booth id or prefix may use: no wildcards, no empty level, no leading slash.
TOPIC_PART = re.compile(r"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")


def _refuse_secrets(data: Any, section: str, where: str) -> Any:
    if isinstance(data, dict):
        for key in data:
            if str(key).lower() in SECRET_KEYS:
                raise ValueError(
                    f"{section}.{key}: credentials never go in the settings file; put them in {where}"
                )
    return data


class DeliverySettings(Section):
    """Cloud delivery of each delivered session to an S3-compatible bucket (owned by booth/delivery/)."""

    enabled: bool = Field(False, description="Upload each delivered session to the bucket below")
    endpoint_url: str = Field(
        "",
        pattern=r"^(https?://[A-Za-z0-9.\-\[\]:]+/?)?$",
        description='S3 endpoint, e.g. "https://s3.eu-central-003.backblazeb2.com" or '
        '"http://127.0.0.1:8333"; empty: AWS S3 itself',
    )
    region: str = Field("us-east-1", pattern=r"^[a-z0-9\-]+$", description="The bucket's region")
    bucket: str = Field(
        "", pattern=r"^([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])?$", description="Bucket name (S3 naming rules)"
    )
    prefix: str = Field(
        "booth",
        pattern=r"^([A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*)?$",
        description="Folder in the bucket the booth writes under; each session gets an unguessable one below",
    )
    addressing: Literal["auto", "path", "virtual"] = Field(
        "path",
        description='How the bucket is named in URLs: "path" (endpoint/bucket/key: MinIO, SeaweedFS, '
        'Garage, B2) or "virtual" (bucket.endpoint/key: AWS, R2)',
    )
    credentials_file: Path | None = Field(
        None,
        description="File of AWS_ACCESS_KEY_ID=... and AWS_SECRET_ACCESS_KEY=... lines (mode 0600); "
        "None: those variables from the environment",
    )
    link: Literal["presigned", "public"] = Field(
        "presigned",
        description='"presigned": private bucket, links signed for link_days (at most 7); "public": '
        "objects under the prefix readable by anyone with the link, removed by a lifecycle rule",
    )
    link_days: float = Field(
        7.0, gt=0, le=7, description="Presigned links stop working after this many days (SigV4: 7 at most)"
    )
    public_url: str = Field(
        "",
        pattern=r"^(https?://[A-Za-z0-9.\-\[\]:/_]+)?$",
        description='Public mode: base URL that serves the bucket, e.g. "https://photos.example.com"; '
        "empty: the endpoint's own URL of the bucket",
    )
    expire_days: int = Field(
        30,
        ge=1,
        le=3650,
        description="Lifecycle rule set by `booth delivery setup`: remote copies expire after this many days",
    )
    max_kbps: float = Field(2048.0, ge=0, le=1_000_000, description="Upload bandwidth cap in KB/s; 0: no cap")
    retry_min_s: float = Field(2.0, gt=0, le=600, description="First wait before retrying a failed upload")
    retry_max_s: float = Field(300.0, gt=0, le=86400, description="Longest wait between retries")
    timeout_s: float = Field(30.0, gt=0, le=600, description="Connect and read timeout of one request")

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        return _refuse_secrets(data, "delivery", "delivery.credentials_file or the environment")

    @model_validator(mode="after")
    def _check(self) -> DeliverySettings:
        if self.enabled and not self.bucket:
            raise ValueError("delivery.enabled needs delivery.bucket; name the bucket or disable delivery")
        if self.retry_max_s < self.retry_min_s:
            raise ValueError("delivery.retry_max_s is below delivery.retry_min_s; raise it")
        return self


class FleetSettings(Section):
    """Telemetry and commands over MQTT for a studio of many booths (owned by booth/fleet/)."""

    enabled: bool = Field(False, description="Publish status and events to the broker and take commands")
    broker: str = Field(
        "mqtt://127.0.0.1:1883",
        pattern=r"^mqtts?://[A-Za-z0-9.\-\[\]]+(:[0-9]{1,5})?/?$",
        description='Broker URL: "mqtt://host:1883", or "mqtts://host:8883" for TLS',
    )
    booth_id: str = Field(
        "",
        pattern=r"^([A-Za-z0-9_.\-]+)?$",
        description="This booth's name in the topics; empty: the machine's host name",
    )
    prefix: str = Field("booths", description="First topic level(s): <prefix>/<booth_id>/status")
    credentials_file: Path | None = Field(
        None,
        description="File of MQTT_USERNAME=... and MQTT_PASSWORD=... lines (mode 0600); None: those "
        "variables from the environment, or no password",
    )
    ca_file: Path | None = Field(None, description="CA certificate that signed the broker's (mqtts)")
    cert_file: Path | None = Field(None, description="This booth's client certificate (mqtts), or None")
    key_file: Path | None = Field(None, description="The client certificate's private key (mode 0600)")
    commands: bool = Field(
        True,
        description="Take commands (start, stop, pause, resume, reload_looks) on "
        "<prefix>/<booth_id>/command; "
        "only over an authenticated connection (password or client certificate)",
    )
    status_every_s: float = Field(10.0, ge=1, le=3600, description="Seconds between status publications")
    keepalive_s: int = Field(
        30,
        ge=5,
        le=3600,
        description="MQTT keep-alive; the broker declares the booth "
        "offline about 1.5 times this after it goes silent",
    )
    home_assistant: bool = Field(False, description="Publish Home Assistant MQTT discovery for the status")
    discovery_prefix: str = Field("homeassistant", description="Home Assistant's discovery topic prefix")

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        return _refuse_secrets(data, "fleet", "fleet.credentials_file or the environment")

    @field_validator("prefix", "discovery_prefix")
    @classmethod
    def _topic(cls, value: str) -> str:
        if not TOPIC_PART.fullmatch(value):
            raise ValueError("use letters, digits, '_', '.', '-' and '/' between levels; no + or #")
        return value

    @model_validator(mode="after")
    def _check(self) -> FleetSettings:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("fleet.cert_file and fleet.key_file go together; set both or neither")
        if self.cert_file is not None and not self.broker.startswith("mqtts://"):
            raise ValueError("a client certificate needs TLS; use an mqtts:// broker URL")
        return self


class HotspotSettings(Section):
    """The booth's own Wi-Fi for venues without internet (set up by firmware/hotspot.sh with nmcli)."""

    enabled: bool = Field(False, description="The end screen shows a Wi-Fi join code before the gallery link")
    ssid: str = Field("HeadshotBooth", min_length=1, max_length=32, description="The hotspot's network name")
    password_file: Path = Field(
        Path("/etc/booth/hotspot.psk"),
        description="File holding the hotspot's WPA2 passphrase (written by firmware/hotspot.sh, 0600)",
    )
    address: str = Field(
        "10.42.0.1",
        pattern=r"^[0-9.]+$",
        description="The booth's address on its hotspot (NetworkManager's shared mode gives 10.42.0.1)",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        return _refuse_secrets(data, "hotspot", "hotspot.password_file")

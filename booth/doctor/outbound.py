"""The doctor's checks of what leaves the booth: cloud delivery (the S3 bucket) and the fleet link (MQTT).

Why here and not in ``booth delivery check`` or ``booth fleet``: those are the studio's setup tools (a probe
object put and deleted, a live table); the doctor asks only whether *this* booth, as configured, would get
through today, with one line and one fix per problem. So each check makes the least traffic that answers:

* **delivery**: the keys read (:func:`booth.secrets_file.credentials`), one HEAD of the bucket
  (:meth:`booth.delivery.s3.Bucket.check_bucket`, no retry, ``delivery.timeout_s``), and the outbox read
  from the data folder's database (read-only, so it runs beside the live booth). Jobs that keep failing are
  a warning naming the oldest one's reason: the uploader retries them by itself, but someone should look.
* **fleet**: the broker accepts this booth's login. The doctor connects under a client id of its own
  (``booth-<booth_id>-doctor``): under the booth's own id the broker would end the running booth's session
  ("session taken over") and the booth would drop off the studio's table. It subscribes to nothing,
  publishes nothing and leaves no last will. A booth id left empty on a host still called ``raspberrypi``
  is a warning: every SD card cloned from one image has that name, and two booths on one id overwrite each
  other's status and both obey one booth's commands.

A section that is not enabled passes with a line saying it is off. boto3 and paho are imported only when
their section is on, so a booth without them pays nothing for these checks.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from booth.doctor import CheckResult
from booth.errors import BoothError, ConfigError
from booth.secrets_file import credentials

if TYPE_CHECKING:
    from booth.config.outbound import DeliverySettings, FleetSettings
    from booth.fleet.mqtt import BrokerError
    from booth.storage import OutboxSummary

#: Host names a fresh Raspberry Pi OS image (or a cloned card) boots with: never a booth's identity.
DEFAULT_HOSTNAMES = frozenset({"raspberrypi", "localhost"})
#: Seconds the fleet check waits for the broker's answer (as `booth fleet` does).
FLEET_TIMEOUT_S = 10.0


def _cause_and_fix(err: BoothError, fallback_fix: str) -> tuple[str, str]:
    """A one-line ``cause; fix`` error split into the table's two columns (the fix is the last part)."""
    cause, sep, fix = str(err).rpartition("; ")
    return (cause, fix) if sep else (str(err), fallback_fix)


# --- delivery --------------------------------------------------------------------------------------------


def check_delivery(settings: DeliverySettings, data: Path) -> CheckResult:
    """Cloud delivery would work: the keys read, the bucket answers, and the outbox is not stuck."""
    from booth.delivery.s3 import KEY_NAMES, Bucket, BucketError

    name = "delivery"
    if not settings.enabled:
        return CheckResult(name, True, "off (delivery.enabled is false)")
    where = str(settings.credentials_file) if settings.credentials_file is not None else "the environment"
    try:
        keys = credentials(settings.credentials_file, KEY_NAMES, required=True)
    except ConfigError as err:
        cause, fix = _cause_and_fix(err, "fix delivery.credentials_file")
        return CheckResult(name, False, f"keys: {cause}", fix)
    summary, note = _outbox(data)
    bucket = Bucket.from_settings(settings, keys)  # no throttle: one HEAD, no body
    try:
        bucket.check_bucket()
    except BucketError as err:
        fix = err.fix or "check delivery.endpoint_url and that the server is up; uploads wait in the outbox"
        waiting = f"; {summary.backlog} uploads waiting" if summary is not None and summary.backlog else ""
        return CheckResult(name, False, err.cause + waiting, fix)
    detail = f"keys from {where}; bucket {bucket.name} answers at {bucket.endpoint}; {note}"
    failing = _failing(summary) if summary is not None else None
    if failing is not None:
        return CheckResult(name, True, f"{detail}; {failing[0]}", failing[1], warn=True)
    return CheckResult(name, True, detail)


def _outbox(data: Path) -> tuple[OutboxSummary | None, str]:
    """The data folder's outbox (read-only: the booth may be running) and a few words about it."""
    from booth.storage import Storage

    store = Storage(data)
    if not store.db_path.exists():
        return None, f"no outbox yet (no {store.db_path})"
    try:
        summary = store.outbox_summary()
    except BoothError as err:
        return None, f"outbox unreadable ({err})"
    return summary, _backlog(summary)


def _backlog(summary: OutboxSummary) -> str:
    return f"outbox: {summary.pending} pending, {summary.failing} failing, {summary.done} uploaded"


def _failing(summary: OutboxSummary) -> tuple[str, str] | None:
    if not summary.failing or not summary.failures:
        return None
    oldest = summary.failures[0]
    what = f"{oldest.kind} {oldest.key}" + (f" (session {oldest.session_id})" if oldest.session_id else "")
    tries = f"{oldest.attempts} attempt{'s' if oldest.attempts != 1 else ''}"
    detail = f"oldest failure: {what} after {tries}: {oldest.last_error}"
    fix = (
        "the booth retries by itself; fix the cause above, then watch `booth delivery queue` "
        "(on the operator page: the delivery queue) drain"
    )
    return detail, fix


# --- fleet -----------------------------------------------------------------------------------------------


def check_fleet(
    settings: FleetSettings,
    hostname: Callable[[], str] = socket.gethostname,
    timeout: float = FLEET_TIMEOUT_S,
) -> CheckResult:
    """The broker accepts this booth's login (under the doctor's own client id); the booth id is its own."""
    from booth.fleet import login_from
    from booth.fleet.mqtt import Broker, BrokerError, MqttClient
    from booth.fleet.topics import default_booth_id

    name = "fleet"
    if not settings.enabled:
        return CheckResult(name, True, "off (fleet.enabled is false)")
    host = hostname()
    booth_id = settings.booth_id or default_booth_id(host)
    try:
        broker = Broker.parse(settings.broker)
        login = login_from(settings)
        client = MqttClient(broker, login, client_id=f"booth-{booth_id}-doctor")
    except ConfigError as err:
        cause, fix = _cause_and_fix(err, "fix fleet.credentials_file")
        return CheckResult(name, False, cause, fix)
    try:
        client.connect(timeout)
    except BrokerError as err:
        return CheckResult(name, False, *_broker_failure(err, settings))
    client.stop()
    who = f"user {login.username}" if login.username else "certificate" if login.cert_file else "no login"
    detail = f"{broker} accepts booth {booth_id} ({who})"
    short = host.split(".")[0].lower()
    if not settings.booth_id and short in DEFAULT_HOSTNAMES:
        return CheckResult(
            name,
            True,
            f"{detail}; but the booth id comes from the host name {host!r}, which every card cloned from "
            "a fresh Raspberry Pi OS image shares: two booths on one id overwrite each other",
            "set fleet.booth_id to a name of its own (or give the Pi its own host name: "
            "sudo hostnamectl set-hostname booth-1), then restart the booth",
            warn=True,
        )
    return CheckResult(name, True, detail)


def _broker_failure(err: BrokerError, settings: FleetSettings) -> tuple[str, str]:
    """The detail and fix for a refused login, an unreachable broker or one that does not answer."""
    text = str(err)
    cause = text.split("; check", 1)[0]
    where = str(settings.credentials_file) if settings.credentials_file else "the environment"
    if "refused the connection" in text:
        return cause, (
            f"check MQTT_USERNAME and MQTT_PASSWORD in {where} against the broker's password file "
            "(mosquitto_passwd), or the client certificate (fleet.cert_file)"
        )
    if "cannot reach" in text:
        return cause, f"check that the broker runs and that fleet.broker ({settings.broker}) names it"
    return cause, f"check fleet.broker ({settings.broker}), the network and, for mqtts, fleet.ca_file"

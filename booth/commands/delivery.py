"""``booth delivery check|setup|queue``: try the bucket, prepare it once, and see what is waiting to go up.

* ``check`` runs what the uploader needs, one line per step, and stops at the first that fails: the keys
  are readable, the bucket answers, and a probe object can be put, read back and deleted. Exit 1 on a failure.
* ``setup`` is the studio's one-off preparation of the bucket, run with the studio's admin keys
  (``--credentials FILE``; the booth's own keys usually may not change bucket settings): a lifecycle rule
  expiring the prefix after ``delivery.expire_days``, and in public mode a bucket policy letting anyone read
  objects under the prefix (never list them). It prints what it wrote.
* ``queue`` prints the outbox from the data folder's database: pending, failing with the reason, done.
  It only reads, so it runs beside the live booth.

Settings: the same files as ``booth run`` (``--config``, else ``$BOOTH_CONFIG``, else
``/etc/booth/booth.toml``; the page's changes in ``<data>/booth.toml`` over it).
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

from booth.commands.run import DEFAULT_DATA, load_settings, settings_files
from booth.errors import BoothError, ConfigError
from booth.secrets_file import credentials

if TYPE_CHECKING:
    from booth.config import Settings
    from booth.config.outbound import DeliverySettings
    from booth.delivery.s3 import Bucket
    from booth.storage import OutboxSummary


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("delivery", help="check, set up or inspect cloud delivery (S3)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="keys, bucket and a probe object, one line per step")
    setup = actions.add_parser(
        "setup", help="lifecycle rule, and in public mode the read policy (admin keys)"
    )
    queue = actions.add_parser("queue", help="what is waiting to go up, and what failed")
    for sub in (check, setup, queue):
        sub.add_argument(
            "--config",
            type=Path,
            metavar="FILE",
            help="settings file (default: $BOOTH_CONFIG, else /etc/booth/booth.toml)",
        )
        sub.add_argument(
            "--data",
            type=Path,
            default=DEFAULT_DATA,
            metavar="DIR",
            help="the booth's data folder (default ./var)",
        )
    for sub in (check, setup):
        sub.add_argument(
            "--credentials",
            type=Path,
            metavar="FILE",
            help="keys to use instead of delivery.credentials_file (setup: the studio's admin keys)",
        )
    check.set_defaults(func=run_check)
    setup.set_defaults(func=run_setup)
    queue.set_defaults(func=run_queue)


def _settings(args: argparse.Namespace) -> tuple[Settings, Path]:
    data_dir = args.data.expanduser().resolve()
    return load_settings(*settings_files(args.config, data_dir)), data_dir


def _bucket(delivery: DeliverySettings, keys_file: Path | None) -> tuple[Bucket, str]:
    """The bucket with the given keys (a one-line ConfigError if unreadable), and where they came from."""
    from booth.delivery.s3 import KEY_NAMES, Bucket

    if not delivery.bucket:
        raise ConfigError("delivery.bucket is empty; name the bucket in the settings first")
    path = keys_file if keys_file is not None else delivery.credentials_file
    keys = credentials(path, KEY_NAMES, required=True)
    return Bucket.from_settings(delivery, keys), str(path) if path is not None else "the environment"


def _step(name: str, detail: str) -> None:
    print(f"ok    {name:<12} {detail}", flush=True)


def _fail(name: str, err: BaseException | str) -> int:
    print(f"FAIL  {name:<12} {err}", flush=True)
    return 1


def run_check(args: argparse.Namespace) -> int:
    delivery = _settings(args)[0].delivery
    if not delivery.bucket:
        return _fail(
            "settings", ConfigError("delivery.bucket is empty; name the bucket in the settings first")
        )
    try:
        bucket, source = _bucket(delivery, args.credentials)
    except ConfigError as err:
        return _fail("keys", err)
    _step("keys", f"read from {source}")
    probe = f"{delivery.prefix + '/' if delivery.prefix else ''}.booth-probe-{secrets.token_hex(6)}"
    body = f"headshot booth probe {time.time():.0f}\n".encode()
    steps = (
        ("bucket", lambda: bucket.check_bucket(), f"{bucket.name} answers at {bucket.endpoint}"),
        ("put", lambda: bucket.put(probe, body, "text/plain", ""), f"{probe} ({len(body)} bytes)"),
        ("get", lambda: _read_back(bucket, probe, body), f"{probe} read back intact"),
        ("delete", lambda: bucket.delete(probe), f"{probe} deleted"),
    )
    for name, act, detail in steps:
        try:
            act()
        except BoothError as err:
            if name in ("get", "delete"):
                _cleanup(bucket, probe)
            if not getattr(err, "fix", True):  # a bucket error with only a cause: say where to look
                return _fail(name, f"{err}; check delivery.endpoint_url and that the server is up")
            return _fail(name, err)
        _step(name, detail)
    print(f"delivery check passed: links will be {delivery.link}", flush=True)
    return 0


def _read_back(bucket: Bucket, key: str, body: bytes) -> None:
    from booth.delivery.s3 import BucketError

    got = bucket.get(key)
    if got != body:
        raise BucketError(
            f"{key} came back different ({len(got)} bytes, not {len(body)})", "check the endpoint"
        )


def _cleanup(bucket: Bucket, key: str) -> None:
    with contextlib.suppress(BoothError):  # the failure that matters is already reported
        bucket.delete(key)


def run_setup(args: argparse.Namespace) -> int:
    delivery = _settings(args)[0].delivery
    bucket, source = _bucket(delivery, args.credentials)
    where = f"{bucket.name}/{delivery.prefix + '/' if delivery.prefix else ''}"
    print(f"setting up {where} at {bucket.endpoint} with the keys from {source}", flush=True)
    bucket.check_bucket()
    bucket.set_expiry(delivery.prefix, delivery.expire_days)
    print(f"lifecycle: objects under {where} expire after {delivery.expire_days} days (rule booth-expire)")
    if delivery.link == "public":
        statement = bucket.allow_public_read(delivery.prefix)
        print(
            f"policy: anyone may read {statement['Resource']} (statement {statement['Sid']});"
            " listing stays private"
        )
    else:
        print("policy: unchanged (presigned links: the bucket stays private)")
    return 0


def run_queue(args: argparse.Namespace) -> int:
    from booth.storage import Storage

    settings, data_dir = _settings(args)
    delivery = settings.delivery
    summary = Storage(data_dir, settings.storage).outbox_summary()
    state = "on" if delivery.enabled else "off"
    print(f"delivery {state}: {delivery.endpoint_url or 'AWS S3'} bucket {delivery.bucket or '(none)'}")
    for line in summary_lines(summary, time.time()):
        print(line)
    return 0


def summary_lines(summary: OutboxSummary, now: float) -> list[str]:
    """The outbox as lines for a terminal: counts, then each failing job with its reason, then the latest."""
    lines = [f"pending {summary.pending}, failing {summary.failing}, done {summary.done}"]
    if summary.oldest_pending_at is not None:
        lines.append(f"oldest waiting for {_ago(now - summary.oldest_pending_at)}")
    if summary.next_retry_at is not None:
        lines.append(f"next retry in {_ago(max(0.0, summary.next_retry_at - now))}")
    for job in summary.failures:
        what = job.key if job.kind == "upload" else f"delete {job.key}/"
        lines.append(f"  failing  {what} (tried {job.attempts}x): {job.last_error}")
    for session_id, key, done_at in summary.recent:
        lines.append(f"  done     {key} (session {session_id}, {_ago(now - done_at)} ago)")
    return lines


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"

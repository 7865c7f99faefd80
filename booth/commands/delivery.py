"""``booth delivery check|setup|queue``: try the bucket, prepare it once, and see what is waiting to go up.

* ``check`` runs every kind of request the uploader makes, one line per step, and stops at the first that
  fails: the keys are readable, the bucket answers, and a probe object can be put, found by a HEAD with its
  sha256 metadata, read back, listed and deleted with a folder delete (a session's deletion). Exit 1 on a
  failure. Why all of them: a studio's keys often may put but not list, and the folder delete then fails
  only when a client asks to be forgotten.
* ``setup`` is the studio's one-off preparation of the bucket, run with the studio's admin keys
  (``--credentials FILE``; the booth's own keys usually may not change bucket settings): a lifecycle rule
  expiring the prefix after ``delivery.expire_days``, and in public mode a bucket policy letting anyone read
  objects under the prefix (never list them). It prints what it wrote, one line per step; a step the provider
  does not offer (R2, B2 and Garage have no bucket policies) says what to do in its console instead, and
  the other steps still run. Exit 1 when a step failed.
* ``queue`` prints the outbox from the data folder's database: pending, failing with the reason, done.
  It only reads, so it runs beside the live booth.

Settings: the same files as ``booth run`` (``--config``, else ``$BOOTH_CONFIG``, else
``/etc/booth/booth.toml``; the page's changes in ``<data>/booth.toml`` over it).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

from booth.commands import options
from booth.commands.run import load_settings, settings_files
from booth.durations import ago
from booth.errors import BoothError, ConfigError
from booth.secrets_file import credentials

if TYPE_CHECKING:
    from booth.config import Settings
    from booth.config.outbound import DeliverySettings
    from booth.delivery.s3 import Bucket, BucketError
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
        options.add_config(sub)
        options.add_data(sub)
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
    folder = f"{delivery.prefix + '/' if delivery.prefix else ''}.booth-probe-{secrets.token_hex(6)}"
    probe = f"{folder}/probe.txt"
    body = f"headshot booth probe {time.time():.0f}\n".encode()
    digest = hashlib.sha256(body).hexdigest()
    steps = (
        ("bucket", lambda: bucket.check_bucket(), f"{bucket.name} answers at {bucket.endpoint}"),
        ("put", lambda: bucket.put(probe, body, "text/plain", digest), f"{probe} ({len(body)} bytes)"),
        ("head", lambda: _head_back(bucket, probe, digest), f"{probe} found with its sha256"),
        ("get", lambda: _read_back(bucket, probe, body), f"{probe} read back intact"),
        ("list", lambda: _listed(bucket, folder, probe), f"{folder}/ lists the probe"),
        ("delete", lambda: _folder_gone(bucket, folder), f"{folder}/ deleted as a session's folder is"),
    )
    for name, act, detail in steps:
        try:
            act()
        except BoothError as err:
            if name != "bucket":
                _cleanup(bucket, probe)
            if not getattr(err, "fix", True):  # a bucket error with only a cause: say where to look
                return _fail(name, f"{err}; check delivery.endpoint_url and that the server is up")
            return _fail(name, err)
        _step(name, detail)
    print(f"delivery check passed: links will be {delivery.link}", flush=True)
    return 0


def _head_back(bucket: Bucket, key: str, digest: str) -> None:
    from booth.delivery.s3 import BucketError

    there = bucket.head(key)
    if there is None or there.sha256 != digest:
        found = "nothing" if there is None else f"sha256 {there.sha256 or '(none)'}"
        raise BucketError(
            f"a HEAD of {key} found {found}, not its sha256 metadata",
            "the server must keep x-amz-meta-* metadata: the booth relies on it not to upload twice",
        )


def _read_back(bucket: Bucket, key: str, body: bytes) -> None:
    from booth.delivery.s3 import BucketError

    got = bucket.get(key)
    if got != body:
        raise BucketError(
            f"{key} came back different ({len(got)} bytes, not {len(body)})", "check the endpoint"
        )


def _listed(bucket: Bucket, folder: str, key: str) -> None:
    from booth.delivery.s3 import BucketError

    if bucket.keys(folder) != [key]:
        raise BucketError(
            f"listing {folder}/ did not show {key}", "the booth's keys need the right to list the prefix"
        )


def _folder_gone(bucket: Bucket, folder: str) -> None:
    from booth.delivery.s3 import BucketError

    if bucket.delete_folder(folder) != 1 or bucket.keys(folder):
        raise BucketError(f"{folder}/ is still there after deleting it", "check the keys' delete right")


def _cleanup(bucket: Bucket, key: str) -> None:
    with contextlib.suppress(BoothError):  # the failure that matters is already reported
        bucket.delete(key)


#: What to do by hand when a provider has no lifecycle rules or bucket policies over the S3 API.
_BY_HAND = {
    "lifecycle": "add a rule expiring the prefix in the provider's console (B2: the bucket's lifecycle)",
    "policy": "make the prefix readable in the provider's console (R2: a public bucket or custom domain;"
    " B2: a public bucket; Garage: website access) and set delivery.public_url",
}


def run_setup(args: argparse.Namespace) -> int:
    from booth.delivery.s3 import BucketError

    delivery = _settings(args)[0].delivery
    bucket, source = _bucket(delivery, args.credentials)
    where = f"{bucket.name}/{delivery.prefix + '/' if delivery.prefix else ''}"
    print(f"setting up {where} at {bucket.endpoint} with the keys from {source}", flush=True)
    bucket.check_bucket()
    failed = 0
    try:
        bucket.set_expiry(delivery.prefix, delivery.expire_days)
        days = delivery.expire_days
        print(f"lifecycle: objects under {where} expire after {days} days (rule booth-expire)")
    except BucketError as err:
        failed = _fail("lifecycle", _setup_error(err, "lifecycle"))
    if delivery.link != "public":
        print("policy: unchanged (presigned links: the bucket stays private)")
        return failed
    try:
        statement = bucket.allow_public_read(delivery.prefix)
    except BucketError as err:
        return _fail("policy", _setup_error(err, "policy"))
    readable, sid = statement["Resource"], statement["Sid"]
    print(f"policy: anyone may read {readable} (statement {sid}); listing stays private")
    return failed


def _setup_error(err: BucketError, step: str) -> str:
    """The step's one line: the provider lacking the feature, or AWS's public-access block, says the fix."""
    from booth.delivery.s3 import BucketRefused, BucketUnsupported

    if isinstance(err, BucketUnsupported):
        return f"{err.cause}; {_BY_HAND[step]}"
    if isinstance(err, BucketRefused) and step == "policy":
        return f"{err.cause}; use admin keys, and on AWS allow bucket policies in Block Public Access"
    return str(err)


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
        lines.append(f"oldest waiting for {ago(now - summary.oldest_pending_at)}")
    if summary.next_retry_at is not None:
        lines.append(f"next retry in {ago(max(0.0, summary.next_retry_at - now))}")
    for job in summary.failures:
        what = job.key if job.kind == "upload" else f"delete {job.key}/"
        lines.append(f"  failing  {what} (tried {job.attempts}x): {job.last_error}")
    for session_id, key, done_at in summary.recent:
        lines.append(f"  done     {key} (session {session_id}, {ago(now - done_at)} ago)")
    return lines

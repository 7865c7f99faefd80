"""The bucket, through boto3: the only module that imports boto3 or botocore.

Why boto3 and not hand-written requests: SigV4 signing, presigned URLs and each provider's quirks (path or
virtual-host addressing, regions) are easy to get subtly wrong, and boto3 already talks to AWS, B2, R2,
MinIO, SeaweedFS and Garage. The client is built with:

* ``signature_version="s3v4"``: the only signature every provider accepts, and what presigning needs;
* ``request_checksum_calculation="when_required"``: botocore's newer default adds CRC32 trailers that
  several S3-compatible servers reject; the booth checks its own sha256 instead;
* a ``Content-MD5`` on the few requests S3 requires a checksum for (DeleteObjects, the lifecycle rule,
  the bucket policy): botocore 1.36 and later send only a CRC32 there, which MinIO before 2025, Ceph and
  several other S3-compatible servers refuse (``MissingContentMD5``); AWS accepts both together;
* short timeouts and **no retries**: a failed request fails at once, and the persistent queue retries it
  with its own backoff (so a booth without internet is never stuck inside one request).

Every botocore error leaves this module as a :class:`BucketError` whose ``cause`` is one line (what went
wrong, with the endpoint) and ``fix`` the operator's next step, if there is one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.exceptions as bex
from botocore.config import Config

from booth.delivery.throttle import ThrottledReader, TokenBucket, UploadCancelled
from booth.errors import BoothError

if TYPE_CHECKING:
    from booth.config.outbound import DeliverySettings

#: The credential names a studio hands the booth (the names the AWS tools use).
KEY_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
#: The object metadata that holds the body's sha256 (sent as the header x-amz-meta-sha256).
SHA_META = "sha256"
#: SigV4 presigned URLs are valid for 7 days at most.
MAX_PRESIGN_S = 7 * 86400
#: The id of the lifecycle rule and the policy statement ``booth delivery setup`` writes.
RULE_ID = "booth-expire"
POLICY_SID = "BoothPublicRead"

_NO_CAP = TokenBucket(0.0)
_ACCESS_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "Forbidden"}
#: The operations S3 wants a body checksum on, given a Content-MD5 as well as botocore's CRC32.
_MD5_OPERATIONS = ("DeleteObjects", "PutBucketLifecycleConfiguration", "PutBucketPolicy")
#: What a server that has no such feature answers (Cloudflare R2, Backblaze B2 and Garage: bucket policies).
_UNSUPPORTED_CODES = {"NotImplemented", "MethodNotAllowed", "UnsupportedOperation"}


class BucketError(BoothError, OSError):
    """A request to the bucket failed: ``cause`` says why in one line, ``fix`` what to do ('' if waiting)."""

    def __init__(self, cause: str, fix: str = "") -> None:
        super().__init__(f"{cause}; {fix}" if fix else cause)
        self.cause = cause
        self.fix = fix


class BucketRefused(BucketError):
    """The keys may not do this (403): wrong keys, too few rights, or a public-access block on a policy."""


class BucketUnsupported(BucketError):
    """The provider has no such feature over its S3 API (501 NotImplemented and kin)."""


@dataclass(frozen=True)
class RemoteObject:
    """What a HEAD says about an object already in the bucket."""

    key: str
    size: int
    sha256: str  # our metadata; '' when the object was not put by a booth
    content_type: str


class Bucket:
    """One bucket at one endpoint, with the booth's keys; safe to share between threads.

    ``throttle`` caps the bytes of every PUT body as it is sent; ``cancel`` (set when the uploader stops)
    makes a body being sent give up. Building one touches no network.
    """

    def __init__(
        self,
        *,
        bucket: str,
        access_key: str,
        secret_key: str,
        endpoint_url: str = "",
        region: str = "us-east-1",
        addressing: str = "path",
        timeout_s: float = 30.0,
        throttle: TokenBucket | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.name = bucket
        self.endpoint = endpoint_url.rstrip("/") or f"https://s3.{region}.amazonaws.com"
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=timeout_s,
            read_timeout=timeout_s,
            retries={"total_max_attempts": 1, "mode": "standard"},
            max_pool_connections=2,
        )
        session = boto3.session.Session()  # its own session: boto3's default one is not thread-safe
        self._client: Any = session.client(
            "s3",
            endpoint_url=endpoint_url.rstrip("/") or None,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )
        self._throttle = throttle
        self._cancel = cancel
        self._client.meta.events.register("before-send.s3.PutObject", self._throttle_body)
        for operation in _MD5_OPERATIONS:
            self._client.meta.events.register(f"before-sign.s3.{operation}", _add_content_md5)

    @classmethod
    def from_settings(
        cls,
        settings: DeliverySettings,
        keys: Mapping[str, str],
        *,
        throttle: TokenBucket | None = None,
        cancel: threading.Event | None = None,
    ) -> Bucket:
        return cls(
            bucket=settings.bucket,
            access_key=keys[KEY_NAMES[0]],
            secret_key=keys[KEY_NAMES[1]],
            endpoint_url=settings.endpoint_url,
            region=settings.region,
            addressing=settings.addressing,
            timeout_s=settings.timeout_s,
            throttle=throttle,
            cancel=cancel,
        )

    def _throttle_body(self, request: Any, **_: Any) -> None:
        """botocore's before-send hook: wrap the signed body so it goes out at the capped rate, and gives up
        when the uploader stops (also without a cap: a slow link can hold one object for long).

        Why after signing: SigV4 over plain HTTP hashes the whole body first; throttling that pass would
        double the time of every upload for nothing.
        """
        if self._throttle is None and self._cancel is None:
            return
        body = request.body
        if hasattr(body, "read") and hasattr(body, "seek"):
            start = body.tell()
            data = body.read()
            body.seek(start)
        else:
            data = body
        if isinstance(data, bytes | bytearray) and data:
            request.body = ThrottledReader(bytes(data), self._throttle or _NO_CAP, self._cancel)

    # -- objects ---------------------------------------------------------------------------------------

    def put(self, key: str, body: bytes, content_type: str, sha256: str) -> None:
        """Put ``body`` at ``key`` with its sha256 in the object's metadata."""
        self._call(
            f"putting {key}",
            self._client.put_object,
            Bucket=self.name,
            Key=key,
            Body=body,
            ContentType=content_type,
            Metadata={SHA_META: sha256},
        )

    def head(self, key: str) -> RemoteObject | None:
        """The object at ``key``, or None when there is none."""
        try:
            reply = self._call(f"checking {key}", self._client.head_object, Bucket=self.name, Key=key)
        except _Missing:
            return None
        return RemoteObject(
            key=key,
            size=int(reply.get("ContentLength", 0)),
            sha256=str(reply.get("Metadata", {}).get(SHA_META, "")),
            content_type=str(reply.get("ContentType", "")),
        )

    def get(self, key: str) -> bytes:
        reply = self._call(f"reading {key}", self._client.get_object, Bucket=self.name, Key=key)
        try:
            return bytes(reply["Body"].read())
        except (bex.BotoCoreError, OSError) as err:
            raise self._translate(err, f"reading {key}") from None

    def delete(self, key: str) -> None:
        self._call(f"deleting {key}", self._client.delete_object, Bucket=self.name, Key=key)

    def keys(self, folder: str) -> list[str]:
        """Every key under ``folder`` (a "folder/" prefix), in the bucket's order."""
        found: list[str] = []
        token: str | None = None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            args = {"Bucket": self.name, "Prefix": folder.rstrip("/") + "/", **extra}
            reply = self._call(f"listing {folder}/", self._client.list_objects_v2, **args)
            found += [str(item["Key"]) for item in reply.get("Contents", [])]
            token = reply.get("NextContinuationToken")
            if not reply.get("IsTruncated") or not token:
                return found

    def delete_folder(self, folder: str) -> int:
        """Delete every object under ``folder``; returns how many there were (0: already gone)."""
        keys = self.keys(folder)
        for start in range(0, len(keys), 1000):  # DeleteObjects takes 1000 keys at most
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            reply = self._call(
                f"deleting {folder}/",
                self._client.delete_objects,
                Bucket=self.name,
                Delete={"Objects": batch, "Quiet": True},
            )
            errors = reply.get("Errors") or []
            if errors:
                first = errors[0]
                raise BucketError(
                    f"bucket {self.name} refused to delete {first.get('Key')} ({first.get('Code')})",
                    "check that the booth's keys may delete under the prefix",
                )
        return len(keys)

    # -- links -----------------------------------------------------------------------------------------

    def presign(self, key: str, seconds: float) -> str:
        """A SigV4 GET URL of ``key`` valid for ``seconds`` (at most 7 days); computed locally."""
        expires = max(1, min(int(seconds), MAX_PRESIGN_S))
        params = {"Bucket": self.name, "Key": key}
        try:
            return str(self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires))
        except bex.BotoCoreError as err:
            raise self._translate(err, f"signing a link to {key}") from None

    def object_url(self, key: str) -> str:
        """The plain URL of ``key`` as the client addresses it (the presigned one without its query)."""
        parts = urlsplit(self.presign(key, 60))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))

    # -- the studio's one-off setup --------------------------------------------------------------------

    def check_bucket(self) -> None:
        """Raise :class:`BucketError` unless the bucket exists and the keys may use it."""
        try:
            self._call(f"reaching bucket {self.name}", self._client.head_bucket, Bucket=self.name)
        except _Missing:
            raise BucketError(
                f"bucket {self.name} does not exist at {self.endpoint}",
                "create it, or fix delivery.bucket",
            ) from None

    def set_expiry(self, prefix: str, days: int) -> None:
        """A lifecycle rule expiring objects under ``prefix`` after ``days``; other rules are kept."""
        rules = [rule for rule in self._lifecycle_rules() if rule.get("ID") != RULE_ID]
        rules.append(
            {
                "ID": RULE_ID,
                "Filter": {"Prefix": f"{prefix}/" if prefix else ""},
                "Status": "Enabled",
                "Expiration": {"Days": int(days)},
            }
        )
        self._call(
            "setting the lifecycle rule",
            self._client.put_bucket_lifecycle_configuration,
            Bucket=self.name,
            LifecycleConfiguration={"Rules": rules},
        )

    def _lifecycle_rules(self) -> list[dict[str, Any]]:
        try:
            reply = self._call(
                "reading the lifecycle rules",
                self._client.get_bucket_lifecycle_configuration,
                Bucket=self.name,
            )
        except _Missing:
            return []
        return list(reply.get("Rules", []))

    def allow_public_read(self, prefix: str) -> dict[str, Any]:
        """A bucket policy statement letting anyone GET objects under ``prefix``; other statements are kept.

        Returns the statement written. Why a policy and not object ACLs: several S3-compatible servers
        ignore ``public-read`` ACLs, and a policy scoped to the prefix keeps the rest of the bucket private.
        """
        try:
            reply = self._call("reading the bucket policy", self._client.get_bucket_policy, Bucket=self.name)
            policy = json.loads(reply.get("Policy") or "{}")
        except _Missing:
            policy = {}
        statement = {
            "Sid": POLICY_SID,
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{self.name}/{prefix + '/' if prefix else ''}*",
        }
        others = [s for s in policy.get("Statement", []) if s.get("Sid") != POLICY_SID]
        policy = {"Version": policy.get("Version", "2012-10-17"), "Statement": [*others, statement]}
        self._call(
            "writing the bucket policy",
            self._client.put_bucket_policy,
            Bucket=self.name,
            Policy=json.dumps(policy),
        )
        return statement

    # -- errors ----------------------------------------------------------------------------------------

    def _call(self, doing: str, method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except (bex.BotoCoreError, bex.ClientError, UploadCancelled, OSError) as err:
            raise self._translate(err, doing) from None

    def _translate(self, err: Exception, doing: str) -> BucketError:
        """The one line for ``err`` (the endpoint named; never the keys)."""
        where = f"{self.endpoint} (bucket {self.name})"
        if isinstance(err, UploadCancelled) or _cancelled(err):
            return BucketError("the upload was stopped: the booth is shutting down")
        if isinstance(err, bex.ClientError):
            code = str(err.response.get("Error", {}).get("Code", ""))
            status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            if code in ("404", "NoSuchKey", "NotFound", "NoSuchLifecycleConfiguration", "NoSuchBucketPolicy"):
                return _Missing(f"nothing at {where} while {doing}")
            if code == "RequestTimeTooSkewed":
                return BucketError(
                    f"{where} refused the request while {doing}: the booth's clock is off",
                    "set the clock (NTP: timedatectl set-ntp true); signatures hold for 15 minutes",
                )
            if code in _UNSUPPORTED_CODES or status == 501:
                return BucketUnsupported(f"{where} does not support {doing} ({code or status})")
            if code == "NoSuchBucket":
                return BucketError(
                    f"bucket {self.name} does not exist at {self.endpoint}",
                    "create it, or fix delivery.bucket",
                )
            if code in _ACCESS_CODES or status in (401, 403):
                return BucketRefused(
                    f"{where} refused the booth's keys while {doing} ({code or status})",
                    "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY and what they may do",
                )
            return BucketError(f"{where} answered {code or status} while {doing}")
        if isinstance(err, bex.ConnectTimeoutError | bex.ReadTimeoutError):
            return BucketError(f"bucket at {self.endpoint} did not answer in time while {doing}")
        if isinstance(err, bex.EndpointConnectionError | bex.ConnectionClosedError):
            return BucketError(f"bucket unreachable at {self.endpoint}: {_reason(err)}")
        if isinstance(err, bex.NoCredentialsError):
            return BucketError("no S3 keys", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        return BucketError(f"{doing} at {where} failed: {_first_line(err)}")


def _add_content_md5(request: Any, **_: Any) -> None:
    """botocore's before-sign hook: the body's Content-MD5, as botocore sent it before 1.36 (see above)."""
    body = request.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    if isinstance(body, bytes | bytearray) and "Content-MD5" not in request.headers:
        digest = hashlib.md5(body, usedforsecurity=False).digest()
        request.headers["Content-MD5"] = base64.b64encode(digest).decode("ascii")


class _Missing(BucketError):
    """A 404: handled inside this module (a HEAD of a new object, no lifecycle rules yet)."""


def _cancelled(err: BaseException) -> bool:
    """botocore wraps what the body's read raised; look for our cancellation in the chain."""
    seen: BaseException | None = err
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, UploadCancelled):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reason(err: Exception) -> str:
    text = str(getattr(err, "kwargs", {}).get("error", "") or err).lower()
    for needle, reason in (
        ("refused", "connection refused"),
        ("name or service not known", "host not found"),
        ("nodename nor servname", "host not found"),
        ("temporary failure in name resolution", "host not found (no DNS)"),
        ("network is unreachable", "network unreachable"),
        ("no route to host", "no route to host"),
        ("reset by peer", "connection reset"),
        ("timed out", "connection timed out"),
    ):
        if needle in text:
            return reason
    return "connection failed" if isinstance(err, bex.EndpointConnectionError) else "connection closed"


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__

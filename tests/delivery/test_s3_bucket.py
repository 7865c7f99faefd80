"""The keys and the bucket's errors: credentials read from a 0600 file or the environment (never guessed, a
one-line ConfigError otherwise), no network touched until the uploader runs, and each failure of the bucket
one line that names the endpoint and never a key."""

from __future__ import annotations

import socket

import pytest
from delivery_helpers import wait_for

from booth.config.outbound import DeliverySettings
from booth.delivery import Delivery
from booth.delivery.s3 import Bucket, BucketError
from booth.errors import ConfigError


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings(**values) -> DeliverySettings:
    base = {"enabled": True, "bucket": "photos", "endpoint_url": f"http://127.0.0.1:{closed_port()}"}
    return DeliverySettings.model_validate({**base, **values})


def keys_file(path, text: str, mode: int = 0o600):
    path.write_text(text)
    path.chmod(mode)
    return path


def test_missing_or_unsafe_keys_are_one_line_config_errors(tmp_path, seeded, monkeypatch):
    storage = seeded[0]
    with pytest.raises(ConfigError, match="credentials file not found"):
        Delivery.from_settings(settings(credentials_file=tmp_path / "none.env"), storage, 92)
    loose = keys_file(tmp_path / "loose.env", "AWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=b\n", 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        Delivery.from_settings(settings(credentials_file=loose), storage, 92)
    half = keys_file(tmp_path / "half.env", "AWS_ACCESS_KEY_ID=a\n")
    with pytest.raises(ConfigError, match="AWS_SECRET_ACCESS_KEY not set in") as err:
        Delivery.from_settings(settings(credentials_file=half), storage, 92)
    assert "\n" not in str(err.value)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    with pytest.raises(ConfigError, match="not set in the environment"):
        Delivery.from_settings(settings(), storage, 92)


def test_keys_never_go_in_the_settings_file():
    with pytest.raises(ValueError, match="credentials never go in the settings file"):
        DeliverySettings.model_validate({"bucket": "photos", "secret_access_key": "x"})


def test_keys_from_the_environment_and_no_network_until_the_uploader_runs(seeded, monkeypatch):
    """Built and delivered against a port nobody listens on: both are local work; the uploader then says
    the bucket is unreachable, and the queue keeps everything."""
    storage, session, _ = seeded
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "booth-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "booth-secret-never-shown")
    down = settings(retry_min_s=0.2, retry_max_s=0.5)
    delivery = Delivery.from_settings(down, storage, 92)
    record = delivery.deliver(session.id)
    assert record is not None and record.link.startswith(down.endpoint_url)
    assert delivery.link_state(session.id).state == "pending"
    delivery.start()
    try:
        state = wait_for(
            lambda: (s := delivery.link_state(session.id)).state == "failing" and s, what="a failure"
        )
    finally:
        delivery.stop()
    assert (
        state.error == f"bucket unreachable at {down.endpoint_url}: connection refused; the upload is retried"
    )
    assert state.link == record.link
    summary = delivery.summary()
    assert summary.pending + summary.failing == record.pending and summary.done == 0
    assert "booth-secret-never-shown" not in state.error + record.link


@pytest.mark.s3
def test_wrong_keys_and_a_missing_bucket_are_one_line_each(seaweed, bucket):
    wrong = Bucket(
        bucket=bucket, access_key=seaweed.access_key, secret_key="wrong-secret", endpoint_url=seaweed.endpoint
    )
    with pytest.raises(BucketError) as err:
        wrong.put("booth/x.jpg", b"x", "image/jpeg", "")
    assert "refused the booth's keys" in str(err.value) and seaweed.endpoint in str(err.value)
    assert "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in str(err.value)
    assert "wrong-secret" not in str(err.value) and "\n" not in str(err.value)
    missing = Bucket(
        bucket="no-such-bucket",
        access_key=seaweed.access_key,
        secret_key=seaweed.secret_key,
        endpoint_url=seaweed.endpoint,
    )
    with pytest.raises(
        BucketError, match=r"bucket no-such-bucket does not exist at .*; create it, or fix delivery\.bucket"
    ):
        missing.check_bucket()


@pytest.mark.s3
def test_head_put_list_and_delete_folder(seaweed, bucket, prefix):
    mine = Bucket(
        bucket=bucket,
        access_key=seaweed.access_key,
        secret_key=seaweed.secret_key,
        endpoint_url=seaweed.endpoint,
    )
    assert mine.head(f"{prefix}/f/a.jpg") is None
    mine.put(f"{prefix}/f/a.jpg", b"abc", "image/jpeg", "a" * 64)
    mine.put(f"{prefix}/f/b.jpg", b"defg", "image/jpeg", "b" * 64)
    mine.put(f"{prefix}/fg/c.jpg", b"h", "image/jpeg", "c" * 64)  # a folder whose name starts the same
    there = mine.head(f"{prefix}/f/a.jpg")
    assert there is not None and (there.size, there.sha256, there.content_type) == (3, "a" * 64, "image/jpeg")
    assert sorted(mine.keys(f"{prefix}/f")) == [f"{prefix}/f/a.jpg", f"{prefix}/f/b.jpg"]
    assert mine.delete_folder(f"{prefix}/f") == 2
    assert mine.keys(f"{prefix}/f") == [] and mine.delete_folder(f"{prefix}/f") == 0
    assert mine.keys(f"{prefix}/fg") == [f"{prefix}/fg/c.jpg"]


@pytest.mark.s3
def test_requests_s3_wants_a_checksum_on_carry_a_content_md5(seaweed, bucket, prefix):
    """botocore 1.36+ sends only a CRC32 on DeleteObjects; servers that insist on Content-MD5 (older MinIO,
    Ceph...) would refuse every folder delete. The header must be there and right."""
    import base64
    import hashlib

    mine = Bucket(
        bucket=bucket,
        access_key=seaweed.access_key,
        secret_key=seaweed.secret_key,
        endpoint_url=seaweed.endpoint,
    )
    seen: list[tuple[str, bytes]] = []

    def capture(request, **_):
        header = request.headers.get("Content-MD5", b"")  # the prepared request's headers are bytes
        seen.append((header.decode() if isinstance(header, bytes) else header, request.body))

    mine._client.meta.events.register("before-send.s3.DeleteObjects", capture)
    mine.put(f"{prefix}/md5/a.jpg", b"abc", "image/jpeg", "")
    assert mine.delete_folder(f"{prefix}/md5") == 1
    assert len(seen) == 1
    header, body = seen[0]
    assert header == base64.b64encode(hashlib.md5(body).digest()).decode()


def test_a_skewed_clock_is_named_as_such_not_as_wrong_keys():
    from botocore.exceptions import ClientError

    mine = Bucket(bucket="photos", access_key="k", secret_key="s", endpoint_url="http://127.0.0.1:9")
    skewed = ClientError(
        {"Error": {"Code": "RequestTimeTooSkewed"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "PutObject"
    )
    err = mine._translate(skewed, "putting booth/x.jpg")
    assert "clock is off" in str(err) and "NTP" in err.fix and "keys" not in str(err)
    unsupported = ClientError(
        {"Error": {"Code": "NotImplemented"}, "ResponseMetadata": {"HTTPStatusCode": 501}}, "PutBucketPolicy"
    )
    assert "does not support writing the bucket policy" in str(
        mine._translate(unsupported, "writing the bucket policy")
    )

"""The upload bandwidth cap: the token bucket's arithmetic on a fake clock, the reader's file behaviour, and
a real 1 MB PUT to SeaweedFS at 512 KB/s taking about two seconds (only a lower bound is asserted)."""

from __future__ import annotations

import hashlib
import os
import threading
import time

import pytest

from booth.delivery.s3 import Bucket, BucketError
from booth.delivery.throttle import CHUNK, ThrottledReader, TokenBucket, UploadCancelled


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_bucket_spends_at_its_rate_after_one_burst():
    fake = FakeTime()
    bucket = TokenBucket(1000.0, burst=100.0, clock=fake.clock, sleep=fake.sleep)
    bucket.take(100)
    assert fake.now == 0.0  # the first burst is free
    for _ in range(10):
        bucket.take(100)
    assert fake.now == pytest.approx(1.0, abs=0.01)  # then 1000 bytes took one second


def test_no_cap_never_waits():
    fake = FakeTime()
    bucket = TokenBucket(0.0, clock=fake.clock, sleep=fake.sleep)
    bucket.take(10**9)
    assert fake.now == 0.0


def test_a_take_is_cancelled_when_the_uploader_stops():
    fake = FakeTime()
    bucket = TokenBucket(10.0, burst=10.0, clock=fake.clock, sleep=fake.sleep)
    bucket.take(10)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(UploadCancelled):
        bucket.take(10, cancel)


def test_the_reader_gives_back_the_bytes_in_chunks_and_rewinds():
    data = os.urandom(3 * CHUNK + 5)
    reader = ThrottledReader(data, TokenBucket(0.0))
    assert len(reader) == len(data)
    chunks = iter(lambda: reader.read(), b"")
    got = list(chunks)
    assert b"".join(got) == data and max(map(len, got)) == CHUNK
    assert reader.seek(0) == 0 and reader.read(7) == data[:7] and reader.tell() == 7


@pytest.mark.s3
def test_a_megabyte_at_512_kbps_takes_about_two_seconds(seaweed, bucket, prefix):
    body = os.urandom(1024 * 1024)
    capped = Bucket(
        bucket=bucket,
        access_key=seaweed.access_key,
        secret_key=seaweed.secret_key,
        endpoint_url=seaweed.endpoint,
        throttle=TokenBucket.from_kbps(512),
    )
    started = time.monotonic()
    capped.put(f"{prefix}/big.bin", body, "application/octet-stream", hashlib.sha256(body).hexdigest())
    assert time.monotonic() - started >= 1.5
    assert capped.get(f"{prefix}/big.bin") == body


@pytest.mark.s3
def test_stopping_cuts_a_slow_upload_short_and_leaves_no_object(seaweed, bucket, prefix):
    cancel = threading.Event()
    slow = Bucket(
        bucket=bucket,
        access_key=seaweed.access_key,
        secret_key=seaweed.secret_key,
        endpoint_url=seaweed.endpoint,
        throttle=TokenBucket.from_kbps(64),
        cancel=cancel,
    )
    timer = threading.Timer(0.5, cancel.set)
    timer.start()
    started = time.monotonic()
    with pytest.raises(BucketError, match="stopped"):
        slow.put(f"{prefix}/cut.bin", os.urandom(1024 * 1024), "application/octet-stream", "")
    timer.join()
    assert time.monotonic() - started < 10  # not the 16 s the whole body would take
    assert slow.head(f"{prefix}/cut.bin") is None

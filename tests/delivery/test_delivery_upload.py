"""A delivered session reaches a real bucket (SeaweedFS): every photo, crop and the page, once, hash-checked;
the link states the kiosk shows; an object already there is not sent again; and the S3 server going down in
the middle of a delivery: the queue holds with the reason, loses nothing, and drains when it is back."""

from __future__ import annotations

import hashlib
import os

import pytest
from delivery_helpers import check_folder, job_for, wait_for

from booth.delivery import Delivery
from booth.delivery.plan import PAGE_NAME, plan_session
from booth.delivery.render import Renderer

pytestmark = pytest.mark.s3


def test_a_delivered_session_is_uploaded_whole_and_its_link_works(
    seaweed, bucket, prefix, delivery_settings, seeded
):
    storage, session, shots = seeded
    delivery = Delivery.from_settings(delivery_settings(), storage, 92)
    assert delivery.link_state(session.id).state == "off"
    delivery.start()
    try:
        thread = delivery.uploader._thread
        assert thread is not None and thread.native_id is not None
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) >= 10  # below the analysis loop
        record = delivery.deliver(session.id)
        assert record is not None and record.folder.startswith(prefix + "/")
        assert record.link.split("?")[0].endswith(f"{record.folder}/{PAGE_NAME}")
        assert delivery.link_state(session.id).state in ("pending", "done")
        wait_for(lambda: delivery.link_state(session.id).state == "done", what="the upload to finish")
        state = delivery.link_state(session.id)
        assert state.link == record.link and state.error == ""
        assert delivery.connected is None
        again = delivery.deliver(session.id)  # idempotent: same folder and link, nothing queued twice
        assert again is not None and (again.folder, again.link) == (record.folder, record.link)
    finally:
        delivery.stop()
    check_folder(seaweed, bucket, storage, session.id, record.folder)
    planned = plan_session(record.folder, shots)
    assert len(planned) == 4 * 2 + 3 * 2 + 1  # four views and originals, three shots with two crops, the page
    summary = delivery.summary()
    assert (summary.pending, summary.failing, summary.done) == (0, 0, len(planned))
    status, body = seaweed.anonymous_get(record.link)
    assert status == 200 and b"Confident" in body


def test_an_object_already_there_with_its_hash_is_not_sent_again(seaweed, bucket, delivery_settings, seeded):
    """The crash between a PUT and its done mark: the HEAD finds the same sha256 and the PUT is skipped."""
    storage, session, _ = seeded
    delivery = Delivery.from_settings(delivery_settings(), storage, 92)
    record = delivery.deliver(session.id)  # queued, uploader not started yet
    assert record is not None
    first = next(p for p in plan_session(record.folder, storage.shots(session.id)) if p.variant == "original")
    body = Renderer(storage, 92, str).render(job_for(first, session.id)).body
    digest = hashlib.sha256(body).hexdigest()
    client = seaweed.client()
    client.put_object(
        Bucket=bucket, Key=first.key, Body=body, Metadata={"sha256": digest, "marker": "before"}
    )
    delivery.start()
    try:
        wait_for(lambda: delivery.link_state(session.id).state == "done", what="the upload to finish")
    finally:
        delivery.stop()
    assert client.head_object(Bucket=bucket, Key=first.key)["Metadata"].get("marker") == "before"
    check_folder(seaweed, bucket, storage, session.id, record.folder)


def test_the_server_down_mid_delivery_holds_the_queue_then_it_drains(
    seaweed, bucket, delivery_settings, seeded
):
    storage, session, _ = seeded
    delivery = Delivery.from_settings(delivery_settings(max_kbps=512), storage, 92)
    delivery.start()
    try:
        record = delivery.deliver(session.id)
        assert record is not None
        total = record.pending
        wait_for(lambda: delivery.summary().done >= 2, what="two objects up")
        seaweed.kill()
        failing = wait_for(
            lambda: delivery.link_state(session.id).state == "failing" and delivery.link_state(session.id),
            what="the delivery to show it is failing",
        )
        # the object in flight when it went reads "connection closed", the ones after "connection refused"
        assert failing.error.startswith(f"bucket unreachable at {seaweed.endpoint}: connection ")
        assert failing.link == record.link
        assert "unreachable" in (delivery.connected or "")
        refused = f"bucket unreachable at {seaweed.endpoint}: connection refused; the upload is retried"
        summary = wait_for(
            lambda: (s := delivery.summary()).failing >= 2 and s, what="failing jobs in the summary"
        )
        assert summary.done + summary.pending + summary.failing == total  # nothing lost while it is down
        assert refused in [job.last_error for job in summary.failures]
        for job in summary.failures:
            assert job.last_error.startswith(f"bucket unreachable at {seaweed.endpoint}: connection ")
            assert job.last_error.endswith("; the upload is retried")
        seaweed.start()
        wait_for(
            lambda: delivery.link_state(session.id).state == "done", timeout=60, what="the queue to drain"
        )
        assert delivery.connected is None
    finally:
        delivery.stop()
    summary = delivery.summary()
    assert (summary.pending, summary.failing, summary.done) == (0, 0, total)
    check_folder(seaweed, bucket, storage, session.id, record.folder)

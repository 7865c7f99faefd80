"""Deleting a session deletes its remote copies too: the storage queues a folder delete with the session's
deletion, and the uploader removes every object under the folder, retrying while the server is down."""

from __future__ import annotations

import pytest
from delivery_helpers import wait_for

from booth.delivery import Delivery

pytestmark = pytest.mark.s3


def test_deleting_a_session_removes_its_folder_retried_while_the_server_is_down(
    seaweed, bucket, prefix, delivery_settings, seeded
):
    storage, session, _ = seeded
    client = seaweed.client()
    neighbour = f"{prefix}/another-session/00001-confident.jpg"
    client.put_object(Bucket=bucket, Key=neighbour, Body=b"another client's photo")
    delivery = Delivery.from_settings(delivery_settings(), storage, 92)
    delivery.start()
    try:
        record = delivery.deliver(session.id)
        assert record is not None
        wait_for(lambda: delivery.link_state(session.id).state == "done", what="the upload to finish")
        # four views and originals, three shots' two crops, the page
        assert len(seaweed.keys(record.folder + "/", bucket)) == record.pending == 15

        seaweed.kill()
        assert storage.delete_session(session.id, "client asked")
        wait_for(lambda: delivery.link_state(session.id).state == "off", what="the link to be off")
        failing = wait_for(
            lambda: [j for j in delivery.summary().failures if j.kind == "delete"], what="the delete to fail"
        )
        assert failing[0].key == record.folder
        assert failing[0].last_error == (
            f"bucket unreachable at {seaweed.endpoint}: connection refused; the delete is retried"
        )

        seaweed.start()
        wait_for(lambda: not seaweed.keys(record.folder + "/", bucket), timeout=60, what="the folder to go")
        wait_for(lambda: delivery.summary().backlog == 0, what="the delete job to be done")
    finally:
        delivery.stop()
    assert client.get_object(Bucket=bucket, Key=neighbour)["Body"].read() == b"another client's photo"


def test_a_session_deleted_while_its_object_is_on_the_wire_leaves_nothing_behind(
    seaweed, bucket, delivery_settings, seeded, caplog
):
    """The delete lands between the HEAD and the end of the PUT (made certain here: the first PUT deletes
    the session before it sends): the object reaches the bucket for a session that is gone, its done mark
    finds no job, and the folder delete queued with the deletion removes it."""
    storage, session, _ = seeded
    delivery = Delivery.from_settings(delivery_settings(), storage, 92)
    real_put, put_keys = delivery.bucket.put, []

    def put_after_deleting(key: str, body: bytes, content_type: str, sha256: str) -> None:
        if not put_keys:
            assert storage.delete_session(session.id, "client asked")
        put_keys.append(key)
        real_put(key, body, content_type, sha256)

    delivery.bucket.put = put_after_deleting  # type: ignore[method-assign]
    record = delivery.deliver(session.id)
    assert record is not None
    caplog.set_level("INFO", logger="booth.delivery")
    delivery.start()
    try:
        wait_for(lambda: put_keys and delivery.summary().backlog == 0, what="the folder delete to be done")
    finally:
        delivery.stop()
    assert put_keys == [put_keys[0]] and put_keys[0].startswith(record.folder + "/")
    assert "was put for a session deleted meanwhile" in caplog.text
    assert seaweed.keys(record.folder + "/", bucket) == []
    assert storage.delivery(session.id) is None

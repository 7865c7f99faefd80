"""Helpers shared by the delivery tests: waiting with a generous deadline, and checking a session's folder in
the real bucket against what the booth would render for it now."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import TypeVar

from booth.delivery.plan import plan_session
from booth.delivery.render import Renderer
from booth.storage import OutboxJob, Storage, UploadPlan

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 30.0, what: str = "the condition") -> T:
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)


def job_for(plan: UploadPlan, session_id: int) -> OutboxJob:
    """An upload job for ``plan``, as the outbox would hand it out (to render the bytes locally)."""
    return OutboxJob(0, "upload", session_id, plan.shot_id, plan.variant, plan.key, plan.content_type, 0, "")


def check_folder(
    seaweed, bucket: str, storage: Storage, session_id: int, folder: str, quality: int = 92
) -> None:
    """Every planned object is listed exactly once, nothing else is there, and each object's bytes match
    its x-amz-meta-sha256 and (photos and crops) a fresh local rendering. The page is checked against its
    metadata only: its presigned image links are signed anew at each rendering."""
    plans = {plan.key: plan for plan in plan_session(folder, storage.shots(session_id))}
    listed = seaweed.keys(folder + "/", bucket)
    assert len(listed) == len(set(listed)), f"an object is listed twice: {listed}"
    assert sorted(listed) == sorted(plans), "the folder differs from the plan"
    client = seaweed.client()
    renderer = Renderer(storage, quality, lambda key: key.rsplit("/", 1)[-1])
    for key in listed:
        reply = client.get_object(Bucket=bucket, Key=key)
        body = reply["Body"].read()
        digest = hashlib.sha256(body).hexdigest()
        assert reply["Metadata"].get("sha256") == digest, f"{key}: metadata hash differs from its bytes"
        assert reply["ContentType"] == plans[key].content_type
        if plans[key].variant != "page":
            assert renderer.render(job_for(plans[key], session_id)).sha256 == digest, f"{key} differs locally"

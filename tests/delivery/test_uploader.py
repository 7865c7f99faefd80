"""The uploader's own rules, without a server: a job that fails in a way nobody foresaw is that job's
failure (kept with its reason, retried with backoff) and never holds up the rest of the queue; the
backoff doubles, is capped and jittered."""

from __future__ import annotations

import socket
import time

import pytest

from booth.config.outbound import DeliverySettings
from booth.delivery import Delivery


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unexpected_error_fails_that_job_only(seeded, monkeypatch):
    storage, session, _ = seeded
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    settings = DeliverySettings.model_validate(
        {"enabled": True, "bucket": "photos", "endpoint_url": f"http://127.0.0.1:{closed_port()}"}
    )
    delivery = Delivery.from_settings(settings, storage, 92)
    record = delivery.deliver(session.id)
    assert record is not None
    uploader = delivery.uploader
    real_render, poisoned = uploader.renderer.render, []

    def render(job):
        if not poisoned:
            poisoned.append(job.id)
            raise ValueError("a decoder nobody expected\nwith a second line")
        return real_render(job)

    monkeypatch.setattr(uploader.renderer, "render", render)
    before = time.time()
    assert uploader.run_once()
    failing = storage.outbox_summary().failures
    assert [(j.id, j.attempts) for j in failing] == [(poisoned[0], 1)]
    assert failing[0].last_error == "unexpected ValueError: a decoder nobody expected; the upload is retried"
    assert failing[0].next_at >= before + 0.8 * settings.retry_min_s  # retried later, with backoff
    nxt = storage.next_outbox_job(failing[0].next_at - 0.01)
    assert nxt is not None and nxt.id != poisoned[0]  # the rest of the queue goes on meanwhile


def test_the_backoff_doubles_up_to_its_cap(seeded, monkeypatch):
    storage = seeded[0]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    settings = DeliverySettings.model_validate(
        {"enabled": True, "bucket": "photos", "retry_min_s": 2, "retry_max_s": 60}
    )
    uploader = Delivery.from_settings(settings, storage, 92).uploader
    uploader._jitter = lambda: 0.5  # the middle of the jitter band: exactly the base
    assert [uploader.backoff(n) for n in range(7)] == [2, 4, 8, 16, 32, 60, 60]
    uploader._jitter = lambda: 1.0
    assert uploader.backoff(1) == pytest.approx(4 * 1.2) and uploader.backoff(10) == 60

"""The outbox (schema v4) on a real SQLite database: idempotent queuing, order, retries, deletes with the
session, and the summary the operator page shows. No bucket here: tests/delivery drive a real S3 server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from support import Clock

from booth.config import StorageSettings
from booth.errors import SessionNotFound
from booth.storage import MIGRATIONS, SCHEMA_VERSION, Storage, UploadPlan


def _delivered(store: Storage, face: np.ndarray, shots: int = 2) -> tuple[int, list[UploadPlan]]:
    session = store.start_session(["confident"], "I agree")
    plans: list[UploadPlan] = []
    for n in range(shots):
        shot = store.add_shot(session.id, "confident", face, scores={"confident": 0.8})
        plans.append(UploadPlan(shot.id, "original", f"booth/abc/{n:05d}.jpg", "image/jpeg"))
        plans.append(UploadPlan(shot.id, "4x5", f"booth/abc/{n:05d}-4x5.jpg", "image/jpeg"))
    plans.append(UploadPlan(None, "page", "booth/abc/index.html", "text/html; charset=utf-8"))
    store.end_session(session.id, "delivered")
    return session.id, plans


def _drain(store: Storage, now: float) -> list[str]:
    keys = []
    while (job := store.next_outbox_job(now)) is not None:
        keys.append(job.key)
        assert store.outbox_done(job.id, job.kind, "ab" * 32, 10)
    return keys


def test_queuing_twice_adds_nothing_and_keeps_the_first_folder(store: Storage, face: np.ndarray) -> None:
    sid, plans = _delivered(store, face)
    first = store.deliver(sid, "booth/abc", "https://x/booth/abc/index.html", plans)
    again_plans = [
        UploadPlan(p.shot_id, p.variant, p.key.replace("abc", "xyz"), p.content_type) for p in plans
    ]
    second = store.deliver(sid, "booth/xyz", "https://x/booth/xyz/index.html", again_plans + plans)
    assert second.folder == first.folder == "booth/abc"
    assert second.link == first.link
    assert second.pending == first.pending == len(plans)
    assert store.outbox_summary().pending == len(plans)


def test_page_waits_for_every_photo_of_its_session(store: Storage, face: np.ndarray, clock: Clock) -> None:
    sid, plans = _delivered(store, face)
    store.deliver(sid, "booth/abc", "link", plans)
    keys = _drain(store, clock())
    assert keys[-1] == "booth/abc/index.html"
    assert keys[:-1] == [p.key for p in plans if p.variant != "page"]
    record = store.delivery(sid)
    assert record is not None and record.pending == 0 and record.done_at == clock()
    assert store.next_outbox_due() is None


def test_a_failed_attempt_is_kept_with_its_reason_until_its_retry(
    store: Storage, face: np.ndarray, clock: Clock
) -> None:
    sid, plans = _delivered(store, face, shots=1)
    store.deliver(sid, "booth/abc", "link", plans)
    job = store.next_outbox_job(clock())
    assert job is not None
    store.outbox_failed(job.id, job.kind, "bucket unreachable: connection refused", clock() + 30)
    summary = store.outbox_summary()
    assert (summary.pending, summary.failing) == (len(plans) - 1, 1)
    assert summary.failures[0].last_error == "bucket unreachable: connection refused"
    assert summary.next_retry_at == clock() + 30
    # The failing job is not due before its retry: the next one is another object, never the page.
    other = store.next_outbox_job(clock())
    assert other is not None and other.id != job.id and other.variant != "page"
    assert store.outbox_done(other.id, other.kind)
    assert store.next_outbox_job(clock()) is None  # only the failing one and the page are left
    assert store.next_outbox_due() == clock() + 30
    again = store.next_outbox_job(clock() + 30)
    assert again is not None and again.id == job.id and again.attempts == 1
    record = store.delivery(sid)
    assert record is not None and record.failing == 1 and "connection refused" in record.last_error


def test_deleting_a_delivered_session_queues_its_remote_folder_first(
    store: Storage, face: np.ndarray, clock: Clock
) -> None:
    sid, plans = _delivered(store, face)
    store.deliver(sid, "booth/abc", "link", plans)
    other, other_plans = _delivered(store, face, shots=1)
    store.deliver(
        other,
        "booth/def",
        "link2",
        [p.__class__(p.shot_id, p.variant, p.key.replace("abc", "def"), p.content_type) for p in other_plans],
    )
    in_flight = store.next_outbox_job(clock())
    assert in_flight is not None and in_flight.session_id == sid
    assert store.delete_session(sid, "deleted by the client")
    assert store.delivery(sid) is None
    assert not store.outbox_done(in_flight.id, in_flight.kind)  # its session went meanwhile
    job = store.next_outbox_job(clock())
    assert job is not None and (job.kind, job.key, job.session_id) == ("delete", "booth/abc", None)
    store.outbox_failed(job.id, job.kind, "bucket unreachable", clock() + 5)
    assert store.outbox_summary().failures[0].kind == "delete"
    nxt = store.next_outbox_job(clock())
    assert nxt is not None and nxt.kind == "upload" and nxt.session_id == other


def test_undelivered_session_deletes_queue_nothing(store: Storage, face: np.ndarray) -> None:
    session = store.start_session(["confident"], "")
    store.end_session(session.id, "delivered")
    store.delete_session(session.id)
    assert store.next_outbox_due() is None


def test_retention_deletes_the_remote_copies_too(tmp_path: Path, face: np.ndarray, clock: Clock) -> None:
    with Storage(tmp_path / "s", StorageSettings(retention_days=1), clock=clock) as store:
        sid, plans = _delivered(store, face, shots=1)
        store.deliver(
            sid,
            "booth/old",
            "link",
            [p.__class__(p.shot_id, p.variant, p.key.replace("abc", "old"), p.content_type) for p in plans],
        )
        clock.now += 2 * 86400
        assert store.prune() == [sid]
        job = store.next_outbox_job(clock())
        assert job is not None and job.kind == "delete" and job.key == "booth/old"


def test_deliver_refuses_a_deleted_session(store: Storage, face: np.ndarray) -> None:
    sid, plans = _delivered(store, face, shots=1)
    store.delete_session(sid)
    with pytest.raises(SessionNotFound):
        store.deliver(sid, "booth/abc", "link", plans)


def test_day_counts(store: Storage, face: np.ndarray, clock: Clock) -> None:
    _delivered(store, face, shots=2)
    clock.now += 100
    _delivered(store, face, shots=1)
    assert store.day_counts(clock.now - 50) == (1, 1)
    assert store.day_counts(0) == (2, 3)


def test_a_v3_database_gains_the_outbox(tmp_path: Path) -> None:
    root = tmp_path / "old"
    root.mkdir()
    conn = sqlite3.connect(root / "booth.db")
    conn.executescript(
        f"BEGIN; {MIGRATIONS[0]} {MIGRATIONS[1]} {MIGRATIONS[2]} PRAGMA user_version = 3; COMMIT;"
    )
    conn.close()
    with Storage(root) as store:
        assert store.outbox_summary().pending == 0
    with sqlite3.connect(root / "booth.db") as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 4

"""A SIGKILL in the middle of an upload: the uploader runs in a child process with a low bandwidth cap, is
killed with an object on the wire, and a restarted one finishes the session: every object is in the bucket
exactly once, and each one's bytes match its x-amz-meta-sha256 and what the booth renders for it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from delivery_helpers import check_folder, wait_for
from gallery_seed import seed_gallery

from booth.storage import Storage

pytestmark = [pytest.mark.s3, pytest.mark.slow]

CHILD = Path(__file__).with_name("upload_child.py")


def child(data: Path, settings, session_id: int, *extra: str) -> subprocess.Popen[str]:
    repo = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))}
    args = [sys.executable, str(CHILD), str(data), settings.model_dump_json(), str(session_id), *extra]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_a_sigkill_mid_upload_leaves_every_object_once_after_restart(
    seaweed, bucket, delivery_settings, tmp_path, media
):
    data = tmp_path / "data"
    with Storage(data) as storage:
        session, _ = seed_gallery(storage, media)
    reader = Storage(data)  # reads only: the child holds the data folder's lock
    slow = delivery_settings(max_kbps=64)  # an original takes seconds on the wire at this rate

    first = child(data, slow, session.id)
    try:
        record = wait_for(lambda: reader.delivery(session.id), what="the child to queue the delivery")
        total = record.pending
        wait_for(lambda: reader.outbox_summary().done >= 2, timeout=60, what="two objects up")
        time.sleep(0.5)  # well inside the next object's seconds on the wire
        done_at_kill = reader.outbox_summary().done
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate()
    assert first.returncode == -signal.SIGKILL
    assert done_at_kill < total, "the child finished before it was killed: nothing was in flight"
    assert reader.delivery(session.id).done_at is None

    second = child(data, delivery_settings(), session.id, "--resume")
    try:
        out, err = second.communicate(timeout=150)
    finally:
        if second.poll() is None:
            second.kill()
            second.communicate()
    assert second.returncode == 0, f"restarted uploader failed: {out}\n{err}"
    assert "done" in out

    final = reader.delivery(session.id)
    assert final is not None and final.done_at is not None and final.folder == record.folder
    summary = reader.outbox_summary()
    assert (summary.pending, summary.failing, summary.done) == (0, 0, total)
    check_folder(seaweed, bucket, reader, session.id, record.folder)

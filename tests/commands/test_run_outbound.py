"""End to end through ``booth run`` with ``[delivery]`` and ``[fleet]`` on, against real servers that this
module starts and stops on 127.0.0.1: SeaweedFS (S3) and Debian's Mosquitto.

A sitter's session is driven over the booth's own HTTP API, as the kiosk screen drives it (the replayed clip
stands in for the camera and gpiozero's mock pins for the GPIO: the hardware boundary). Then: the kiosk's
QR code encodes the cloud link, which works for anyone with it (no booth network needed) once the upload is
done; the fleet's retained status counts the day's photos and the upload backlog; the bucket going down
during a delivery holds the queue, which drains when it returns; the client's "delete my photos" removes
the remote copies too.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import json
import re
import signal
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from servers.mosquitto import Mosquitto, Watcher, credentials_file
from servers.seaweed import SeaweedServer
from support import wait_until

from booth.web.links import qr_svg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from web_helpers import start_booth

pytestmark = [pytest.mark.s3, pytest.mark.mqtt, pytest.mark.slow]

BOOTH_ID = "booth-a"
STATUS = f"booths/{BOOTH_ID}/status"


@pytest.fixture
def servers(seaweed, broker):
    """The run's one S3 server (its own prefix per test) and this test's broker."""
    return seaweed, broker


class Kiosk:
    """The kiosk screen's HTTP calls: a cookie for its CSRF token, which every POST carries."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with self.opener.open(base + "/", timeout=10) as answer:
            page = answer.read().decode()
        match = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert match, "the kiosk page carries its CSRF token"
        self.csrf = match.group(1)

    def post(self, path: str, form: dict[str, str] | None = None) -> dict:
        data = urllib.parse.urlencode(form or {}).encode()
        request = urllib.request.Request(self.base + path, data=data, headers={"X-CSRF-Token": self.csrf})
        with self.opener.open(request, timeout=15) as answer:
            body = answer.read()
        return json.loads(body) if body.startswith(b"{") else {}

    def get(self, path: str) -> bytes:
        with self.opener.open(self.base + path, timeout=10) as answer:
            return answer.read()

    def status(self) -> dict:
        return json.loads(self.get("/api/status"))


def _sections(s3: SeaweedServer, broker: Mosquitto, tmp: Path, prefix: str) -> dict:
    return {
        "delivery": {
            "enabled": True,
            "endpoint_url": s3.endpoint,
            "bucket": s3.bucket,
            "prefix": prefix,
            "credentials_file": str(s3.env_file(tmp / "s3.env")),
            "retry_min_s": 0.5,
            "retry_max_s": 2.0,
            "timeout_s": 3.0,
        },
        "fleet": {
            "enabled": True,
            "broker": broker.url,
            "booth_id": BOOTH_ID,
            "credentials_file": str(credentials_file(tmp, BOOTH_ID)),
            "status_every_s": 1.0,
            "keepalive_s": 5,
        },
    }


def _deliver_one_session(kiosk: Kiosk) -> dict:
    """Start, agree, wait for the shot and the review screen, finish: the session is delivered."""
    kiosk.post("/api/session/start")
    kiosk.post("/api/session/consent")
    wait_until(lambda: kiosk.status()["state"] == "review", 90, "a photo kept and the review screen")
    kiosk.post("/api/session/finish")
    return wait_until(lambda: (s := kiosk.status())["state"] == "delivered" and s, 15, "delivered")


def _stop(proc) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def test_a_delivered_session_reaches_the_bucket_and_its_link_works_from_anywhere(servers, tmp_path, media):
    s3, broker = servers
    prefix = "studio-e2e"
    sections = _sections(s3, broker, tmp_path, prefix)
    proc, base, _cfg = start_booth(tmp_path, media, session={"end_screen_seconds": 2}, sections=sections)
    watcher = Watcher(broker, "operator")
    try:
        kiosk = Kiosk(base)
        delivered = _deliver_one_session(kiosk)
        token = delivered["session"]["token"]
        link = wait_until(lambda: (s := kiosk.status()["session"]) and s.get("link"), 15, "the cloud link")
        assert link["link"].startswith(f"{s3.endpoint}/{s3.bucket}/{prefix}/")
        answer = json.loads(kiosk.get(f"/kiosk/link/{token}"))
        assert answer["cloud"]["link"] == link["link"]
        assert kiosk.get(f"/kiosk/qr/{token}.svg") == qr_svg(link["link"])  # the QR code is the cloud link

        def done() -> dict | None:
            session = kiosk.status()["session"]
            return session if session and session["link"] and session["link"]["state"] == "done" else None

        wait_until(done, 60, "the upload done")
        status, page = s3.anonymous_get(link["link"])
        assert status == 200 and b"<img" in page
        # Every photo the booth kept is in the bucket once, byte for byte, with its view and two crops.
        shots = _shots_of(tmp_path / "data", token)
        keys = s3.keys(prefix)
        assert len(keys) == len(set(keys)) == 4 * len(shots) + 1
        for shot in shots:
            original = [k for k in keys if k.endswith(Path(shot["path"]).name)]
            assert len(original) == 1
            body = s3.client().get_object(Bucket=s3.bucket, Key=original[0])["Body"].read()
            assert hashlib.sha256(body).hexdigest() == shot["sha256"]

        # The fleet's retained status counts the day's photos and an empty backlog.
        def fleet_status() -> dict | None:
            status = watcher.last_json(STATUS)
            backlog = status and status["upload_backlog"]
            return status if backlog and backlog["pending"] + backlog["failing"] == 0 else None

        fleet = wait_until(fleet_status, 30, "the fleet's status with the upload done")
        assert fleet["photos_today"] == len(shots) and fleet["sessions_today"] == 1
        # The client's "delete my photos" (once the booth's screen has left the session) removes the
        # remote copies too.
        wait_until(lambda: kiosk.status()["state"] == "idle", 30, "the end screen over")
        _delete_from_gallery(base, token)
        wait_until(lambda: not s3.keys(prefix), 60, "the remote copies deleted")
        with pytest.raises(urllib.error.HTTPError) as gone:
            urllib.request.urlopen(f"{base}/g/{token}", timeout=10)
        gone.value.close()
        assert gone.value.code == 404
    finally:
        watcher.close()
        _stop(proc)


def test_the_bucket_down_during_a_delivery_holds_the_queue_until_it_returns(servers, tmp_path, media):
    s3, broker = servers
    prefix = "studio-down"
    proc, base, _cfg = start_booth(tmp_path, media, sections=_sections(s3, broker, tmp_path, prefix))
    try:
        kiosk = Kiosk(base)
        s3.stop()
        try:
            delivered = _deliver_one_session(kiosk)
            failing = wait_until(
                lambda: (d := kiosk.status()["delivery"])["failing"] > 0 and d, 30, "uploads failing"
            )
            assert "unreachable" in (failing["error"] or "")
            assert kiosk.status()["state"] in ("delivered", "idle")  # the booth carries on
        finally:
            s3.start()
        wait_until(lambda: (d := kiosk.status()["delivery"])["pending"] + d["failing"] == 0, 90, "drained")
        shots = _shots_of(tmp_path / "data", delivered["session"]["token"])
        keys = s3.keys(prefix)
        assert len(keys) == len(set(keys)) == 4 * len(shots) + 1
    finally:
        _stop(proc)


def _shots_of(data: Path, token: str) -> list[dict]:
    """The kept photos' rows, read from the booth's database (read-only, beside the running booth)."""
    from booth.storage import Storage

    storage = Storage(data)
    record = storage.session_by_token(token)
    assert record is not None
    return [{"path": s.path, "sha256": s.sha256} for s in storage.shots(record.id)]


def _delete_from_gallery(base: str, token: str) -> None:
    """What the client's phone does: open the delete page, confirm with its form's CSRF token."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(f"{base}/g/{token}/delete", timeout=10) as answer:
        page = answer.read().decode()
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the delete page carries a CSRF token"
    data = urllib.parse.urlencode({"csrf_token": match.group(1)}).encode()
    with opener.open(urllib.request.Request(f"{base}/g/{token}/delete", data=data), timeout=15) as answer:
        assert answer.status == 200

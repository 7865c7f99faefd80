"""The booth page with cloud delivery on and its bucket unreachable (nothing listens on the endpoint's
port: a real refused connection, no mock): the kiosk's link answer and QR code carry the session's cloud
link, known before any upload, and the operator page's Delivery section lists the failing jobs with their
reason. Through Flask's test client against a real BoothService and its real Delivery and outbox.
"""

from __future__ import annotations

import html
import re

import pytest
from support import wait_until
from test_routes import seed_session
from web_helpers import QUICK, free_port, login, make_service

from booth.delivery import Delivery
from booth.web import create_app
from booth.web.links import qr_svg


@pytest.fixture
def delivering(tmp_path, models, media):
    keys = tmp_path / "s3.env"
    keys.write_text("AWS_ACCESS_KEY_ID=BOOTHTESTKEY\nAWS_SECRET_ACCESS_KEY=not-a-real-secret\n")
    keys.chmod(0o600)
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there: every request is refused
    delivery = {
        "enabled": True, "endpoint_url": endpoint, "bucket": "photos", "credentials_file": str(keys),
        "retry_min_s": 0.5, "retry_max_s": 2.0, "timeout_s": 2.0,
    }  # fmt: skip
    service = make_service(tmp_path / "data", models, media, {**QUICK, "delivery": delivery})
    settings = service.settings
    service.use_delivery(Delivery.from_settings(settings.delivery, service.storage, 90))
    service.start()
    try:
        yield service, endpoint
    finally:
        service.stop()


def test_a_failing_upload_shows_its_cloud_link_and_its_reason(delivering):
    service, endpoint = delivering
    client = create_app(service, {"TESTING": True}, listen_host="127.0.0.1", listen_port=8080).test_client()
    record, _ = seed_session(service)
    assert client.get(f"/kiosk/link/{record.token}").json["cloud"] is None  # not delivered yet
    service.delivery.deliver(record.id)
    wait_until(lambda: service.outbox().failing > 0, 30, "an upload failing against the closed port")

    answer = client.get(f"/kiosk/link/{record.token}").json
    cloud = answer["cloud"]
    assert cloud["state"] in ("pending", "failing") and cloud["link"].startswith(f"{endpoint}/photos/booth/")
    assert answer["lan"] is None  # the booth listens on 127.0.0.1 only and has no public URL
    assert client.get(f"/kiosk/qr/{record.token}.svg").data == qr_svg(cloud["link"])

    login(client)
    page = html.unescape(client.get("/operator").get_data(as_text=True))
    assert f"<code>{endpoint}/photos/booth</code>" in page
    assert 'id="op-delivery-state" data-on="true">on</span>' in page
    assert 'id="op-failures"' in page and "(session" in page
    failing = re.search(r'<dd id="op-failing">(\d+)</dd>', page)
    assert failing and int(failing.group(1)) >= 1, "the page counts no failing upload"
    assert "connection refused" in page and "· next try" in page  # each failing job's reason and retry
    assert 'id="op-bucket" data-ok="false">bucket unreachable' in page
    # The status reads the queue at most once a second: its count follows within a few.
    delivery = wait_until(lambda: (d := client.get("/api/status").json["delivery"])["failing"] and d, 20)
    assert delivery["enabled"] is True and delivery["error"].startswith("bucket unreachable")

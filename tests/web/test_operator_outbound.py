"""The operator page's Pause and Resume, and its Delivery section and Fleet line, through Flask's test
client against a real BoothService (mocked only at the hardware boundaries; see conftest.py). With delivery
and the fleet off, as a booth starts by default.
"""

from __future__ import annotations

import html

from web_helpers import csrf_of, login


def test_pause_and_resume_from_the_operator_page(client, service):
    token = login(client)
    assert client.post("/operator/pause").status_code == 403  # no CSRF token: nothing changes
    assert service.paused is None

    r = client.post("/operator/pause", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/operator/#live")
    assert service.paused == "paused by the operator"
    assert client.get("/api/status").json["paused"] == "paused by the operator"
    page = html.unescape(client.get("/operator").get_data(as_text=True))
    assert "The booth is paused: it starts no new session until you resume it." in page
    assert '<form method="post" action="/operator/pause" id="pause-form" hidden>' in page
    assert "Paused by the operator" in page

    start = client.post("/api/session/start", headers={"X-CSRF-Token": token})
    assert start.status_code == 409 and "paused" in start.json["error"]

    r = client.post("/operator/resume", data={"csrf_token": token})
    assert r.status_code == 302 and service.paused is None
    assert client.get("/api/status").json["paused"] is None
    assert client.post("/api/session/start", headers={"X-CSRF-Token": token}).json["state"] == "welcome"


def test_only_the_operator_pauses(app, service):
    kiosk = app.test_client()  # the kiosk screen may start sessions, not pause the booth
    r = kiosk.post("/operator/pause", data={"csrf_token": csrf_of(kiosk)})
    assert r.status_code == 302 and "/operator/" in r.headers["Location"] and "login" in r.headers["Location"]
    assert service.paused is None


def test_the_delivery_section_says_off_and_the_fleet_line_too(client):
    login(client)
    page = html.unescape(client.get("/operator").get_data(as_text=True))
    assert '<section id="delivery" class="card">' in page and 'href="#delivery"' in page
    assert "Off: clients get their photos through the booth's own link." in page
    assert 'id="op-fleet"><b>Fleet:</b>' in page and '<span class="muted">off</span>' in page

"""The client's "Delete my photos" on their gallery link, through Flask's test client against a real
BoothService and Storage: asked first, done only by a POST with the CSRF token, refused with the booth's one
line while the session runs, and the link is dead after. Mocked only at the hardware boundaries.
"""

from __future__ import annotations

import html
import re

import pytest
from gallery_seed import seed_gallery
from support import wait_until
from test_routes import STRANGER
from web_helpers import QUICK, csrf_of, make_service

from booth.web import create_app


@pytest.fixture
def seeded(service, media):
    return seed_gallery(service.storage, media)


def page_csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the confirmation page has no CSRF field"
    return match.group(1)


def test_a_phone_deletes_its_photos_after_confirming(app, service, seeded):
    record, shots = seeded
    phone = app.test_client()
    gallery = phone.get(f"/g/{record.token}", environ_base=STRANGER).get_data(as_text=True)
    assert f'href="/g/{record.token}/delete"' in gallery and "Delete my photos" in gallery

    ask = phone.get(f"/g/{record.token}/delete", environ_base=STRANGER)
    text = html.unescape(ask.get_data(as_text=True))
    assert ask.status_code == 200 and "Delete your photos?" in text
    assert f"All {len(shots)} photos" in text and "cannot be undone" in text
    assert service.storage.session(record.id) is not None  # asking deletes nothing

    forged = phone.post(f"/g/{record.token}/delete", environ_base=STRANGER)
    assert forged.status_code == 403 and service.storage.session(record.id) is not None

    done = phone.post(
        f"/g/{record.token}/delete", data={"csrf_token": page_csrf(text)}, environ_base=STRANGER
    )
    said = html.unescape(done.get_data(as_text=True))
    assert done.status_code == 200 and "Your photos are deleted" in said
    assert "gone from the booth" in said and "studio's storage are removed within minutes" in said
    assert service.storage.session(record.id) is None
    assert not any(service.storage.path_of(s).exists() for s in shots)
    for path in (f"/g/{record.token}", f"/g/{record.token}/delete", f"/g/{record.token}/photos.zip"):
        assert phone.get(path, environ_base=STRANGER).status_code == 404, path


BUSY = "These photos are still on the booth's screen."


def start_with_consent(client) -> tuple[dict, str]:
    """A real session through the kiosk's own calls, past consent; its headers and gallery token."""
    headers = {"X-CSRF-Token": csrf_of(client)}
    assert client.post("/api/session/start", headers=headers).status_code == 200
    assert client.post("/api/session/consent", headers=headers).status_code == 200
    token = wait_until(
        lambda: (client.get("/api/status").json.get("session") or {}).get("token"), 30, "the session's token"
    )
    return headers, token


def test_a_running_session_is_not_deleted_and_the_answer_says_why(client, service):
    headers, token = start_with_consent(client)
    record = service.storage.session_by_token(token)
    assert record is not None and record.status == "active"
    refused = client.post(f"/g/{token}/delete", headers=headers)
    message = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409 and BUSY in message, message
    assert f"session {record.id}" not in message.lower()  # the client's sentence, not the operator's line
    assert service.storage.session(record.id) is not None
    assert client.get(f"/g/{token}").status_code == 200


def test_a_session_still_on_the_end_screen_is_not_deleted(tmp_path, models, media):
    """Stopped, the session is over in storage but still on the booth's screen (its end screen, held long
    here so no timing decides the outcome): the sitter standing there keeps their photos."""
    settings = {**QUICK, "session": {**QUICK["session"], "end_screen_seconds": 600.0}}
    service = make_service(tmp_path / "data", models, media, settings)
    service.start()
    try:
        client = create_app(service, {"TESTING": True}).test_client()
        headers, token = start_with_consent(client)
        assert client.post("/api/session/cancel", headers=headers).json["state"] == "aborted"
        record = service.storage.session_by_token(token)
        assert record is not None and record.status != "active"
        refused = client.post(f"/g/{token}/delete", headers=headers, environ_base=STRANGER)
        assert refused.status_code == 409 and BUSY in html.unescape(refused.get_data(as_text=True))
        assert service.storage.session(record.id) is not None
    finally:
        service.stop()

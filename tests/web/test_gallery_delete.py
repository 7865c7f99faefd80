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
from web_helpers import csrf_of


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


def test_a_running_session_is_not_deleted_and_the_answer_says_why(client, service):
    headers = {"X-CSRF-Token": csrf_of(client)}
    client.post("/api/session/start", headers=headers)
    client.post("/api/session/consent", headers=headers)
    token = wait_until(lambda: (client.get("/api/status").json.get("session") or {}).get("token"))
    refused = client.post(f"/g/{token}/delete", headers=headers)
    message = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409
    assert re.search(r"Session \d+ is still running; end it before deleting it\.", message), message
    assert client.get(f"/g/{token}").status_code == 200

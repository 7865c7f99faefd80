"""A storage error met through the page's API (issue 15, item 14): a session folder that cannot be made
answers with the booth's one-line reason, leaves the session aborted, and the next sitter can start.

Real service on the replay camera with mock pins (the hardware boundary); the failing mkdir is real: the
sessions folder is replaced by a plain file, which fails for every user, root included.
"""

from __future__ import annotations

from web_helpers import csrf_of

from booth.storage import SESSIONS_DIR


def test_a_session_folder_that_cannot_be_made_aborts_the_session_with_its_reason(client, service):
    headers = {"X-CSRF-Token": csrf_of(client)}
    sessions = service.storage.root / SESSIONS_DIR
    for child in sessions.iterdir():
        child.rmdir()
    sessions.rmdir()
    sessions.write_text("not a folder")
    assert client.post("/api/session/start", headers=headers).status_code == 200
    r = client.post("/api/session/consent", headers=headers)
    assert r.status_code == 409
    error = r.json["error"]
    assert "\n" not in error and SESSIONS_DIR in error and "could not start" in error
    status = client.get("/api/status").json
    assert status["state"] == "aborted" and status["fault"] and "could not start" in status["fault"]
    sessions.unlink()
    sessions.mkdir()
    again = client.post("/api/session/start", headers=headers)  # not "already running"
    assert again.status_code == 200 and again.json["state"] == "welcome"

"""Operator logins the booth can take back: logout and a new password end every copy of the cookie.

Through Flask's test client against a real BoothService (replay camera, mock pins: see conftest.py). A
"saved cookie" is the login's cookie copied into a second client, as someone who copied it from the
operator's browser would hold it.
"""

from __future__ import annotations

import json
import stat
import time

import pytest
from web_helpers import csrf_of, login

from booth.web import create_app
from booth.web.security import MAX_LOGINS, LoginStore, PasswordStore, instance_dir

COOKIE = "booth_session"
PASSWORD = "correct horse battery"


def saved_copy(app, client_or_value):
    """A second browser holding a copy of a client's session cookie (or of a cookie value saved before)."""
    value = client_or_value
    if not isinstance(value, str):
        value = client_or_value.get_cookie(COOKIE).value
    copy = app.test_client()
    copy.set_cookie(COOKIE, value)
    return copy


def logged_in(client) -> bool:
    page = client.get("/operator")
    api = client.get("/api/sessions")
    assert (page.status_code == 200) == (api.status_code == 200), (page.status_code, api.status_code)
    return page.status_code == 200


def test_logout_ends_every_copy_of_the_login(client, app):
    token = login(client)
    copy = saved_copy(app, client)
    assert logged_in(copy)
    assert client.post("/operator/logout", data={"csrf_token": token}).status_code == 302
    assert not logged_in(client)
    assert not logged_in(copy)  # was: the copy worked for the rest of its 12 hours
    assert copy.get("/api/sessions").json == {"error": "log in as the operator first"}


def test_logout_wants_the_csrf_token_and_without_it_changes_nothing(client, app):
    login(client)
    assert client.post("/operator/logout", data={}).status_code == 403
    assert logged_in(client)


def test_a_new_password_ends_every_login(client, app):
    login(client)
    copy = saved_copy(app, client)
    passwords = app.extensions["booth.passwords"]
    passwords.path.unlink()  # the reset: delete operator.json, then set a new password on the booth
    assert not logged_in(copy)
    booth = app.test_client()
    form = {"csrf_token": csrf_of(booth), "password": "a new password", "confirm": "a new password"}
    assert booth.post("/operator/setup", data=form).status_code == 302
    assert logged_in(booth)
    assert not logged_in(copy) and not logged_in(client)
    passwords.set("and another one")  # any other way the hash changes ends them too
    assert not logged_in(booth)


def test_logins_survive_a_restart_and_ended_ones_stay_ended(service):
    first = create_app(service, {"TESTING": True})
    kept, ended = first.test_client(), first.test_client()
    login(kept)
    ended_token = login(ended)
    with kept.session_transaction() as cookie:
        login_id = cookie["operator"]
    saved = ended.get_cookie(COOKIE).value
    ended.post("/operator/logout", data={"csrf_token": ended_token})
    restarted = create_app(service, {"TESTING": True})  # same data folder: same key, same logins
    assert logged_in(saved_copy(restarted, kept))
    assert not logged_in(saved_copy(restarted, saved))
    path = instance_dir(service.data_dir) / "logins.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert login_id not in path.read_text()  # digests only


def test_a_cookie_that_only_says_operator_is_not_a_login(client, app):
    """A cookie from before this change (``operator: true``) or any value the booth never issued."""
    login(app.test_client())
    for value in (True, "1", "x" * 43, ["list"]):
        with client.session_transaction() as cookie:
            cookie["operator"] = value
        assert not logged_in(client), value


def test_login_ids_expire_and_their_number_is_capped(tmp_path):
    now = [1_000_000.0]
    folder = instance_dir(tmp_path)
    passwords = PasswordStore(folder)
    passwords.set_first("correct horse")
    logins = LoginStore(folder, passwords, hours=2, clock=lambda: now[0])
    first = logins.begin()
    assert logins.valid(first) and not logins.valid("") and not logins.valid(None)
    now[0] += 2 * 3600 - 1
    assert logins.valid(first)
    now[0] += 2
    assert not logins.valid(first)
    ids = [logins.begin() for _ in range(MAX_LOGINS + 5)]
    assert all(logins.valid(i) for i in ids[-MAX_LOGINS + 1 :])  # the newest live on
    assert not any(logins.valid(i) for i in ids[:5])  # the oldest made room
    assert len(json.loads(logins.path.read_text())["logins"]) == MAX_LOGINS
    logins.end_all()
    assert not any(logins.valid(i) for i in ids)


@pytest.mark.parametrize("text", ["", "{", '{"logins": 3}', '{"password": "x", "logins": {"a": "b"}}', "[]"])
def test_an_unreadable_logins_file_means_logging_in_again(tmp_path, text, caplog):
    folder = instance_dir(tmp_path)
    passwords = PasswordStore(folder)
    passwords.set_first("correct horse")
    (folder / "logins.json").write_text(text)
    logins = LoginStore(folder, passwords, hours=1)
    assert "log in again" in caplog.text
    login_id = logins.begin()
    assert LoginStore(folder, passwords, hours=1).valid(login_id)


def test_an_event_stream_opened_while_logged_in_ends_at_logout(client, app):
    """The operator's event stream carries the gallery token; after logout it must not run on until its
    recycle time. A phone on the LAN (not the kiosk, whose trust is by address) logs in and streams."""
    import re

    login(client)  # sets the password from the booth itself
    phone = app.test_client()
    env = {"REMOTE_ADDR": "192.168.7.50"}

    def token_of() -> str:
        html = phone.get("/", environ_base=env).get_data(as_text=True)
        return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)

    form = {"csrf_token": token_of(), "password": "correct horse battery"}
    assert phone.post("/operator/login", data=form, environ_base=env).status_code == 302
    stream = phone.get("/api/events", environ_base=env, buffered=False)
    chunks = iter(stream.response)
    assert b"retry" in next(chunks)
    first = next(chunks)
    assert b'"hint":"' in first and b'"hint":""' not in first  # the operator's form: face and hint shown
    logout = phone.post("/operator/logout", data={"csrf_token": token_of()}, environ_base=env)
    assert logout.status_code == 302
    started = time.monotonic()
    rest = list(chunks)  # ends within a second or so, rather than at the recycle time
    stream.close()
    assert b'"type":"recycle"' in rest[-1] and time.monotonic() - started < 5

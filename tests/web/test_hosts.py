"""DNS rebinding: trust by address (first-run setup from loopback, the kiosk screen) only under the booth's
own name.

A page on attacker.example whose name is then pointed at 127.0.0.1 makes a browser on the booth send
requests from loopback with ``Host: attacker.example``, and read the answers (same origin, to the browser).
Here that browser is Flask's test client with that base URL, against a real BoothService (conftest.py).
"""

from __future__ import annotations

import re
import socket

import pytest
from web_helpers import csrf_of, login

from booth.web.links import lan_address
from booth.web.security import host_name, is_own_host

FOREIGN = ["attacker.example", "attacker.example:8080", "localhost.attacker.example", "127.0.0.1.nip.io"]


def rebound(app, host: str, remote: str = "127.0.0.1"):
    """A browser on the booth, on a page of ``host``: every request goes to ``host`` from ``remote``."""
    client = app.test_client()
    base = f"http://{host}"
    env = {"REMOTE_ADDR": remote}

    def call(method: str, path: str, **kwargs):
        return getattr(client, method)(path, base_url=base, environ_base=env, **kwargs)

    html = call("get", "/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    return call, token


@pytest.mark.parametrize("host", FOREIGN)
@pytest.mark.parametrize("remote", ["127.0.0.1", "::1"])
def test_first_run_setup_under_a_foreign_host_is_refused(app, host, remote):
    call, token = rebound(app, host, remote)
    form = {"csrf_token": token, "password": "attacker!!", "confirm": "attacker!!"}
    r = call("post", "/operator/setup", data=form)
    assert r.status_code == 403, r.status_code
    text = r.get_data(as_text=True)
    assert f"asked for as &#39;{host_name(host)}&#39;" in text and "not one of the booth" in text
    assert not app.extensions["booth.passwords"].is_set  # was: the attacker's password, set
    assert call("get", "/operator/setup").status_code == 403


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:8080", "127.0.0.1:8080", "[::1]:8080", "LOCALHOST.", socket.gethostname()],
)
def test_first_run_setup_under_the_booths_own_names_still_works(app, host):
    call, token = rebound(app, host)
    form = {"csrf_token": token, "password": "password123", "confirm": "password123"}
    assert call("post", "/operator/setup", data=form).status_code == 302
    assert app.extensions["booth.passwords"].check("password123")


def test_setup_from_another_machine_under_any_name_still_takes_the_code(app):
    """Off loopback the setup code is the guard, whatever the name: a phone may know the booth by any."""
    call, token = rebound(app, "booth.studio.example", remote="192.168.7.50")
    form = {"csrf_token": token, "password": "password123", "confirm": "password123"}
    assert call("post", "/operator/setup", data=form).status_code == 400
    form["setup_code"] = app.extensions["booth.setup_code"]
    assert call("post", "/operator/setup", data=form).status_code == 302


@pytest.mark.parametrize("host", FOREIGN[:2])
def test_the_kiosk_under_a_foreign_host_is_not_trusted(client, app, service, host):
    call, token = rebound(app, host)
    headers = {"X-CSRF-Token": token}
    r = call("post", "/api/session/start", headers=headers)
    assert r.status_code == 403 and f"asked for as '{host_name(host)}'" in r.json["error"]
    assert "\n" not in r.json["error"] and service.session.state.value == "idle"
    own = {"X-CSRF-Token": csrf_of(client)}  # the real kiosk starts a session: a gallery token exists
    assert client.post("/api/session/start", headers=own).status_code == 200
    assert client.post("/api/session/consent", headers=own).status_code == 200
    gallery = client.get("/api/status").json["session"]["token"]
    assert gallery and gallery not in call("get", "/api/status").get_data(as_text=True)
    assert call("post", "/api/session/cancel", headers=headers).status_code == 403


def test_an_operator_under_a_foreign_host_is_still_an_operator(app):
    """The password is the guard there, and the attacker's origin never has the operator's cookie."""
    login(app.test_client())
    call, token = rebound(app, "booth.studio.example", remote="192.168.7.50")
    form = {"csrf_token": token, "password": "correct horse battery"}
    assert call("post", "/operator/login", data=form).status_code == 302
    assert call("get", "/api/sessions").status_code == 200


def test_the_booths_own_names():
    machine = socket.gethostname()
    short = machine.split(".")[0]
    own = ["localhost", "LocalHost:80", "app.localhost", "127.0.0.1", "127.1.2.3:8080", "[::1]", "[::1]:8080"]
    own += [machine, f"{short}.local", f"{short.upper()}.LOCAL.:8080", "booth.studio.example:8080"]
    for host in own:
        assert is_own_host(host, ["booth.studio.example"]), host
    address = lan_address()
    if address is not None:
        assert is_own_host(f"{address}:8080")  # the booth's own network address
    foreign = ["", ":8080", "attacker.example", "localhost.attacker.example", "0.0.0.0", "[::]", "224.0.0.1"]
    foreign += [
        "192.0.2.1",
        "192.0.2.1:8080",
        "[2001:db8::1]",
        f"{short}.attacker.example",
        "booth.studio.example",
    ]
    for host in foreign:
        assert not is_own_host(host), host


def test_the_name_in_web_public_url_is_the_booths_own(app, service):
    call, token = rebound(app, "booth.studio.example:8080")
    form = {"csrf_token": token, "password": "password123", "confirm": "password123"}
    assert call("post", "/operator/setup", data=form).status_code == 403
    service.update_settings({"web": {"public_url": "http://booth.studio.example:8080"}})
    assert call("post", "/operator/setup", data=form).status_code == 302

"""Which link the end screen offers, through Flask's test client against a real BoothService: the QR code
and ``/kiosk/link`` follow what the server listens on (an app told ``listen_host``, as ``booth run`` tells
it), the operator page warns when no phone can open the link, and the hotspot's Wi-Fi code goes to the
kiosk screen and the operator only. Mocked only at the hardware boundaries (see conftest.py).
"""

from __future__ import annotations

import html
import logging
import socket

import pytest
from test_routes import STRANGER, seed_session
from web_helpers import login

from booth.config import HotspotSettings
from booth.web import create_app
from booth.web.links import lan_address, qr_svg, wifi_join_text

LAN = lan_address()
needs_lan = pytest.mark.skipif(LAN is None, reason="this machine has no default route (no network address)")


def app_listening(service, host, port=8080):
    return create_app(service, {"TESTING": True}, listen_host=host, listen_port=port)


@needs_lan
def test_a_booth_on_loopback_only_offers_no_qr_code_and_says_so_once_at_start(service, caplog):
    with caplog.at_level(logging.WARNING, logger="booth.web"):
        client = app_listening(service, "127.0.0.1").test_client()
    warnings = [r.getMessage() for r in caplog.records if "listens on 127.0.0.1 only" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert f"http://{LAN}:8080" in warnings[0] and "--host 0.0.0.0" in warnings[0]
    record, _ = seed_session(service)
    assert client.get(f"/kiosk/link/{record.token}").json == {"lan": None, "cloud": None, "wifi": False}
    qr = client.get(f"/kiosk/qr/{record.token}.svg")
    said = html.unescape(qr.get_data(as_text=True))
    assert qr.status_code == 404 and "no link a phone can open; the operator page says why" in said
    assert LAN not in said  # the booth's addresses and the fix are the operator's, not the token holder's

    login(client)
    page = client.get("/operator").get_data(as_text=True)
    assert 'id="reach-warning"' in page and "The QR code cannot work for a phone." in page
    assert f'<code id="reach-need">http://{LAN}:8080</code>' in page


@needs_lan
def test_a_booth_on_every_address_links_to_its_network_address(service, caplog):
    with caplog.at_level(logging.WARNING, logger="booth.web"):
        client = app_listening(service, "0.0.0.0", 8181).test_client()
    assert not [r for r in caplog.records if "phone cannot" in r.getMessage()]
    record, _ = seed_session(service)
    link = f"http://{LAN}:8181/g/{record.token}"
    assert client.get(f"/kiosk/link/{record.token}").json == {"lan": link, "cloud": None, "wifi": False}
    assert client.get(f"/kiosk/qr/{record.token}.svg").data == qr_svg(link)
    # Asked by one of the booth's own names a phone can resolve: links under that name.
    local = socket.gethostname().lower().split(".", 1)[0] + ".local"
    phone = client.get(f"/kiosk/link/{record.token}", base_url=f"http://{local}:8181", environ_base=STRANGER)
    assert phone.json["lan"] == f"http://{local}:8181/g/{record.token}"
    # A Host that is not the booth's (any client may send any), or a bare machine name a phone cannot
    # resolve: the booth's network address, never the name the request claimed.
    for foreign in ("http://192.0.2.99:8181", "http://evil.example:9999", "http://raspberrypi-unknown"):
        asked = client.get(f"/kiosk/link/{record.token}", base_url=foreign, environ_base=STRANGER)
        assert asked.json["lan"] == link, foreign
    bare = socket.gethostname().lower().split(".", 1)[0]
    asked = client.get(f"/kiosk/link/{record.token}", base_url=f"http://{bare}:8181", environ_base=STRANGER)
    assert asked.json["lan"] == link
    login(client)
    assert 'id="reach-warning"' not in client.get("/operator").get_data(as_text=True)


def test_the_hotspot_code_goes_to_the_kiosk_and_the_operator_only(service, tmp_path):
    psk = tmp_path / "hotspot.psk"
    psk.write_text("booth:pass;word\n")
    service.settings.hotspot = HotspotSettings(enabled=True, ssid="Booth 1", password_file=psk)
    app = app_listening(service, "0.0.0.0")
    kiosk = app.test_client()
    record, _ = seed_session(service)
    answer = kiosk.get(f"/kiosk/link/{record.token}").json
    assert answer == {"lan": f"http://10.42.0.1:8080/g/{record.token}", "cloud": None, "wifi": True}
    code = kiosk.get("/kiosk/wifi.svg")
    assert code.status_code == 200 and code.mimetype == "image/svg+xml"
    assert code.data == qr_svg(wifi_join_text("Booth 1", "booth:pass;word"))
    assert code.headers["Cache-Control"] == "no-store"

    stranger = app.test_client()
    refused = stranger.get("/kiosk/wifi.svg", environ_base=STRANGER)
    assert refused.status_code == 403 and psk.read_text().strip() not in refused.get_data(as_text=True)
    login(operator := app.test_client())
    assert operator.get("/kiosk/wifi.svg", environ_base=STRANGER).data == code.data

    psk.unlink()  # unreadable: no code, and the end screen is told not to show one
    assert kiosk.get("/kiosk/wifi.svg").status_code == 404
    assert kiosk.get(f"/kiosk/link/{record.token}").json["wifi"] is False


def test_the_hotspot_with_the_booth_on_loopback_offers_nothing(service, tmp_path):
    psk = tmp_path / "hotspot.psk"
    psk.write_text("correct horse\n")
    service.settings.hotspot = HotspotSettings(enabled=True, password_file=psk)
    client = app_listening(service, "127.0.0.1").test_client()
    record, _ = seed_session(service)
    assert client.get(f"/kiosk/link/{record.token}").json == {"lan": None, "cloud": None, "wifi": False}
    assert client.get(f"/kiosk/qr/{record.token}.svg").status_code == 404


def test_links_of_unknown_or_malformed_tokens_are_404(client):
    for path in ("/kiosk/link/" + "A" * 32, "/kiosk/link/short", "/kiosk/qr/" + "B" * 32 + ".svg"):
        assert client.get(path).status_code == 404, path

"""Where the gallery link points and whether a phone can open it (``links.reachability``), and the hotspot's
Wi-Fi join code (``links.wifi_join_text``, ``links.wifi_text``): pure functions of the settings and of what
the server listens on, so tested on their own. The booth's network address is this machine's own
(``lan_address``), read, not faked.
"""

from __future__ import annotations

import logging
import re

import pytest

from booth.config import HotspotSettings
from booth.web.links import (
    LOOPBACK_FIX,
    Reachability,
    lan_address,
    qr_svg,
    reachability,
    wifi_escape,
    wifi_join_text,
    wifi_text,
)

OFF = HotspotSettings()
LAN = lan_address()
needs_lan = pytest.mark.skipif(LAN is None, reason="this machine has no default route (no network address)")


def test_a_public_url_is_the_link_whatever_the_booth_listens_on():
    for host in (None, "127.0.0.1", "0.0.0.0", "192.168.1.20"):
        reach = reachability("https://booth.studio.example/", OFF, host, 8080, "127.0.0.1:8080")
        assert reach == Reachability(True, "https://booth.studio.example"), host


@needs_lan
def test_listening_on_loopback_only_says_no_phone_can_open_it_and_what_it_would_need():
    reach = reachability("", OFF, "127.0.0.1", 8080, "127.0.0.1:8080")
    assert not reach.phone_ok
    assert reach.base == "http://127.0.0.1:8080"
    assert reach.reason == "the booth listens on 127.0.0.1 only, so a phone cannot open the gallery link"
    assert reach.would_need == f"http://{LAN}:8080"
    assert reach.fix == LOOPBACK_FIX and "--host 0.0.0.0" in reach.fix and "web.public_url" in reach.fix
    line = reach.warning()
    assert line.startswith(reach.reason) and f"http://{LAN}:8080" in line and "\n" not in line
    # ::1 and localhost are loopback too
    assert not reachability("", OFF, "::1", 8080).phone_ok
    assert not reachability("", OFF, "localhost", 8080).phone_ok


@needs_lan
def test_listening_on_every_address_takes_the_page_host_unless_it_is_loopback():
    assert reachability("", OFF, "0.0.0.0", 8080, "192.168.1.20:8080") == Reachability(
        True, "http://192.168.1.20:8080"
    )
    # The kiosk on the booth asks for 127.0.0.1: the phone gets the booth's network address instead.
    assert reachability("", OFF, "0.0.0.0", 8080, "127.0.0.1:8080") == Reachability(
        True, f"http://{LAN}:8080"
    )
    assert reachability("", OFF, "::", 8080, "localhost:8080") == Reachability(True, f"http://{LAN}:8080")
    # At start no page asks: the booth's network address.
    assert reachability("", OFF, "0.0.0.0", 8080) == Reachability(True, f"http://{LAN}:8080")


def test_listening_on_one_network_address_links_to_that_address():
    assert reachability("", OFF, "192.168.1.20", 8080, "127.0.0.1:8080") == Reachability(
        True, "http://192.168.1.20:8080"
    )
    assert reachability("", OFF, "fd00::20", 8080).base == "http://[fd00::20]:8080"


@needs_lan
def test_not_told_what_it_listens_on_keeps_the_older_rule():
    assert reachability("", OFF, None, "8080", "192.168.1.20:8080").base == "http://192.168.1.20:8080"
    assert reachability("", OFF, None, "8080", "127.0.0.1:8080") == Reachability(True, f"http://{LAN}:8080")


def test_with_the_hotspot_on_the_link_is_the_hotspot_address():
    hotspot = HotspotSettings(enabled=True, address="10.42.0.1")
    for host in ("0.0.0.0", "::", "10.42.0.1", None):
        assert reachability("", hotspot, host, 8080, "127.0.0.1:8080") == Reachability(
            True, "http://10.42.0.1:8080"
        ), host
    only_loopback = reachability("https://booth.example", hotspot, "127.0.0.1", 8080)
    assert not only_loopback.phone_ok and only_loopback.would_need == "http://10.42.0.1:8080"
    assert "10.42.0.1" in only_loopback.reason and "--host 0.0.0.0" in only_loopback.fix


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain", "plain"),
        ("a;b", "a\\;b"),
        ("a,b", "a\\,b"),
        ("a:b", "a\\:b"),
        ('say "hi"', 'say \\"hi\\"'),
        ("back\\slash", "back\\\\slash"),
        ('\\;,:"', '\\\\\\;\\,\\:\\"'),
        ("Café 5G", "Café 5G"),
    ],
)
def test_wifi_text_escapes_the_special_characters(raw, escaped):
    assert wifi_escape(raw) == escaped


def test_wifi_join_text_is_the_standard_code():
    assert wifi_join_text("HeadshotBooth", "s3cret;pass") == "WIFI:T:WPA;S:HeadshotBooth;P:s3cret\\;pass;;"
    assert wifi_join_text('My "Booth"', "a:b,c\\d") == 'WIFI:T:WPA;S:My \\"Booth\\";P:a\\:b\\,c\\\\d;;'


def test_wifi_text_reads_the_passphrase_file_and_logs_once_when_it_cannot(tmp_path, caplog):
    psk = tmp_path / "hotspot.psk"
    psk.write_text("correct horse\n")
    on = HotspotSettings(enabled=True, ssid="Booth, 2", password_file=psk)
    assert wifi_text(on) == "WIFI:T:WPA;S:Booth\\, 2;P:correct horse;;"
    assert wifi_text(HotspotSettings(enabled=False, password_file=psk)) is None

    missing = HotspotSettings(enabled=True, password_file=tmp_path / "absent.psk")
    with caplog.at_level(logging.ERROR, logger="booth.web.links"):
        assert wifi_text(missing) is None
        assert wifi_text(missing) is None
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "absent.psk" in lines[0] and "no Wi-Fi QR code" in lines[0], lines

    short = tmp_path / "short.psk"
    short.write_text("2short\n")  # WPA2 needs 8 to 63 characters: no code a phone would fail to join with
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="booth.web.links"):
        assert wifi_text(HotspotSettings(enabled=True, password_file=short)) is None
    assert "8 to 63" in caplog.records[0].getMessage()


def test_a_long_cloud_link_gets_a_coarser_code_than_a_short_link_would() -> None:
    """A presigned link (about 450 characters) at the lowest error correction: version 15 (77 modules and
    the 2-module border) rather than 17 (85), so each module is drawn larger on the same screen."""

    def modules(svg: bytes) -> int:
        match = re.search(rb'viewBox="0 0 (\d+) \d+"', svg)
        assert match
        return int(match.group(1))

    assert modules(qr_svg("https://b.example/" + "x" * 450)) == 77 + 4
    assert modules(qr_svg("http://192.168.1.20:8080/g/" + "t" * 32)) <= 37 + 4  # short links keep level M

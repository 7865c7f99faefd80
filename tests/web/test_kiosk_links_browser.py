"""The end screen's links on a real ``booth run`` (replayed footage, mock pins) in headless Chromium: with
the hotspot on, the Wi-Fi join code and then the gallery link, both drawn by the booth; on a booth that
listens on loopback only with no public URL, no QR code at all, the sentence instead, and the warning once
in the log. Screenshots: ``<size>-<shot>.png`` under ``$KIOSK_SHOTS`` (as test_kiosk_screens.py).
"""

from __future__ import annotations

import pytest
from browser_helpers import BROWSER
from test_kiosk_screens import SESSION, SHOTS, check_fits, wait_state
from web_helpers import running_booth

from booth.web.links import qr_svg, wifi_join_text

pytestmark = [*BROWSER, pytest.mark.slow]


def shoot_until_review(browser, base: str, size: str = "800x480"):
    """A real session on the kiosk at ``size``, up to its end screen (one photo kept, two looks missed)."""
    width, height = (int(n) for n in size.split("x"))
    page = browser.new_page(bypass_csp=True, viewport={"width": width, "height": height})
    page.goto(base + "/")
    wait_state(page, "idle")
    page.click("#start-btn")
    wait_state(page, "welcome")
    page.click("#consent-btn")
    wait_state(page, "review", 60)
    return page


def test_with_the_hotspot_on_the_end_screen_shows_its_wifi_code_then_the_link(tmp_path, media, browser):
    psk = tmp_path / "hotspot.psk"
    psk.write_text("correct horse battery\n")
    # The booth listens on 127.0.0.1 (the tests' rule): that is its "hotspot address" here.
    hotspot = {"enabled": True, "ssid": "Booth; one", "password_file": str(psk), "address": "127.0.0.1"}
    for _proc, base, _cfg, _tmp in running_booth(
        tmp_path / "run", media, session=SESSION, web={"public_url": ""}, sections={"hotspot": hotspot}
    ):
        page = shoot_until_review(browser, base)
        try:
            page.wait_for_function(
                "document.getElementById('wifi-qr').naturalWidth > 0"
                " && document.getElementById('qr').naturalWidth > 0",
                timeout=10_000,
            )
            labels = page.locator("#qr-cards .qr-lead").all_inner_texts()
            assert labels == ["1. Join the booth's Wi-Fi", "2. Open your photos"], labels
            token = page.evaluate("fetch('/api/status').then((r) => r.json())")["session"]["token"]
            assert page.locator("#gallery-link").inner_text() == f"{base}/g/{token}"
            wifi = page.evaluate("fetch('/kiosk/wifi.svg').then((r) => r.text())")
            assert wifi == qr_svg(wifi_join_text("Booth; one", "correct horse battery")).decode()
            check_fits(page, "800x480", "review-hotspot", "review")
        finally:
            page.close()


def test_a_booth_no_phone_can_reach_shows_no_qr_code(tmp_path, media, browser):
    for _proc, base, _cfg, tmp in running_booth(tmp_path, media, session=SESSION, web={"public_url": ""}):
        page = shoot_until_review(browser, base)
        try:
            page.wait_for_selector("#no-link:not([hidden])", timeout=10_000)
            assert page.locator("#no-link").inner_text() == (
                "Your photos are saved. The studio will send you the link."
            )
            assert page.locator("#qr-card").is_hidden() and page.locator("#wifi-card").is_hidden()
            assert page.locator("#review-note").inner_text() == ""
            check_fits(page, "800x480", "review-unreachable", "review")
        finally:
            page.close()
        log = (tmp / "booth.log").read_text()
        warning = "the booth listens on 127.0.0.1 only, so a phone cannot open the gallery link"
        assert log.count(warning) == 1, log
        assert "--host 0.0.0.0" in log
    assert (SHOTS / "800x480-review-unreachable.png").exists()

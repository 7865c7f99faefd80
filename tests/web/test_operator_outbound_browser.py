"""The operator page's warning, Pause and Resume and Delivery section in headless Chromium, against a
``booth run`` that listens on 127.0.0.1 with no public URL (so no phone can open its gallery link), with the
kiosk open beside it: Pause empties the kiosk's idle screen of its Start button, Resume brings it back.
Mocked only at the hardware boundaries (replayed footage, mock pins). Screenshots as the operator tests'.
"""

from __future__ import annotations

import pytest
from browser_helpers import BROWSER
from test_operator_browser import SIZES, dashboard, shot
from web_helpers import running_booth

from booth.web.links import lan_address

pytestmark = BROWSER


@pytest.fixture(scope="module")
def booth(tmp_path_factory, media):
    yield from running_booth(tmp_path_factory.mktemp("outbound-run"), media, web={"public_url": ""})


@pytest.mark.parametrize("viewport", SIZES)
def test_the_warning_pause_resume_and_delivery(booth, browser, viewport):
    _proc, base, _, _ = booth
    port = base.rsplit(":", 1)[1]
    page = dashboard(browser, base, viewport)
    kiosk = browser.new_page(bypass_csp=True, viewport={"width": 800, "height": 480})
    try:
        warning = page.locator("#reach-warning")
        assert warning.is_visible()
        text = warning.inner_text()
        assert "The QR code cannot work for a phone." in text and "--host 0.0.0.0" in text
        lan = lan_address()
        if lan is not None:
            assert page.locator("#reach-need").inner_text() == f"http://{lan}:{port}"
        assert page.locator("#op-delivery-state").inner_text() == "Off"
        assert page.locator("#op-fleet").inner_text() == "Fleet: off"
        shot(page, f"outbound-{viewport['width']}x{viewport['height']}")

        kiosk.goto(base + "/")
        kiosk.wait_for_selector("#start-btn", state="visible")
        page.click("#op-pause")
        page.wait_for_selector("#op-resume", state="visible")
        assert page.locator("#op-pause").is_hidden() and page.locator("#op-start").is_hidden()
        assert page.locator("#op-paused").inner_text() == "Paused by the operator"
        kiosk.wait_for_selector("#start-btn", state="hidden", timeout=10_000)
        assert kiosk.locator("#idle-title").inner_text() == "This booth is paused"
        assert kiosk.locator("#paused-reason").inner_text() == "Paused by the operator."
        page.locator("#op-paused").scroll_into_view_if_needed()
        shot(page, f"paused-{viewport['width']}x{viewport['height']}")

        page.click("#op-resume")
        page.wait_for_selector("#op-pause", state="visible")
        assert page.locator("#op-start").is_visible() and page.locator("#op-paused").inner_text() == ""
        kiosk.wait_for_selector("#start-btn", state="visible", timeout=10_000)
        assert kiosk.locator("#idle-title").inner_text() == "Your headshots."
    finally:
        kiosk.close()
        page.close()

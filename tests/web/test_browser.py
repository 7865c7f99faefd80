"""The booth page in a real headless Chromium, driven by Playwright, against ``booth run`` in a subprocess.

Mocked only at the hardware boundaries: ``booth run --camera replay:single_face.mp4 --pins mock`` replays
real face footage and uses gpiozero's mock pins; everything else (perception, looks, policy, session,
storage, waitress, the page's JavaScript) is the real thing. Screenshots go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import re

import pytest
from browser_helpers import ARTIFACTS, BROWSER
from web_helpers import running_booth

from booth import config
from booth.commands.run import LOCAL_CONFIG, load_settings

PASSWORD = "studio-password-1"

pytestmark = BROWSER


@pytest.fixture(scope="module")
def booth(tmp_path_factory, media):
    yield from running_booth(tmp_path_factory.mktemp("booth-run"), media)


#: Records each data-score the kiosk sets on #meter (a MutationObserver, so no sample is missed), and, from
#: a second subscription to the same Server-Sent Events, every readiness of the target look the booth sent
#: (its live score, held near 0 while the eyes are shut or off the lens).
METER_RECORDER = """() => {
  window.meterScores = [];
  window.sentScores = [];
  const meter = document.getElementById("meter");
  new MutationObserver(() => window.meterScores.push(meter.dataset.score))
    .observe(meter, { attributes: true, attributeFilter: ["data-score"] });
  new EventSource("/api/events").addEventListener("status", (e) => {
    const status = JSON.parse(e.data);
    const live = status.face && status.target_look ? status.face.readiness : undefined;
    if (typeof live === "number") window.sentScores.push(live.toFixed(3));
  });
}"""


def shot(page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def test_kiosk_session_gallery_and_download(booth, browser, tmp_path):
    _proc, base, _, _ = booth
    # bypass_csp: Playwright's polling wait_for_function evaluates script, which the pages' strict
    # Content-Security-Policy (no 'unsafe-eval') rightly forbids; the pages themselves never need it.
    page = browser.new_page(bypass_csp=True, viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page.goto(base + "/")
    page.wait_for_function("document.getElementById('preview').naturalWidth > 0", timeout=15_000)
    first = page.locator("#preview").screenshot()
    page.wait_for_timeout(700)
    second = page.locator("#preview").screenshot()
    assert first != second, "the live preview did not change"
    shot(page, "01-kiosk-idle")

    page.click("#start-btn")
    page.wait_for_selector(".screen[data-screen='welcome'] #consent-btn", state="visible", timeout=10_000)
    assert page.locator("#consent-text").inner_text().strip(), "consent step shows no consent text"
    shot(page, "02-kiosk-consent")
    # Every value the page writes to the meter from now on, however short the shooting screen lasts (on a
    # loaded machine the one shot of this session can come after a handful of status events).
    page.evaluate(METER_RECORDER)
    page.click("#consent-btn")
    page.wait_for_selector("#meter", state="visible", timeout=10_000)
    shot(page, "03-kiosk-shooting")

    page.wait_for_selector("#kept:not([hidden])", timeout=40_000)
    scores = [s for s in page.evaluate("window.meterScores") if s]
    sent = set(page.evaluate("window.sentScores"))
    # The meter moved with the stream: several updates, each one a live score the booth sent. Not "several
    # distinct values": a sitter already smiling at consent holds one score (seen: 0.762 four times) until
    # the shot, which can follow within a few status events.
    assert len(scores) >= 2, f"the score meter got no updates over SSE: {scores}"
    assert set(scores) <= sent, f"the meter showed scores the booth never sent: {scores} vs {sorted(sent)}"
    page.wait_for_function("document.getElementById('kept-img').naturalWidth > 0", timeout=10_000)
    shot(page, "04-kiosk-kept-shot")

    page.wait_for_selector("#qr-card:not([hidden])", timeout=20_000)
    page.wait_for_function("document.getElementById('qr').naturalWidth > 0", timeout=10_000)
    page.wait_for_function("document.getElementById('gallery-link').textContent.length > 0", timeout=10_000)
    link = page.locator("#gallery-link").inner_text().strip()
    assert re.fullmatch(re.escape(base) + r"/g/[A-Za-z0-9_-]{32}", link), link
    page.wait_for_timeout(2600)  # the kept shot fades; the QR screen stays
    shot(page, "05-kiosk-qr")

    phone = browser.new_page(bypass_csp=True, viewport={"width": 390, "height": 844}, accept_downloads=True)
    phone.goto(link)
    phone.wait_for_selector(".shot img", timeout=10_000)
    phone.wait_for_function("[...document.querySelectorAll('.shot img')].every(i => i.naturalWidth > 0)")
    shot(phone, "06-gallery-phone")
    with phone.expect_download() as info:
        phone.locator("a.download").first.click()
    saved = tmp_path / "photo.jpg"
    info.value.save_as(saved)
    data = saved.read_bytes()
    assert data[:3] == b"\xff\xd8\xff" and len(data) > 5000, "the download is not a JPEG photo"
    assert info.value.suggested_filename.endswith(".jpg")
    phone.close()
    page.close()


def test_operator_login_and_threshold_change(booth, browser):
    _proc, base, cfg, tmp = booth
    page = browser.new_page(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page.goto(base + "/operator")
    assert "/operator/setup" in page.url, "first run should ask for the operator password"
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("#setup-form button[type=submit]")
    page.wait_for_selector("#op-state")
    # A new browser (its own context, no cookies): clearing cookies on the open page would race the
    # operator page's own requests, whose responses refresh the session cookie.
    page.close()
    page = browser.new_page(bypass_csp=True, viewport={"width": 1280, "height": 900})

    page.goto(base + "/operator")
    assert "/operator/login" in page.url
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#op-state")
    page.wait_for_function("document.querySelectorAll('#op-camera dd').length >= 5", timeout=10_000)
    # The replayed sitter has no baseline step: the dashboard says the population model judges the gaze.
    page.wait_for_function(
        "document.getElementById('op-gaze').textContent.includes('population model')", timeout=15_000
    )
    assert "Gaze left/right (deg)" in page.content()
    shot(page, "07-operator", full_page=True)

    field = page.locator("input[name='policy.thresholds.approachable']")
    field.fill("1.7")
    page.click("#save-settings")
    page.wait_for_selector(".field.invalid")
    assert "less than or equal to 1" in page.locator(".field.invalid .field-error").first.inner_text()
    shot(page, "08-operator-field-error", full_page=True)
    assert "1.7" not in cfg.read_text() and config.load(cfg).policy.thresholds.get("approachable") != 1.7

    page.locator("input[name='policy.thresholds.approachable']").fill("0.55")
    page.click("#save-settings")
    page.wait_for_selector(".flash-msg.ok")
    # Saved as the page's change in <data>/booth.toml, over the --config file (which the booth never writes).
    saved = load_settings(cfg, tmp / "data" / LOCAL_CONFIG)
    assert saved.policy.thresholds["approachable"] == pytest.approx(0.55)
    assert page.locator("input[name='policy.thresholds.approachable']").input_value() == "0.55"
    shot(page, "09-operator-saved", full_page=True)
    page.close()

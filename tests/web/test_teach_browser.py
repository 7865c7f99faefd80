""" "Teach a look" and the review's marks in a real headless Chromium, against ``booth run`` in a subprocess.

Mocked only at the hardware boundaries (``--camera replay:single_face.mp4 --pins mock``). The replayed
sitter smiles in frames 19-70 of the 72-frame loop and rests in the rest, so the takes are started from
the page when the live status says the smile has just come (or just gone), as an operator watching the
sitter would, and kept short enough to stay inside it. Screenshots go to ``/tmp/teach_shots/`` (and
``test-artifacts/web/``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser_helpers import ARGS, ARTIFACTS, BROWSER, CHROMIUM
from web_helpers import running_booth

from booth import looks
from booth.commands.run import LOCAL_CONFIG, load_settings

SHOTS = Path("/tmp/teach_shots")
PASSWORD = "studio-password-2"

pytestmark = BROWSER

#: The smile call of every status event, so the test can start a take on a change of it.
SMILE_WATCH = """() => {
  window.smiles = [];
  new EventSource("/api/events").addEventListener("status", (e) => {
    const face = JSON.parse(e.data).face;
    window.smiles.push(face ? face.smiling : null);
  });
}"""
#: True once the smile call just turned to ``want`` (the last two events differ, the last is ``want``).
TURNED = """(want) => {
  const s = window.smiles, n = s.length;
  if (n >= 2 && s[n - 1] === want && s[n - 2] === !want && !window.seen) { window.seen = n; }
  return Boolean(window.seen);
}"""


@pytest.fixture(scope="module")
def booth(tmp_path_factory, media):
    yield from running_booth(tmp_path_factory.mktemp("teach-run"), media)


def shot(page, name: str, selector: str = "#teach") -> None:
    """A screenshot of the Teach section (or ``selector``), in both folders."""
    for folder in (SHOTS, ARTIFACTS):
        folder.mkdir(parents=True, exist_ok=True)
    page.locator(selector).screenshot(path=str(SHOTS / f"{name}.png"))
    shutil.copyfile(SHOTS / f"{name}.png", ARTIFACTS / f"teach-{name}.png")


def take(page, kind: str, seconds: float, on_smile: bool) -> None:
    page.evaluate("() => { window.seen = 0; }")
    page.wait_for_function(TURNED, arg=on_smile, timeout=15_000, polling=20)
    page.fill("#teach-seconds", str(seconds))
    page.click("#teach-hold" if kind == "holding" else "#teach-not")
    page.wait_for_selector("#teach-countdown.on", timeout=5_000)


def test_teach_a_look_record_learn_preview_save_undo(booth, tmp_path):
    from playwright.sync_api import sync_playwright

    _proc, base, cfg, tmp = booth
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page(bypass_csp=True, viewport={"width": 1280, "height": 1000})
        page.goto(base + "/operator")
        page.fill("#password", PASSWORD)
        page.fill("#confirm", PASSWORD)
        page.click("#setup-form button[type=submit]")
        page.wait_for_selector("#teach")
        page.locator("#teach").scroll_into_view_if_needed()

        page.click("#teach-hold")  # no name yet: refused on the page, nothing recorded
        assert "Name the look first" in page.locator("#teach-message").inner_text()
        page.fill("#teach-name", "beam")
        page.evaluate(SMILE_WATCH)
        for round_ in range(2):
            take(page, "holding", 0.8, on_smile=True)
            if round_ == 1:
                shot(page, "01-recording")
            page.wait_for_selector("#teach-countdown:not(.on)", state="attached", timeout=5_000)
            take(page, "not", 0.3, on_smile=False)
            page.wait_for_selector("#teach-countdown:not(.on)", state="attached", timeout=5_000)
        counts = page.locator("#teach-counts").inner_text()
        assert "2 takes" in counts, counts
        holding = int(page.locator("#teach-holding").inner_text().split()[0])
        resting = int(page.locator("#teach-notholding").inner_text().split()[0])
        assert holding >= 20 and resting >= 8, counts

        page.click("#teach-learn")
        page.wait_for_selector("#teach-preview:not([hidden])", timeout=10_000)
        summary = page.locator("#teach-summary").inner_text()
        assert summary.startswith(f"learn: positives={holding} negatives={resting} cv_accuracy="), summary
        assert page.locator("#teach-terms tr").count() >= 1
        # The preview's live score moves with the sitter: high on the smile, low at rest.
        page.wait_for_function(
            "Number(document.getElementById('teach-live').dataset.score) > 0.8", timeout=10_000
        )
        page.wait_for_function(
            "Number(document.getElementById('teach-live').dataset.score) < 0.2", timeout=10_000
        )
        page.wait_for_function(
            "Number(document.getElementById('teach-live').dataset.score) > 0.8", timeout=10_000
        )
        # ... and on the dashboard's scores, marked as a preview.
        page.wait_for_selector("#op-scores .score.trial .tag.trial", timeout=5_000)
        shot(page, "02-preview")
        shot(page, "02-preview-scores", "#live")

        page.click("#teach-save")
        page.wait_for_selector("#teach-undo-row:not([hidden])", timeout=10_000)
        looks_file = tmp / "data" / "looks.toml"
        assert "beam" in looks.load(looks_file).looks
        assert load_settings(cfg, tmp / "data" / LOCAL_CONFIG).looks.file == looks_file
        assert page.locator("#teach-preview").is_hidden()
        page.wait_for_selector("#op-scores .score[data-look='beam']", timeout=5_000)
        shot(page, "03-saved")

        page.click("#teach-undo")
        page.wait_for_selector("#teach-undo-row[hidden]", state="attached", timeout=10_000)
        assert "beam" not in looks.load(looks_file).looks
        assert "Undone" in page.locator("#teach-message").inner_text()
        page.click("#teach-discard")
        page.wait_for_function("document.getElementById('teach-state').textContent === 'no takes'")
        shot(page, "04-undone")

        # A session keeps a photo; on its review the photographer marks it, and the marks are counted.
        page.evaluate("() => Booth.post('/api/session/start').then(() => Booth.post('/api/session/consent'))")
        page.wait_for_function("document.getElementById('op-shots').textContent === '1'", timeout=40_000)
        page.goto(base + "/operator/sessions/1")
        page.wait_for_function("[...document.querySelectorAll('.shot img')].every(i => i.naturalWidth > 0)")
        page.locator("article.shot button.mark.good").first.click()
        page.wait_for_selector("article.shot.marked-good", timeout=5_000)
        assert "approachable: 1 good, 0 not good" in page.locator("#refits").inner_text()
        shot(page, "05-review-marked", "main")
        browser.close()

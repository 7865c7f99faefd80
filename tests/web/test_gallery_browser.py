"""The client's gallery in a real headless Chromium, on a phone (390x844, touch) and a laptop (1280x800).

Against ``booth run`` in a subprocess (replay camera, mock pins) on a data folder holding a session stored
beforehand through the real Storage (:mod:`gallery_seed`). The pages run under their own strict Content
Security Policy (no ``bypass_csp``), and every test fails on a policy violation, a console error or a
script error. Swipes are real touch input (Chromium's ``Input.dispatchTouchEvent``) on the phone and a
mouse drag on the laptop. Screenshots go to ``test-artifacts/web/gallery/``.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from browser_helpers import BROWSER
from gallery_seed import seed_gallery
from PIL import Image
from web_helpers import QUICK, running_booth

from booth import config
from booth.storage import Storage

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web" / "gallery"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
LAPTOP = {"viewport": {"width": 1280, "height": 800}}

pytestmark = BROWSER

#: Set before any page script runs: every Content-Security-Policy violation the page reports.
WATCH_CSP = """window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline")));"""


@pytest.fixture(scope="module")
def booth(tmp_path_factory, media):
    """``booth run`` on a data folder with the seeded session; yields (base URL, session, shots, data)."""
    tmp = tmp_path_factory.mktemp("gallery-run")
    with Storage(tmp / "data", config.validate(QUICK).storage) as storage:
        record, shots = seed_gallery(storage, media)
    for _proc, base, _cfg, _tmp in running_booth(tmp, media):
        yield base, record, shots, tmp / "data"


class Watched:
    """A page in its own browser context whose CSP violations, console errors and script errors are kept."""

    def __init__(self, browser, **options) -> None:
        self.context = browser.new_context(accept_downloads=True, **options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.add_init_script(WATCH_CSP)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"script: {e}"))

    def clean(self) -> None:
        violations = self.page.evaluate("window.cspViolations")
        assert not violations and not self.errors, (violations, self.errors)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def phone(browser):
    watched = Watched(browser, **PHONE)
    yield watched
    watched.close()


@pytest.fixture
def laptop(browser):
    watched = Watched(browser, **LAPTOP)
    yield watched
    watched.close()


def screenshot(page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def eventually(page, script: str, timeout: float = 10.0):
    """Poll ``script`` (an expression) until it is truthy. Not ``wait_for_function``: that evaluates a
    string in the page, which the page's policy (no 'unsafe-eval') rightly refuses."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script)
        if value:
            return value
        assert time.monotonic() < deadline, f"never true: {script}"
        page.wait_for_timeout(50)


def open_gallery(page, base: str, record) -> str:
    url = f"{base}/g/{record.token}"
    page.goto(url)
    page.wait_for_selector(".tile img")
    eventually(
        page, "[...document.querySelectorAll('.tile img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    return url


def viewer_state(page) -> dict:
    return page.evaluate(
        """() => ({
          open: !document.getElementById('viewer').hidden,
          look: document.getElementById('viewer-look').textContent,
          count: document.getElementById('viewer-count').textContent,
          src: document.getElementById('viewer-img').getAttribute('src'),
          loaded: document.getElementById('viewer-img').complete
                  && document.getElementById('viewer-img').naturalWidth > 0,
          box: document.getElementById('viewer-img').getBoundingClientRect().toJSON(),
          hash: location.hash, path: location.pathname,
          scrollLock: document.body.classList.contains('viewing'),
        })"""
    )


def showing(page, count: str) -> dict:
    """The viewer's state once it shows photo ``count`` ("2 of 4"): input reaches the page's script a
    moment after Playwright has sent it (a tap's click comes after the touch ends)."""
    eventually(page, f"document.getElementById('viewer-count').textContent === {count!r}")
    return viewer_state(page)


def still_showing(page, count: str) -> None:
    page.wait_for_timeout(300)
    assert viewer_state(page)["count"] == count


def touch_swipe(page, dx: float) -> None:
    """One finger across the middle of the viewer's photo, ``dx`` pixels sideways, as real touch input."""
    box = page.locator("#viewer-stage").bounding_box()
    x, y = box["x"] + box["width"] / 2 - dx / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, 9):
        point = {"x": x + dx * i / 8, "y": y + i}  # a little downwards too, as a thumb does
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_on_a_phone_a_tap_opens_the_viewer_which_swipes_downloads_and_closes_with_back(phone, booth):
    base, record, shots, _data = booth
    page = phone.page
    url = open_gallery(page, base, record)
    screenshot(page, "01-phone-gallery")
    screenshot(page, "02-phone-gallery-full", full_page=True)
    tiles = page.locator(".tile a.open")
    assert tiles.count() == len(shots)
    first = tiles.first.bounding_box()
    assert first["width"] >= 150 and first["height"] >= 180, first  # two columns of real photos, not icons
    for button in page.locator(".tile a.download, #zip-link").all():
        assert button.bounding_box()["height"] >= 44, "a touch target under 44 px"

    tiles.first.tap()
    page.wait_for_selector("#viewer:not([hidden])")
    state = viewer_state(page)
    best = shots[1]  # approachable's best (its second take) comes first
    assert state["path"] == f"/g/{record.token}" and state["hash"] == f"#photo-{best.id}", state
    assert state["look"] == "Approachable · take 2" and state["count"] == f"1 of {len(shots)}"
    assert page.locator("#viewer-best").is_visible()
    eventually(page, "document.getElementById('viewer-img').naturalWidth > 0")
    box = viewer_state(page)["box"]
    assert box["width"] >= 380 or box["height"] >= 600, f"the photo is not shown large: {box}"
    assert state["scrollLock"]
    screenshot(page, "03-phone-viewer")

    touch_swipe(page, -220)  # leftwards: the next photo
    state = showing(page, f"2 of {len(shots)}")
    assert state["look"] == "Approachable · take 1", state
    assert f"/crop/{shots[0].id}/4x5.jpg" in state["src"] and state["hash"] == f"#photo-{shots[0].id}"
    touch_swipe(page, -30)  # too short to be a swipe
    still_showing(page, f"2 of {len(shots)}")
    touch_swipe(page, 220)  # rightwards: back to the first
    showing(page, f"1 of {len(shots)}")
    touch_swipe(page, 220)  # nothing before the first
    still_showing(page, f"1 of {len(shots)}")
    touch_swipe(page, -220)
    showing(page, f"2 of {len(shots)}")
    touch_swipe(page, -220)
    assert showing(page, f"3 of {len(shots)}")["look"] == "Confident · take 1"

    # Pressed with the mouse (and the download below): after the synthetic swipes above, headless Chromium
    # treats a synthetic tap as one that stops a fling and sends no click (observed: pointerdown/up and
    # touchstart/end, no click); a tap before any swipe clicks, as the tap that opened the viewer shows.
    page.locator("#viewer-variants button", has_text="1:1").click()
    page.wait_for_selector("#viewer-variants button[aria-pressed=true]:text-is('1:1')")
    eventually(page, "document.getElementById('viewer-img').complete")
    eventually(page, "document.getElementById('viewer-img').naturalWidth > 0")
    state = viewer_state(page)
    assert (
        f"/crop/{shots[2].id}/1x1.jpg" in state["src"]
        and abs(state["box"]["width"] - state["box"]["height"]) < 2
    )
    screenshot(page, "04-phone-viewer-square")
    download = page.locator("#viewer-download")
    assert download.bounding_box()["height"] >= 44 and download.inner_text() == "Download 1:1"
    with page.expect_download() as info:
        download.click()  # the mouse again, for the reason above
    saved = info.value.path()
    assert info.value.suggested_filename == "headshot-confident-1-1x1.jpg"
    with Image.open(saved) as image:
        assert image.format == "JPEG" and image.width == image.height and image.width > 300  # full size

    page.go_back()  # the phone's back gesture: closes the viewer, stays on the gallery
    page.wait_for_selector("#viewer", state="hidden")
    state = viewer_state(page)
    assert page.url == url and not state["open"] and not state["scrollLock"], (page.url, state)
    assert page.locator(".tile").count() == len(shots)  # still the gallery, not a bare photo or a blank page
    screenshot(page, "05-phone-back-on-gallery")
    phone.clean()


def test_on_a_phone_the_viewer_closes_with_its_back_button_and_leaves_no_history_behind(phone, booth):
    base, record, _shots, _data = booth
    page = phone.page
    page.goto("about:blank")
    url = open_gallery(page, base, record)
    page.locator(".tile a.open").nth(3).tap()  # playful: no crops, only the original to offer
    page.wait_for_selector("#viewer:not([hidden])")
    assert viewer_state(page)["look"] == "Playful · take 1"
    assert page.locator("#viewer-variants button").all_inner_texts() == ["Original"]
    assert page.locator("#viewer-next").is_disabled()
    page.locator("#viewer-back").tap()
    page.wait_for_selector("#viewer", state="hidden")
    assert page.url == url
    page.go_back()  # one Back after closing leaves the gallery: the viewer left no extra entry
    page.wait_for_url("about:blank")
    phone.clean()


def test_on_a_laptop_keys_buttons_and_a_drag_move_through_the_photos(laptop, booth):
    base, record, shots, _data = booth
    page = laptop.page
    url = open_gallery(page, base, record)
    screenshot(page, "06-laptop-gallery")
    page.locator(".tile a.open").nth(1).click()  # approachable's first take
    page.wait_for_selector("#viewer:not([hidden])")
    assert viewer_state(page)["count"] == f"2 of {len(shots)}"
    eventually(page, "document.getElementById('viewer-img').naturalWidth > 0")
    screenshot(page, "07-laptop-viewer")
    page.keyboard.press("ArrowRight")
    assert showing(page, f"3 of {len(shots)}")["look"] == "Confident · take 1"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    showing(page, f"1 of {len(shots)}")
    page.click("#viewer-next")
    page.click("#viewer-next")
    showing(page, f"3 of {len(shots)}")
    box = page.locator("#viewer-stage").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2 + 150, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 150, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    assert showing(page, f"4 of {len(shots)}")["look"] == "Playful · take 1"
    page.click("#viewer-prev")
    page.click("#viewer-prev")
    showing(page, f"2 of {len(shots)}")
    page.click("#viewer-variants button:text-is('Original')")
    page.wait_for_selector("#viewer-variants button[aria-pressed=true]:text-is('Original')")
    src = viewer_state(page)["src"]
    assert src == f"/g/{record.token}/photo/{shots[0].id}.jpg?size=view", src
    with page.expect_download() as info:
        page.click("#viewer-download")
    assert info.value.suggested_filename == "headshot-approachable-1.jpg"
    original = Path(info.value.path()).read_bytes()
    assert hashlib.sha256(original).hexdigest() == shots[0].sha256  # the untouched original
    page.keyboard.press("Escape")
    page.wait_for_selector("#viewer", state="hidden")
    assert page.url == url
    assert page.evaluate("document.activeElement.closest('.tile') !== null")  # focus back on the photo

    with page.expect_download() as info:
        page.click("#zip-link")
    with zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes())) as zf:
        names = zf.namelist()
    assert not [n for n in names if n.endswith(".json")], names
    assert sum(n.startswith("originals/") for n in names) == len(shots)
    assert sum(n.startswith("crops/") for n in names) == 2 * (len(shots) - 1)
    laptop.clean()


def test_a_link_to_one_photo_opens_it_and_back_returns_to_the_gallery(laptop, booth):
    base, record, shots, _data = booth
    page = laptop.page
    page.goto(f"{base}/g/{record.token}#photo-{shots[2].id}")
    page.wait_for_selector("#viewer:not([hidden])")
    assert viewer_state(page)["look"] == "Confident · take 1"
    page.go_back()
    page.wait_for_selector("#viewer", state="hidden")
    assert page.url == f"{base}/g/{record.token}"
    page.reload()  # and a reload on the gallery keeps it closed
    page.wait_for_selector(".tile img")
    assert not viewer_state(page)["open"]
    laptop.clean()


def test_without_javascript_a_tap_opens_the_photo_and_downloads_still_work(browser, booth):
    base, record, shots, _data = booth
    context = browser.new_context(java_script_enabled=False, accept_downloads=True, **PHONE)
    page = context.new_page()
    page.goto(f"{base}/g/{record.token}")
    assert page.locator("#viewer").is_hidden()
    with page.expect_download() as info:
        page.locator(".tile a.download").first.tap()
    assert re.fullmatch(r"headshot-approachable-2\.jpg", info.value.suggested_filename)
    page.locator(".tile a.open").first.tap()
    page.wait_for_url(re.compile(rf"/g/{record.token}/photo/{shots[1].id}\.jpg$"))
    context.close()

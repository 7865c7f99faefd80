"""The sitter's kiosk on the screens it runs on, and what it tells the sitter.

Every screen (idle, welcome, the baseline's "Relax", shooting, the end screens, stopped, fault) must fit
whole at 800x480 (the official 7-inch touchscreen), 1024x600 and 1280x800: every visible button and text
block inside the window, no page scrolling, no box clipping or spilling its content, touch targets of 44 px
or more. And the kiosk must say what happened: a look that got no photo reads as missed, the end screen
counts the photos and the looks that have one, the clocks show the booth's own times, and the idle and
welcome screens promise the time the shot list really takes.

Against ``booth run`` on replayed real footage with gpiozero's mock pins (``web_helpers.running_booth``),
in headless Chromium. Screenshots: ``<size>-<screen>.png`` under ``$KIOSK_SHOTS`` (default
``test-artifacts/web/kiosk``).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import time
from pathlib import Path

import pytest
from browser_helpers import BROWSER
from web_helpers import running_booth

from booth.web.links import qr_svg, wifi_join_text

SHOTS = Path(os.environ.get("KIOSK_SHOTS", Path(__file__).resolve().parents[2] / "test-artifacts/web/kiosk"))
SIZES = ["800x480", "1024x600", "1280x800"]
UPRIGHT = "480x800"  # the touchscreen turned: checked with the longest texts

#: Approachable (the replayed sitter smiles) is kept within its 20 s; intense and playful get 3 s each,
#: too short for this footage, so they end missed: the end screen reads "1 photo, 1 of 3 looks".
SESSION = {
    "shot_list": "kiosk test",
    "custom_shot_lists": {"kiosk test": ["approachable", "intense", "playful"]},
    "shots_per_look": 1,
    "look_seconds": 3.0,
    "per_look": {"approachable": {"seconds": 20.0}},
    "baseline_timeout": 4.0,
    "review_timeout": 300.0,
    "end_screen_seconds": 6.0,
}

#: The longest of each text a screen can show: the longest shipped list (five looks, the longest name
#: last but one), the longest scenario, a hint longer than any shipped (a learned look's), the longest gaze
#: chip and session sentences, and the camera's stall sentence.
LONG_LOOKS = ["confident", "intense", "vulnerable", "approachable", "playful"]
LONG_SCENARIO = "Imagine a friend you haven't seen in years just walked through the door."
LONG_HINT = "Lift the inner corners of your brows and think of someone"
LONG_STALL = (
    "replay:single_face.mp4: no new frame for 2 s (stalled); check the cable and power, "
    "the camera is being reopened"
)

pytestmark = [*BROWSER, pytest.mark.slow]

#: The fit check, in one evaluation (so no status event re-renders the page halfway through it).
FIT_CHECK = """() => {
  const shell = document.getElementById("kiosk");
  const vw = innerWidth, vh = innerHeight, problems = [];
  const name = (el) => (el.id ? "#" + el.id
    : el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ")[0] : ""));
  const box = (r) => [r.left, r.top, r.right, r.bottom].map(Math.round).join(",");
  const shown = (el) => { const s = getComputedStyle(el); const r = el.getBoundingClientRect();
    return s.display !== "none" && s.visibility !== "hidden" && r.width > 0 && r.height > 0; };
  const page = document.scrollingElement;
  if (page.scrollHeight > vh || page.scrollWidth > vw)
    problems.push(`the page scrolls: ${page.scrollWidth}x${page.scrollHeight}`);
  for (const el of shell.querySelectorAll("*")) {
    if (!shown(el) || getComputedStyle(el).display === "inline") continue;
    const r = el.getBoundingClientRect();
    if (el.matches("button, a, h1, p, li, img, figcaption, .chip, .meter, .progress") &&
        (r.left < -0.5 || r.top < -0.5 || r.right > vw + 0.5 || r.bottom > vh + 0.5))
      problems.push(`${name(el)} is outside the ${vw}x${vh} window: ${box(r)}`);
    // A box holding more than it shows: clipped (overflow hidden/auto) or spilling onto its neighbours.
    if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
      problems.push(`${name(el)} holds ${el.scrollWidth}x${el.scrollHeight}`
                    + ` in ${el.clientWidth}x${el.clientHeight}`);
    if (el.matches("button") && (r.height < 44 || r.width < 44))
      problems.push(`${name(el)} is a ${Math.round(r.width)}x${Math.round(r.height)} touch target`);
  }
  return { state: shell.dataset.state, screen: shell.dataset.screen, problems };
}"""

#: Records what the page shows of the booth's clocks and baseline (MutationObservers, so no value is
#: missed), and from a second subscription to the same events the values the booth sent, as the page must
#: word them.
RECORDER = """() => {
  const seen = window.seen = { clock: [], pill: [], hint: [], progress: [] };
  const sent = window.sent = { clock: [], pill: [], hint: [], progress: [] };
  const shell = document.getElementById("kiosk");
  const watch = (id, key, screen, read) => new MutationObserver(() => {
    if (shell.dataset.screen === screen) seen[key].push(read(document.getElementById(id)));
  }).observe(document.getElementById(id), { childList: true, characterData: true, subtree: true,
                                            attributes: true });
  watch("look-clock", "clock", "shooting", (el) => el.textContent);
  watch("state-pill", "pill", "shooting", (el) => el.textContent);
  watch("baseline-hint", "hint", "baseline", (el) => el.textContent);
  watch("baseline-progress", "progress", "baseline", (el) => el.getAttribute("aria-valuenow"));
  const up = (s) => Math.max(0, Math.ceil(s));
  const clock = (s) => `${Math.floor(up(s) / 60)}:${String(up(s) % 60).padStart(2, "0")} left`;
  new EventSource("/api/events").addEventListener("status", (e) => {
    const session = JSON.parse(e.data).session;
    if (!session) return;
    const left = session.look_seconds_left;
    if (typeof left === "number") sent.clock.push(`${up(left)} s left`);
    if (typeof session.seconds_left === "number") sent.pill.push(clock(session.seconds_left));
    const base = session.baseline;
    if (base) {
      const resting = base.progress > 0 ? "Good: stay just like that" : "Hold still, eyes on the light";
      sent.hint.push(base.waiting_for || resting);
      sent.progress.push(String(Math.round(Math.max(0, Math.min(1, base.progress)) * 100)));
    }
  });
}"""


@pytest.fixture(scope="module")
def booth(tmp_path_factory, media):
    yield from running_booth(tmp_path_factory.mktemp("kiosk-run"), media, session=SESSION)


@pytest.fixture
def kiosk(browser, booth):
    """``kiosk(size)``: the kiosk page at ``size`` on the idle screen with the live preview showing; the
    pages are closed after the test even when it fails (the booth refuses streams past its limit)."""
    pages = []

    def open_page(size: str):
        width, height = (int(n) for n in size.split("x"))
        # bypass_csp: Playwright's polling waits evaluate script, which the page's CSP rightly forbids.
        page = browser.new_page(bypass_csp=True, viewport={"width": width, "height": height})
        pages.append(page)
        page.goto(booth[1] + "/")
        back_to_idle(page)
        # The idle screen as the booth's status drew it (the template's own says nothing of the plan).
        page.wait_for_function("document.getElementById('idle-plan').textContent.length > 0")
        wait_state(page, "idle")
        page.wait_for_function("document.getElementById('preview').naturalWidth > 8", timeout=15_000)
        return page

    yield open_page
    for page in pages:
        page.close()


def back_to_idle(page) -> None:
    """Stop a session an earlier test left running (one that failed halfway) and wait out its end screen."""
    if status(page)["state"] in ("welcome", "baseline", "shooting", "review"):
        page.evaluate("Booth.post('/api/session/cancel')")
    deadline = time.monotonic() + 40
    while status(page)["state"] != "idle":
        assert time.monotonic() < deadline, f"the booth stayed {status(page)['state']} for 40 s"
        time.sleep(0.2)


def wait_state(page, state: str, seconds: float = 15) -> None:
    page.wait_for_function(
        f"document.getElementById('kiosk').dataset.state === {state!r}", timeout=seconds * 1000
    )


def check_fits(page, size: str, shot: str, state: str) -> None:
    """Assert the screen on show (in kiosk state ``state``) fits the window whole; screenshot it as
    ``<size>-<shot>.png``."""
    result = page.evaluate(FIT_CHECK)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{size}-{shot}.png"))
    assert result["state"] == state, f"expected the {state} screen, the kiosk moved on to {result['state']}"
    assert not result["problems"], f"{shot} at {size}: " + "; ".join(result["problems"])


def status(page) -> dict:
    return page.evaluate("fetch('/api/status').then((r) => r.json())")


def start_session(page, size: str) -> None:
    """Idle -> welcome -> consent, checking both screens; the recorder runs from consent on."""
    check_fits(page, size, "idle", "idle")
    page.click("#start-btn")
    wait_state(page, "welcome")
    page.wait_for_function("document.getElementById('welcome-plan').textContent.length > 0")
    check_fits(page, size, "welcome", "welcome")
    page.evaluate(RECORDER)
    page.click("#consent-btn")


def plan_rows(page) -> list[dict]:
    return page.evaluate(
        """[...document.querySelectorAll('#shotlist li')].map((li) => ({
             state: li.dataset.state, text: li.textContent,
             shown: li.getBoundingClientRect().height > 0 }))"""
    )


@pytest.mark.parametrize("size", SIZES)
def test_a_whole_session_fits_and_the_end_screen_counts(kiosk, size):
    page = kiosk(size)
    start_session(page, size)
    wait_state(page, "baseline")
    check_fits(page, size, "baseline", "baseline")
    wait_state(page, "shooting")
    check_fits(page, size, "shooting", "shooting")
    page.wait_for_selector("#kept:not([hidden])", timeout=30_000)
    page.wait_for_function("document.getElementById('kept-img').naturalWidth > 0", timeout=10_000)
    check_fits(page, size, "shooting-kept", "shooting")
    wait_state(page, "review", 30)
    page.wait_for_function(
        "document.getElementById('qr').naturalWidth > 0"
        " && document.getElementById('gallery-link').textContent.length > 0",
        timeout=10_000,
    )
    check_fits(page, size, "review", "review")

    # The end screen counts what was kept, and each look says what came of it.
    end = status(page)["session"]
    plan, photos, with_photos = end["plan"], end["photos"], end["looks_with_photos"]
    assert photos >= 1 and with_photos < len(plan), (
        f"the footage should give one kept and a missed look: {plan}"
    )
    photo_word = "photo" if photos == 1 else "photos"
    expected = f"{photos} {photo_word}, {with_photos} of {len(plan)} looks"
    assert page.locator("#done-count").inner_text() == expected
    rows = plan_rows(page)
    assert [r["state"] for r in rows] == [p["state"] for p in plan] and all(r["shown"] for r in rows)
    for row, look in zip(rows, plan, strict=True):
        if look["state"] == "missed":
            assert row["text"].endswith("no photo: we ran out of time"), row
        else:
            assert look["state"] == "done" and row["text"].endswith(f"{look['kept']} photo"), row
    assert "✓" not in page.evaluate(
        "getComputedStyle(document.querySelector('#shotlist li.missed'), '::before').content"
    )

    assert_clocks_and_baseline_as_sent(page)
    page.click("#done-btn")
    wait_state(page, "delivered")
    check_fits(page, size, "delivered", "delivered")


def assert_clocks_and_baseline_as_sent(page) -> None:
    """The look's and the session's clocks and the baseline's sentence and progress, as the page showed
    them, are the booth's own values (and the clocks ran)."""
    seen, sent = page.evaluate("window.seen"), page.evaluate("window.sent")
    for key in ("clock", "pill"):
        shown = {text for text in seen[key] if text}
        assert len(shown) >= 2, f"the {key} did not count down: {seen[key]}"
        assert shown <= set(sent[key]), (
            f"the {key} showed {sorted(shown)}, the booth sent {sorted(set(sent[key]))}"
        )
    assert sent["hint"], "the booth sent no baseline step"
    shown_hints = {text for text in seen["hint"] if text}
    assert shown_hints and shown_hints <= set(sent["hint"]), (seen["hint"], sorted(set(sent["hint"])))
    assert set(seen["progress"]) <= set(sent["progress"]) | {"0"}, (seen["progress"], sent["progress"])


@pytest.mark.parametrize("size", SIZES)
def test_a_stopped_session_fits_with_its_headline_on_screen(kiosk, size):
    page = kiosk(size)
    start_session(page, size)
    wait_state(page, "shooting")
    page.wait_for_selector("#kept:not([hidden])", timeout=30_000)  # one photo kept: the QR code shows
    page.click("#cancel-btn")
    wait_state(page, "aborted")
    page.wait_for_function("document.getElementById('qr').naturalWidth > 0", timeout=10_000)
    check_fits(page, size, "aborted", "aborted")
    assert page.locator("#done-title").inner_text() == "Session stopped"
    assert page.evaluate("document.getElementById('panel').scrollTop") == 0
    plan = status(page)["session"]["plan"]
    for row, look in zip(plan_rows(page), plan, strict=True):
        if look["state"] == "missed" and look["missed_because"] == "stopped":
            assert row["text"].endswith("no photo: the session stopped"), row
    assert any(p["missed_because"] == "stopped" for p in plan), plan


@pytest.fixture(scope="module")
def real_statuses(booth, browser) -> dict[str, dict]:
    """The booth's own status JSON on three screens of a real session (shooting with a photo kept, stopped,
    idle after), for the longest-texts checks to change a few texts of."""
    page = browser.new_page(bypass_csp=True, viewport={"width": 800, "height": 480})
    try:
        page.goto(booth[1] + "/")
        back_to_idle(page)
        page.evaluate("Booth.post('/api/session/start').then(() => Booth.post('/api/session/consent'))")
        page.wait_for_selector("#kept:not([hidden])", timeout=30_000)
        shooting = status(page)
        page.evaluate("Booth.post('/api/session/cancel')")
        wait_state(page, "aborted")
        stopped = status(page)
        back_to_idle(page)
        return {"shooting": shooting, "stopped": stopped, "idle": status(page)}
    finally:
        page.close()


def longest_shooting(real: dict) -> dict:
    """Look 4 of 5 with 2 of its 3 photos, after two missed looks and one done; every text its longest."""
    status = copy.deepcopy(real)
    states = ["missed", "missed", "done", "current", "next"]
    kept = [0, 0, 3, 2, 0]
    plan = [
        {"look": look, "shots": 3, "seconds": 25.0, "kept": n, "state": state,
         "missed_because": "time" if state == "missed" else ""}
        for look, state, n in zip(LONG_LOOKS, states, kept, strict=True)
    ]  # fmt: skip
    status["session"].update(
        looks=LONG_LOOKS, look_index=3, plan=plan, photos=5, looks_with_photos=2,
        look_seconds_left=118.2, seconds_left=143.2,
        message="Moving on from vulnerable after 25 s with 0 of 3 shots.",
    )  # fmt: skip
    status.update(target_look="approachable", scenario=LONG_SCENARIO, hint=LONG_HINT, shots_taken=5)
    status["face"] = {**(status["face"] or {"eyes_open": True, "readiness": 0.4}), "dead_gaze": True}
    return status


def longest_end(real: dict, state: str) -> dict:
    """A session ended (``state``: review or expired) with one look of five shot: the longest rows, and
    for expired the longest headline and sentence; review has the Done button."""
    status = copy.deepcopy(real)
    plan = [
        {"look": look, "shots": 3, "seconds": 25.0, "kept": 3 if look == "approachable" else 0,
         "state": "done" if look == "approachable" else "missed",
         "missed_because": "" if look == "approachable" else ("time" if i < 3 else "stopped")}
        for i, look in enumerate(LONG_LOOKS)
    ]  # fmt: skip
    status["session"].update(
        looks=LONG_LOOKS, look_index=4, plan=plan, photos=3, looks_with_photos=1,
        message="The session timed out. Photos already taken are kept at your private link."
        if state == "expired" else "Here are your best shots.",
    )  # fmt: skip
    status.update(state=state, shots_taken=3)
    return status


def answer_with(kind: str, body: str | bytes):
    """A route handler answering ``body`` (Playwright passes a handler of two parameters the request too)."""
    return lambda route: route.fulfill(status=200, content_type=kind, body=body)


def replayed_page(browser, base: str, size: str, status: dict, answers: dict | None = None):
    """The kiosk at ``size`` fed ``status`` (and nothing else) as its status events: the page's own
    rendering, on screens or texts that replayed footage does not bring about. ``answers`` maps URL
    patterns to ``(content type, body)``: what the booth would answer with delivery or the hotspot on."""
    width, height = (int(n) for n in size.split("x"))
    page = browser.new_page(bypass_csp=True, viewport={"width": width, "height": height})
    for pattern, (kind, text) in (answers or {}).items():
        page.route(pattern, answer_with(kind, text))
    # One event a stream, the stream reopened every 0.3 s: the page renders this status over and over, so
    # the preview's "Camera starting" note goes once the preview shows, as with the real feed.
    body = f"retry: 300\nevent: status\ndata: {json.dumps(status)}\n\n"
    page.route(
        "**/api/events",
        lambda route: route.fulfill(status=200, content_type="text/event-stream", body=body),
    )
    page.goto(base + "/")
    wait_state(page, status["state"])
    page.wait_for_selector(".preview-frame.live", timeout=15_000)
    # The feed ends after each event, so the page says it is reconnecting: not this test's business.
    page.add_style_tag(content="#offline { display: none !important; }")
    return page


@pytest.mark.parametrize("size", [*SIZES, UPRIGHT])
def test_the_longest_texts_and_the_fault_screen_fit(booth, browser, real_statuses, size):
    """Layout only: the booth's own statuses with the longest texts put in, and the fault screen (the camera
    never stalls on replayed footage) with the camera's stall sentence."""
    fault = {**copy.deepcopy(real_statuses["idle"]), "state": "fault"}
    fault["camera"]["fault"] = LONG_STALL
    cases = [
        ("shooting-longest", longest_shooting(real_statuses["shooting"])),
        ("review-longest", longest_end(real_statuses["stopped"], "review")),
        ("expired-longest", longest_end(real_statuses["stopped"], "expired")),
        ("fault", fault),
    ]
    for shot, status in cases:
        page = replayed_page(browser, booth[1], size, status)
        try:
            if status["state"] in ("review", "expired"):
                page.wait_for_function("document.getElementById('qr').naturalWidth > 0", timeout=10_000)
            check_fits(page, size, shot, status["state"])
        finally:
            page.close()


@pytest.mark.parametrize(
    ("seconds", "promise"),
    [
        (25.0, "5 looks, about 2 minutes"),  # 2 min 5 s
        (26.0, "5 looks, about 2 minutes"),  # 130 s: never "a minute"
        (18.0, "5 looks, about 1½ minutes"),  # 90 s
        (13.0, "5 looks, about a minute"),  # 65 s
        (10.0, "5 looks, under a minute"),  # 50 s
    ],
)
def test_idle_and_welcome_promise_the_time_the_shot_list_takes(tmp_path, media, browser, seconds, promise):
    session = {"shot_list": "full range", "look_seconds": seconds, "per_look": {}}
    for _proc, base, _, _ in running_booth(tmp_path, media, session=session):
        page = browser.new_page(bypass_csp=True, viewport={"width": 800, "height": 480})
        try:
            page.goto(base + "/")
            page.wait_for_function("document.getElementById('idle-plan').textContent", timeout=10_000)
            assert status(page)["plan_summary"] == {"looks": 5, "seconds": 5 * seconds}
            assert page.locator("#idle-plan").inner_text() == promise
            assert "in a minute" not in page.locator(".screen[data-screen='idle']").inner_text()
            page.click("#start-btn")
            wait_state(page, "welcome")
            assert page.locator("#welcome-plan").inner_text() == promise
            page.click("#decline-btn")
            wait_state(page, "idle")
        finally:
            page.close()


#: A presigned link as long as SigV4 makes them: the kiosk must never print it (the QR code carries it).
CLOUD_LINK = (
    "https://s3.eu-central-003.backblazeb2.com/studio-photos/booth/Qm9vdGgtc2Vzc2lvbi1mb2xkZXI/index.html"
    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=0031234567890abcdef%2F20260101%2Feu-central-003"
    "%2Fs3%2Faws4_request&X-Amz-Date=20260101T120000Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=" + "0123456789abcdef" * 4
)
LONG_PAUSE = "paused by the operator: the studio is closed for lunch until two o'clock"


def end_variants(real: dict) -> list[tuple[str, dict, dict, dict]]:
    """The end screen as delivery and the hotspot change it: ``(shot, status, answers, expected)`` where
    ``expected`` says which of its parts show (read off the page after it rendered)."""
    token = real["session"]["token"]
    lan = f"http://10.42.0.1:8080/g/{token}"
    two = longest_end(real, "review")  # the Done button too: the tallest end screen

    def links(lan: str | None, wifi: bool) -> tuple[str, str]:
        return ("application/json", json.dumps({"lan": lan, "cloud": None, "wifi": wifi}))

    hotspot = {
        f"**/kiosk/link/{token}": links(lan, True),
        "**/kiosk/wifi.svg": ("image/svg+xml", qr_svg(wifi_join_text("HeadshotBooth", "correct horse"))),
    }
    pending = longest_end(real, "review")
    pending["state"] = "delivered"
    pending["session"]["link"] = {"state": "failing", "link": CLOUD_LINK, "error": "bucket down"}
    with_lan = {f"**/kiosk/link/{token}": links(lan, False)}
    saved = longest_end(real, "review")
    nothing = {f"**/kiosk/link/{token}": links(None, False)}
    done = longest_end(real, "review")
    done["state"] = "delivered"
    done["session"]["link"] = {"state": "done", "link": CLOUD_LINK, "error": ""}
    return [
        ("review-two-qr", two, hotspot, {"qr": True, "wifi": True, "saved": False, "note": "", "link": lan}),
        ("delivered-pending", pending, with_lan,
         {"qr": True, "wifi": False, "saved": False, "note": "Your link will work in a minute.",
          "link": f"Now on the booth's network: {lan}"}),
        ("delivered-cloud", done, with_lan,
         {"qr": True, "wifi": False, "saved": False, "note": "", "link": ""}),
        ("review-no-qr", saved, nothing, {"qr": False, "wifi": False, "saved": True, "note": "", "link": ""}),
    ]  # fmt: skip


END_PARTS = """() => ({
  qr: !document.getElementById("qr-card").hidden, wifi: !document.getElementById("wifi-card").hidden,
  saved: !document.getElementById("no-link").hidden, note: document.getElementById("qr-note").textContent,
  link: document.getElementById("gallery-link").textContent,
  src: document.getElementById("qr").getAttribute("src") || "" })"""


def settled_parts(page, expected: dict) -> dict:
    """The end screen's parts once they read as ``expected`` (or as they are after 10 s): the QR code may
    load before the answer of ``/kiosk/link`` that fills the texts arrives, so no one moment is the one."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    wanted = json.dumps(expected)
    check = f"(() => {{ const p = ({END_PARTS})(); delete p.src; const w = {wanted};"
    check += " return Object.keys(w).every((k) => p[k] === w[k]); })()"
    with contextlib.suppress(PlaywrightTimeout):  # the assert that follows says which part differs
        page.wait_for_function(check, timeout=10_000)
    return page.evaluate(END_PARTS)


@pytest.mark.parametrize("size", [*SIZES, UPRIGHT])
def test_the_end_screens_of_delivery_and_the_hotspot_fit(booth, browser, real_statuses, size):
    """Two QR codes (the hotspot's Wi-Fi, then the gallery), the cloud link still uploading (its QR code,
    "will work in a minute", the booth's link as text), the cloud link done, and no link a phone can open
    (no QR code, only the sentence): each says what it should and fits."""
    for shot, status, answers, expected in end_variants(real_statuses["stopped"]):
        page = replayed_page(browser, booth[1], size, status, answers)
        try:
            if expected["qr"]:
                page.wait_for_function("document.getElementById('qr').naturalWidth > 0", timeout=10_000)
            if expected["wifi"]:
                page.wait_for_function("document.getElementById('wifi-qr').naturalWidth > 0", timeout=10_000)
            if expected["saved"]:
                page.wait_for_selector("#no-link:not([hidden])", timeout=10_000)
            parts = settled_parts(page, expected)
            src = parts.pop("src")
            assert parts == expected, shot
            if expected["qr"]:
                cloud = bool(status["session"].get("link"))
                assert src.endswith("?as=cloud" if cloud else "?as=lan"), (shot, src)
            if expected["wifi"]:
                labels = page.locator("#qr-cards .qr-lead").all_inner_texts()
                assert labels == ["1. Join the booth's Wi-Fi", "2. Open your photos"], labels
            if expected["saved"]:
                assert page.locator("#no-link").inner_text() == (
                    "Your photos are saved. The studio will send you the link."
                )
                assert page.locator("#review-note").inner_text() == ""
            check_fits(page, size, shot, status["state"])
        finally:
            page.close()


@pytest.mark.parametrize("size", [*SIZES, UPRIGHT])
def test_a_paused_booth_says_so_and_offers_no_start(booth, browser, real_statuses, size):
    status = {**copy.deepcopy(real_statuses["idle"]), "paused": LONG_PAUSE}
    page = replayed_page(browser, booth[1], size, status)
    try:
        page.wait_for_function("document.getElementById('start-btn').hidden", timeout=10_000)
        assert page.locator("#idle-title").inner_text() == "This booth is paused"
        assert page.locator("#paused-reason").inner_text() == LONG_PAUSE[0].upper() + LONG_PAUSE[1:] + "."
        assert not page.locator("#start-btn").is_visible() and not page.locator("#idle-plan").is_visible()
        assert page.locator("#state-pill").inner_text() == "Paused"
        check_fits(page, size, "idle-paused", "idle")
    finally:
        page.close()

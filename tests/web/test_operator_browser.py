"""The operator's dashboard in a real headless Chromium, against ``booth run`` in a subprocess.

Mocked only at the hardware boundaries (``--camera replay:single_face.mp4 --pins mock``): the trigger, the
session, the shutter's pulses (gpiozero's mock pins, timed) and the page's JavaScript are the real ones. At
the two screens an operator uses beside the booth, 1280x800 (a laptop) and 1024x600 (a small tablet): the
trigger and the session in words, only the buttons the state allows, the recent fires with their times and
whole, the shutter's count reconciled with the photos, and Delete's confirmation where the page lands.
Screenshots go to ``/tmp/w/shots/operator/`` (and ``test-artifacts/web/``).
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from browser_helpers import ARTIFACTS, BROWSER
from web_helpers import get_json, running_booth

from booth.policy import TriggerState
from booth.service.pace import WINDOW_S as PACE_WINDOW_S
from booth.service.pace import AnalysisPace

SHOTS = Path("/tmp/w/shots/operator")
PASSWORD = "studio-password-3"
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 1024, "height": 600}
SIZES = [pytest.param(LAPTOP, id="1280x800"), pytest.param(TABLET, id="1024x600")]
#: An identifier as the status JSON spells it ("not_the_look", "multiple_faces"): never on the page.
SNAKE = re.compile(r"\b[A-Za-z0-9]+_[A-Za-z0-9_]+\b")
#: The dashboard's texts that speak of the session and the trigger, recorded on every change.
WATCHED = ("op-state", "op-target", "op-plan", "op-trigger", "op-fires", "op-discards")
RECORDER = """(ids) => {
  window.seenTexts = [];
  for (const id of ids) {
    const el = document.getElementById(id);
    const note = () => window.seenTexts.push([id, el.hidden ? "" : el.textContent]);
    note();
    const what = { childList: true, characterData: true, subtree: true, attributes: true };
    new MutationObserver(note).observe(el, what);
  }
}"""
#: The fires the page lists: each one's time (text and ISO datetime) and its pulses' lines.
FIRES = """() => [...document.querySelectorAll('#op-pulse-list li.fire')].map((li) => ({
  fire: li.dataset.fire,
  time: li.querySelector('time').textContent,
  at: Date.parse(li.querySelector('time').dateTime) / 1000,
  lines: [...li.querySelectorAll('.pulse')].map((s) => s.dataset.line),
}))"""

pytestmark = BROWSER


@pytest.fixture(scope="module")
def booth(tmp_path_factory, media):
    yield from running_booth(tmp_path_factory.mktemp("operator-run"), media)


def shot(page, name: str) -> None:
    """A screenshot of the viewport (what the operator sees), in both folders."""
    for folder in (SHOTS, ARTIFACTS):
        folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    shutil.copyfile(SHOTS / f"{name}.png", ARTIFACTS / f"operator-{name}.png")


def dashboard(browser, base: str, viewport: dict):
    """A new browser page on the dashboard, logged in (setting the password on the booth's first run)."""
    page = browser.new_page(bypass_csp=True, viewport=viewport)
    page.goto(base + "/operator")
    if "/operator/setup" in page.url:
        page.fill("#password", PASSWORD)
        page.fill("#confirm", PASSWORD)
        page.click("#setup-form button[type=submit]")
    elif "/operator/login" in page.url:
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
    page.wait_for_selector("#op-state")
    # The first status event has been drawn once the camera facts are the live ones.
    page.wait_for_function("document.querySelectorAll('#op-camera dd').length >= 5", timeout=15_000)
    return page


def wait_state(page, state: str, timeout: float = 20_000) -> None:
    page.wait_for_function(
        "(s) => document.getElementById('op-state').dataset.state === s", arg=state, timeout=timeout
    )


def visible_buttons(page) -> set[str]:
    return {b for b in ("op-start", "op-cancel", "fire-btn") if page.locator(f"#{b}").is_visible()}


def snake_cased(page) -> list[tuple[str, str]]:
    return [(i, t) for i, t in page.evaluate("window.seenTexts") if SNAKE.search(t)]


def wait_idle(base: str, seconds: float = 30.0) -> None:
    """Until the booth is idle (an ended session's screen has gone): only then may it be deleted."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if get_json(base + "/api/status")[1].get("state") == "idle":
            return
        time.sleep(0.2)
    raise AssertionError(f"the booth was not idle within {seconds} s")


@pytest.mark.parametrize("viewport", SIZES)
def test_idle_names_no_look_and_offers_only_start(booth, browser, viewport):
    _proc, base, _, _ = booth
    wait_idle(base)
    page = dashboard(browser, base, viewport)
    wait_state(page, "idle")
    page.evaluate(RECORDER, list(WATCHED))
    page.wait_for_timeout(1500)  # a few status events
    assert visible_buttons(page) == {"op-start"}
    assert page.locator("#op-target").inner_text() == "No session"
    # What Start would run is the shot list, not a look the booth waits for.
    assert re.fullmatch(r"demo: approachable \(1 look, \d+ s\)", page.locator("#op-plan").inner_text())
    assert page.locator("#op-trigger").inner_text() == "Not shooting: no session"
    assert page.locator("#op-state").inner_text() == "Idle"
    assert snake_cased(page) == []
    # The actions are in view without scrolling, also on the small screen.
    box = page.locator("#op-start").bounding_box()
    assert box and box["y"] + box["height"] <= viewport["height"], box
    shot(page, f"idle-{viewport['width']}")
    page.close()


def test_every_trigger_state_reads_as_a_sentence(booth, browser):
    """Each state the policy has (and one it does not) becomes words; none is shown as its identifier."""
    _proc, base, _, _ = booth
    page = dashboard(browser, base, LAPTOP)
    states = [s.value for s in TriggerState] + ["brand_new_state"]
    texts = page.evaluate(
        """(states) => states.map((state) => window.OperatorText.triggerText({
          state: "shooting", target_look: "warm_smile", face: { looks: { warm_smile: 0.12 } },
          trigger: { state, look: "warm_smile", score: 0.12, threshold: 0.6, progress: 0.4,
                     reason: { not_engaged: "eyes closed", brand_new_state: "why_not" }[state] || "",
                     manual: false },
        }))""",
        states,
    )
    said = dict(zip(states, texts, strict=True))
    assert said["not_the_look"] == "Waiting for warm smile: 0.12 of 0.60"
    assert said["almost"] == "Holding warm smile: 40%"
    assert said["not_engaged"] == "Eyes closed"
    assert said["firing"] == "Fired on warm smile (0.12)"
    assert said["brand_new_state"] == "Brand new state: why not"
    assert [t for t in texts if SNAKE.search(t) or not t[:1].isupper()] == []
    page.close()


def test_the_analysis_rate_says_when_an_empty_booth_rests_on_purpose(booth, browser):
    """The booth's own status (its clip always shows a face: never in standby) drawn as is, then as an
    empty booth in standby sends it (booth/service/standby.py; tests/service run one on a faceless clip):
    the low rate is marked as standby, not left to read as a slow booth."""
    _proc, base, _, _ = booth
    page = dashboard(browser, base, LAPTOP)
    status = get_json(base + "/api/status")[1]
    assert status["analysis_standby"] is False
    page.wait_for_function("/\\d fps$/.test(document.getElementById('op-fps').textContent)", timeout=15_000)
    resting = {**status, "analysis_fps": 4.96, "analysis_standby": True}
    texts = page.evaluate("(s) => s.map(window.OperatorText.analysisText)", [status, resting])
    assert re.fullmatch(r"\d+\.\d fps", texts[0]), texts
    assert texts[1] == "5.0 fps · standby: nobody in view"
    page.close()


def slow_booths_warning() -> str:
    """The words booth/service/pace.py gives a booth analysing 8 of the camera's 30 frames a second."""
    pace = AnalysisPace(0.0)
    for second in range(1, int(PACE_WINDOW_S) + 2):
        for _ in range(8):
            pace.analysed()
        pace.tick(float(second), 30.0, 30.0)
    assert pace.pace.warning
    return pace.pace.warning


def test_a_slow_analysis_shows_its_banner_and_the_next_status_takes_it_away(booth, browser):
    """The warning booth/service/pace.py writes (tests/service test a slow booth raising it), drawn from a
    status as the booth sends it: in words as written and in view; and gone with the next status of a
    booth that keeps up (this one: the replayed clip on this machine)."""
    _proc, base, _, _ = booth
    page = dashboard(browser, base, TABLET)
    assert page.locator("#pace-warning").is_hidden()
    warning = slow_booths_warning()
    draw = """(w) => window.OperatorRender.pace({ analysis_warning: w })"""
    # With the event stream held off, nothing but this status is drawn: what the operator would see.
    page.route("**/api/events", lambda route: route.abort())
    page.reload()
    page.wait_for_selector("#op-state")
    page.evaluate(draw, warning)
    banner = page.locator("#pace-warning")
    assert banner.is_visible()
    assert page.locator("#pace-text").inner_text() == warning[0].upper() + warning[1:] + "."
    box = banner.bounding_box()
    assert box and box["y"] + box["height"] <= TABLET["height"] and box["width"] <= TABLET["width"], box
    shot(page, "pace-warning-1024")
    # The stream back: the booth's next status (no warning) clears it.
    page.unroute("**/api/events")
    page.reload()
    page.wait_for_function("document.querySelectorAll('#op-camera dd').length >= 5", timeout=15_000)
    page.evaluate(
        """(w) => { window.OperatorRender.pace({ analysis_warning: w });
                    document.addEventListener("booth-status", (e) => {
                      if (e.detail.analysis_warning === null) window.paceCleared = true; }); }""",
        warning,
    )
    page.wait_for_function("window.paceCleared === true", timeout=15_000)
    assert banner.is_hidden()
    page.close()


def test_a_session_from_start_to_delete(booth, browser):
    """Start, consent, fire by hand, stop and delete, as the operator does it at 1280x800 and sees at
    1024x600: the buttons follow the state, fires are listed whole with their times, the count
    reconciles, and the deletion is confirmed where the page lands."""
    _proc, base, _, _ = booth
    wait_idle(base)
    page = dashboard(browser, base, LAPTOP)
    # Room for several fires in the one look (the shipped quick list keeps one photo, then reviews).
    page.fill("input[name='session.shots_per_look']", "20")
    page.click("#save-settings")
    page.wait_for_selector(".flash-msg.ok")
    page.wait_for_function("document.querySelectorAll('#op-camera dd').length >= 5", timeout=15_000)
    page.evaluate(RECORDER, list(WATCHED))
    fires_before = len(page.evaluate(FIRES))

    page.click("#op-start")
    wait_state(page, "welcome")
    assert visible_buttons(page) == {"op-cancel"}
    assert "approachable" not in page.locator("#op-target").inner_text()
    page.evaluate("Booth.post('/api/session/consent')")  # the sitter's tap on the kiosk
    wait_state(page, "shooting")
    page.wait_for_function("!document.getElementById('fire-btn').hidden")
    assert visible_buttons(page) == {"op-cancel", "fire-btn"}
    assert page.locator("#op-target").inner_text().startswith("Approachable (look 1 of 1")

    fired_by_hand = 3
    for _ in range(fired_by_hand):
        page.click("#fire-btn")
        page.wait_for_timeout(700)  # the focus lead and the pulse, then the next fire
    # Every fire's sequence has ended (focus released) and the status carried it to the page.
    page.wait_for_function(
        """(n) => { const f = [...document.querySelectorAll('#op-pulse-list li.fire')];
          return f.length >= n && f.every((li) => li.querySelector('[data-line=focus]')); }""",
        arg=min(fires_before + fired_by_hand, 6),
        timeout=10_000,
    )
    listed = page.evaluate(FIRES)
    now = time.time()
    for fire in listed:
        # Whole: the focus half-press and its shutter pulse(s), never one without the other.
        assert fire["lines"].count("focus") == 1 and fire["lines"].count("shutter") >= 1, fire
        assert re.fullmatch(r"\d{1,2}:\d{2}:\d{2}( [AP]M)?", fire["time"]), fire
        assert abs(now - fire["at"]) < 120, fire  # the wall-clock time of the fire, not a monotonic one
    assert [int(f["fire"]) for f in listed] == sorted((int(f["fire"]) for f in listed), reverse=True)

    # The shutter's count: every fire ended kept or discarded, and the page says so.
    page.wait_for_function(
        """() => { const m = /^Fired (\\d+) times? this session: (\\d+) kept, (\\d+) discarded/
            .exec(document.getElementById('op-fires').textContent);
          return m && Number(m[1]) >= 1 && Number(m[2]) + Number(m[3]) === Number(m[1]); }""",
        timeout=15_000,
    )
    status = get_json(base + "/api/status")[1]
    shutter = status["shutter"]
    assert shutter["fires"] >= fired_by_hand and shutter["kept"] + shutter["discarded"] == shutter["fires"]
    assert re.search(r"^\d+ this session \(\d+ since start\)$", page.locator("#op-pulses-count").inner_text())
    shot(page, "session-1280")
    page.set_viewport_size(TABLET)
    page.wait_for_timeout(300)
    shot(page, "session-1024")
    page.locator("#op-hardware").scroll_into_view_if_needed()
    shot(page, "fires-1024")
    page.set_viewport_size(LAPTOP)
    page.evaluate("window.scrollTo(0, 0)")

    assert status["state"] == "shooting", status["state"]
    page.click("#op-cancel")
    wait_state(page, "aborted")
    assert visible_buttons(page) == {"op-start"}
    assert page.locator("#op-target").inner_text().startswith("No session")
    assert snake_cased(page) == [], "the dashboard showed an identifier instead of words"
    session_id = status["session"]["id"]
    page.close()

    wait_idle(base)
    small = dashboard(browser, base, TABLET)
    small.on("dialog", lambda dialog: dialog.accept())
    small.click(f"#session-{session_id} form.confirm button")
    small.wait_for_url(re.compile(r"/operator/?#sessions$"))
    flash = small.locator("#sessions .flash-msg.ok")
    assert flash.inner_text() == f"Session {session_id} deleted."
    assert small.locator("main > .flash-msg").count() == 0, "the confirmation was put at the top of the page"
    small.wait_for_timeout(300)
    box = flash.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= TABLET["height"], box
    # Not under the sticky top bar: the point at the message's middle is the message.
    covered = small.evaluate(
        """() => { const el = document.querySelector('#sessions .flash-msg');
          const r = el.getBoundingClientRect();
          return !el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)); }"""
    )
    assert not covered, "the confirmation is hidden under the top bar"
    assert small.locator(f"#session-{session_id}").count() == 0
    shot(small, "deleted-1024")
    small.close()


def test_the_cpu_split_shows_each_stage_once_a_window_closes(booth, browser):
    """Under the timings, the booth's CPU per camera frame by stage (what ``make bench`` measures), filled
    in once the service's first 10-second window has closed."""
    _proc, base, _, _ = booth
    page = dashboard(browser, base, LAPTOP)
    try:
        page.wait_for_function(
            "document.getElementById('op-cpu').textContent.includes('total')", timeout=30_000
        )
        text = page.locator("#op-cpu").text_content() or ""
        for stage in ("conversion", "analysis", "preview", "events", "other", "total"):
            assert re.search(rf"\b{stage} \d+\.\d\b", text), (stage, text)
        page.locator("#op-cpu").scroll_into_view_if_needed()
        shot(page, "cpu-split")
    finally:
        page.close()

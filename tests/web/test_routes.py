"""Every route of the booth page through Flask's test client, against a real BoothService.

Mocked only at the hardware boundaries (replay camera of real face footage, gpiozero MockFactory pins; see
conftest.py). Photos in gallery tests are stored through the real Storage of that service.
"""

from __future__ import annotations

import io
import json
import re
import time
import tomllib
import zipfile
from html.parser import HTMLParser

import pytest
from PIL import Image
from support import wait_until
from web_helpers import csrf_of, login

from booth.web.links import qr_svg

STRANGER = {"REMOTE_ADDR": "192.168.7.50"}


def seed_session(service, looks=("approachable", "confident")) -> tuple:
    """A real stored session with one photo per look (a real face photo, real crop boxes)."""
    from booth.assets import media_path
    from booth.media import load_image

    pixels = load_image(media_path("single_face.jpg"))
    h, w = pixels.shape[:2]
    side = min(w, h) // 10 * 5  # a multiple of 5, so 4:5 is exact
    crops = {"4x5": (0, 0, side * 4 // 5, side), "1x1": (0, 0, side, side)}
    record = service.storage.start_session(list(looks), "ok")
    shots = [
        service.storage.add_shot(
            record.id, look, pixels, scores={look: 0.8}, combined=0.7, crops=crops, best=True
        )
        for look in looks
    ]
    return record, shots


# --- health, status, looks ----------------------------------------------------------------------------------


def test_healthz_reports_camera_and_advancing_frames(client):
    first = wait_until(lambda: (r := client.get("/healthz")).json["frames"] > 0 and r)
    assert first.status_code == 200
    assert set(first.json) >= {"ok", "camera", "frames", "fault"}
    assert first.json["ok"] is True and first.json["camera"] == "replay" and first.json["fault"] is None
    wait_until(lambda: client.get("/healthz").json["frames"] > first.json["frames"])


def test_healthz_is_503_when_the_camera_is_in_fault(client, service):
    service.camera.stop()  # a stopped camera is not running: not healthy
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json["ok"] is False


def test_status_has_the_stable_keys(client):
    status = wait_until(lambda: (s := client.get("/api/status").json)["face"] and s)
    for key in ("state", "target_look", "face", "shots_taken", "shutter_pulses"):
        assert key in status
    assert status["state"] == "idle"
    assert set(status["face"]) >= {"looks", "verdict"}


def test_looks_lists_the_configured_looks(client):
    looks = client.get("/api/looks").json
    assert {"approachable", "confident"} <= {look["name"] for look in looks}
    assert all(look["scenario"] for look in looks)


# --- kiosk and its actions ----------------------------------------------------------------------------------


def test_kiosk_page_has_the_parts_and_a_csrf_token(client):
    r = client.get("/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    for part in ('id="preview"', 'id="start-btn"', 'id="meter"', 'id="consent-btn"', 'id="qr"', "kiosk.js"):
        assert part in html
    assert "Content-Security-Policy" in r.headers
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_start_consent_cancel_through_the_api(client, service):
    token = csrf_of(client)
    headers = {"X-CSRF-Token": token}
    r = client.post("/api/session/start", headers=headers)
    assert r.status_code == 200 and r.json["state"] == "welcome"
    again = client.post("/api/session/start", headers=headers)
    assert again.status_code == 409 and "already running" in again.json["error"]
    r = client.post("/api/session/consent", headers=headers)
    assert r.status_code == 200 and r.json["state"] in ("baseline", "shooting")
    assert r.json["session"]["token"]  # the kiosk (loopback) sees the gallery token
    r = client.post("/api/session/cancel", headers=headers)
    assert r.status_code == 200 and r.json["state"] == "aborted"


def test_a_stranger_never_sees_the_gallery_token(client, app):
    headers = {"X-CSRF-Token": csrf_of(client)}
    client.post("/api/session/start", headers=headers)
    client.post("/api/session/consent", headers=headers)
    stranger = app.test_client()
    status = stranger.get("/api/status", environ_base=STRANGER).json
    assert status["session"] is not None and "token" not in status["session"]
    assert "token" in client.get("/api/status").json["session"]


def test_qr_code_encodes_the_gallery_link(client, service):
    record, _ = seed_session(service)
    r = client.get(f"/kiosk/qr/{record.token}.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    answer = client.get(f"/kiosk/link/{record.token}").json
    link = answer["lan"]
    assert link.endswith(f"/g/{record.token}") and link.startswith("http")
    assert answer["cloud"] is None and answer["wifi"] is False  # delivery and the hotspot are off
    assert r.data == qr_svg(link)
    assert client.get("/kiosk/qr/" + "A" * 32 + ".svg").status_code == 404
    assert client.get("/kiosk/link/../../etc/passwd").status_code == 404


# --- streams ------------------------------------------------------------------------------------------------


def test_mjpeg_stream_sends_jpeg_frames(client):
    r = client.get("/stream.mjpg", buffered=False)
    assert r.status_code == 200 and r.mimetype == "multipart/x-mixed-replace"
    chunks = iter(r.response)
    first = next(chunks)
    assert first.startswith(b"--boothframe\r\nContent-Type: image/jpeg")
    assert b"\xff\xd8\xff" in first
    second = next(chunks)
    assert second != first  # a new frame, not the same one again
    r.close()


def test_too_many_preview_viewers_get_503_and_slots_come_back(client, app):
    limit = app.extensions["booth.slots"]["preview"].limit
    open_streams = [client.get("/stream.mjpg", buffered=False) for _ in range(limit)]
    for stream in open_streams:
        next(iter(stream.response))
    refused = client.get("/stream.mjpg")
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    for stream in open_streams:
        stream.close()
    assert app.extensions["booth.slots"]["preview"].open == 0
    again = client.get("/stream.mjpg", buffered=False)
    assert again.status_code == 200
    again.close()


def test_event_stream_sends_status_events_and_is_capped(client, app):
    r = client.get("/api/events", buffered=False)
    assert r.status_code == 200 and r.mimetype == "text/event-stream"
    chunks = iter(r.response)
    assert next(chunks).startswith(b"retry:")
    event = next(chunks).decode()
    assert event.startswith("event: status\ndata: ")
    payload = json.loads(event.split("data: ", 1)[1])
    assert payload["type"] == "status" and "state" in payload
    more = next(chunks).decode()
    assert more.startswith(("event: ", ": heartbeat"))
    slots = app.extensions["booth.slots"]["events"]
    extra = [client.get("/api/events", buffered=False) for _ in range(slots.limit - 1)]
    assert client.get("/api/events").status_code == 503
    for stream in [r, *extra]:
        stream.close()
    assert slots.open == 0


def test_streams_are_recycled(client, app, service):
    service.settings.web.stream_recycle_s = 10.0
    r = client.get("/api/events", buffered=False)
    chunks = list_until_end(r, app, seconds=15)
    assert chunks[-1].startswith(b"event: recycle")


def list_until_end(response, app, seconds):
    got = []
    deadline = time.monotonic() + seconds
    for chunk in response.response:
        got.append(chunk)
        assert time.monotonic() < deadline, "the stream was not recycled"
    response.close()
    return got


def test_streams_end_when_the_server_stops(client, app):
    r = client.get("/stream.mjpg", buffered=False)
    chunks = iter(r.response)
    next(chunks)
    app.extensions["booth.stopping"].set()
    started = time.monotonic()
    rest = list(chunks)
    assert time.monotonic() - started < 2 and len(rest) <= 2
    r.close()


# --- gallery ------------------------------------------------------------------------------------------------


def test_gallery_shows_best_shot_per_look_crops_and_downloads(client, service):
    record, shots = seed_session(service)
    page = client.get(f"/g/{record.token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Approachable" in html and "Confident" in html
    for shot in shots:
        assert f"/g/{record.token}/crop/{shot.id}/4x5.jpg" in html
    with client.get(f"/g/{record.token}/photo/{shots[0].id}.jpg?download=1") as photo:
        assert photo.status_code == 200 and photo.data == service.storage.path_of(shots[0]).read_bytes()
        assert "attachment" in photo.headers["Content-Disposition"]
    crop = client.get(f"/g/{record.token}/crop/{shots[0].id}/4x5.jpg")
    with Image.open(io.BytesIO(crop.data)) as image:
        w, h = image.size
    assert (w, h) == (shots[0].crops["4x5"][2], shots[0].crops["4x5"][3]) and w * 5 == h * 4
    square = client.get(f"/g/{record.token}/crop/{shots[0].id}/1x1.jpg?size=view")
    with Image.open(io.BytesIO(square.data)) as image:
        assert image.size[0] == image.size[1]
    with client.get(f"/g/{record.token}/photos.zip") as archive:
        assert archive.status_code == 200 and archive.mimetype == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert sum(n.startswith("originals/") and n.endswith(".jpg") for n in names) == len(shots)


def test_gallery_of_an_empty_session_says_so(client, service):
    record = service.storage.start_session(["approachable"], "ok")
    r = client.get(f"/g/{record.token}")
    assert r.status_code == 200 and "No photos" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/g/{bad}",
        "/g/{bad}/photo/{id}.jpg",
        "/g/{bad}/photos.zip",
        "/g/{token}/photo/{other}.jpg",  # a real shot of another session: guessed id
        "/g/{token}/photo/999999.jpg",
        "/g/{token}/crop/{id}/16x9.jpg",
        "/g/{token}/crop/{id}/..%2f..%2fbooth.db",
        "/g/{token}/photo/..%2f..%2fbooth.db",
        "/g/{token}/../../booth.db",
        "/g/..%2f..%2finstance%2fsecret_key",
        "/g/{token}/photo/%2e%2e%2finstance%2fsecret_key.jpg",
        "/g/{token}%00/photo/{id}.jpg",
        "/g/{short}",
        "/g/{token}/photo/-1.jpg",
        "/static/..%2f..%2fstorage.py",
        "/static/../instance/secret_key",
    ],
)
def test_file_routes_refuse_traversal_wrong_tokens_and_guessed_ids(client, service, path):
    record, shots = seed_session(service)
    _other, other_shots = seed_session(service, looks=("intense",))
    url = path.format(
        token=record.token,
        bad=record.token[:-1] + ("A" if record.token[-1] != "A" else "B"),
        short=record.token[:8],
        id=shots[0].id,
        other=other_shots[0].id,
    )
    r = client.get(url)
    assert r.status_code in (404, 400), (url, r.status_code)
    assert b"SQLite" not in r.data and service.storage.path_of(shots[0]).read_bytes() not in r.data


# --- operator: setup, login, rate limit ---------------------------------------------------------------------


def test_operator_redirects_to_setup_then_login(client, app):
    r = client.get("/operator")
    assert r.status_code == 302 and "/operator/login" in r.headers["Location"]
    assert "/operator/setup" in client.get("/operator/login").headers["Location"]
    login(client)
    assert client.get("/operator").status_code == 200
    instance = app.instance_path
    store = app.extensions["booth.passwords"].path
    assert store.stat().st_mode & 0o777 == 0o600 and str(store).startswith(instance)
    assert "correct horse" not in store.read_text()
    assert (store.parent / "secret_key").stat().st_mode & 0o777 == 0o600


def test_setup_from_another_machine_needs_the_setup_code(app):
    stranger = app.test_client()
    token = csrf_of_env(stranger, STRANGER)
    form = {"csrf_token": token, "password": "password123", "confirm": "password123"}
    r = stranger.post("/operator/setup", data=form, environ_base=STRANGER)
    assert r.status_code == 400 and not app.extensions["booth.passwords"].is_set
    form["setup_code"] = app.extensions["booth.setup_code"]
    r = stranger.post("/operator/setup", data=form, environ_base=STRANGER)
    assert r.status_code == 302 and app.extensions["booth.passwords"].check("password123")
    assert app.extensions["booth.setup_code"] is None  # one time only


def csrf_of_env(client, env) -> str:
    import re

    html = client.get("/", environ_base=env).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_setup_refuses_short_or_mismatched_passwords_and_cannot_be_redone(client, app):
    token = csrf_of(client)
    r = client.post("/operator/setup", data={"csrf_token": token, "password": "short", "confirm": "short"})
    assert r.status_code == 400 and not app.extensions["booth.passwords"].is_set
    r = client.post("/operator/setup", data={"csrf_token": token, "password": "password123", "confirm": "x"})
    assert r.status_code == 400 and not app.extensions["booth.passwords"].is_set
    login(client)
    other = app.test_client()
    token = csrf_of(other)
    r = other.post(
        "/operator/setup", data={"csrf_token": token, "password": "hijacked!!", "confirm": "hijacked!!"}
    )
    assert r.status_code == 302 and not app.extensions["booth.passwords"].check("hijacked!!")


def test_login_is_rate_limited_per_address(client, app):
    login(client)
    attacker = app.test_client()
    token = csrf_of_env(attacker, STRANGER)
    limit = app.extensions["booth.login_limiter"].attempts
    for _ in range(limit):
        r = attacker.post(
            "/operator/login", data={"csrf_token": token, "password": "guess"}, environ_base=STRANGER
        )
        assert r.status_code == 401
    r = attacker.post(
        "/operator/login",
        data={"csrf_token": token, "password": "correct horse battery"},
        environ_base=STRANGER,
    )
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert attacker.get("/operator", environ_base=STRANGER).status_code == 302  # still not logged in


def test_login_redirect_target_stays_on_the_booth(client, app):
    login(client)
    client.post("/operator/logout", data={"csrf_token": csrf_of(client)})
    token = csrf_of(client)
    r = client.post(
        "/operator/login",
        data={"csrf_token": token, "password": "correct horse battery", "next": "//evil.example/"},
    )
    assert r.status_code == 302 and "evil" not in r.headers["Location"]
    assert r.headers["Location"].endswith(("/operator", "/operator/"))


def test_logout_ends_the_operator_session(client):
    token = login(client)
    assert client.post("/operator/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/operator").status_code == 302
    assert client.get("/api/sessions").status_code == 401


# --- operator API: auth, settings, sessions, fire -----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/sessions"),
        ("get", "/api/sessions/1"),
        ("get", "/api/settings"),
        ("post", "/api/settings"),
        ("post", "/api/fire"),
        ("post", "/api/sessions/1/delete"),
        ("get", "/operator/sessions/1/export.zip"),
    ],
)
def test_operator_api_needs_login(client, method, path):
    headers = {"X-CSRF-Token": csrf_of(client)}
    r = getattr(client, method)(path, headers=headers, json={} if method == "post" else None)
    assert r.status_code in (401, 302)


def test_settings_api_validates_and_persists(client, service):
    headers = {"X-CSRF-Token": login(client)}
    r = client.post("/api/settings", headers=headers, json={"policy": {"thresholds": {"approachable": 2}}})
    assert r.status_code == 400 and r.json["fields"] == {
        "policy.thresholds.approachable": r.json["fields"]["policy.thresholds.approachable"]
    }
    assert "approachable" not in service.settings.policy.thresholds
    r = client.post("/api/settings", headers=headers, json={"polcy": {"min_frames": 5}})
    assert r.status_code == 400 and "polcy" in r.json["error"]
    r = client.post("/api/settings", headers=headers, json={"policy": {"min_frames": 6}})
    assert r.status_code == 200 and r.json["policy"]["min_frames"] == 6
    assert service.settings.policy.min_frames == 6
    assert "min_frames = 6" in (service.data_dir / "booth.toml").read_text()
    assert client.get("/api/settings").json["policy"]["min_frames"] == 6


def test_settings_form_shows_every_field_error_and_saves_nothing(client, service):
    token = login(client)
    before = service.settings.model_dump()
    form = {
        "csrf_token": token,
        "policy.thresholds.approachable": "1.5",
        "policy.min_frames": "four",
        "pins.shutter": "3",  # boot-high pin: would fire the camera at power-up
        "session.shot_list": "commercial",
    }
    r = client.post("/operator/settings", data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Enter a whole number." in html
    assert service.settings.model_dump() == before
    assert not (service.data_dir / "booth.toml").exists()
    form["policy.min_frames"] = "4"
    html = client.post("/operator/settings", data=form).get_data(as_text=True)
    assert "less than or equal to 1" in html and "would be active while the Pi boots" in html
    form.update({"policy.thresholds.approachable": "0.5", "pins.shutter": "24"})
    r = client.post("/operator/settings", data=form)
    assert r.status_code == 302 and r.headers["Location"].endswith("#settings")
    assert service.settings.policy.thresholds["approachable"] == 0.5
    assert service.settings.session.shot_list == "commercial"
    page = client.get("/operator").get_data(as_text=True)
    # The confirmation is inside Settings, where the redirect lands, not at the top of the page.
    assert page.index('id="settings"') < page.index("Settings saved.") < page.index('id="settings-form"')


def test_the_gaze_tolerance_is_the_operators_to_set(client, service):
    """Degrees around the sitter's lens direction, horizontal and vertical, on the operator page; saved,
    and held by the trigger's thresholds at once (the coaching and the trigger share them)."""
    token = login(client)
    page = client.get("/operator").get_data(as_text=True)
    assert 'name="policy.gaze_horizontal_deg"' in page and 'name="policy.gaze_vertical_deg"' in page
    assert "Gaze left/right (deg)" in page and "Gaze up/down (deg)" in page
    form = {"csrf_token": token, "policy.gaze_horizontal_deg": "1", "policy.gaze_vertical_deg": "6"}
    html = client.post("/operator/settings", data=form).get_data(as_text=True)
    assert "greater than or equal to 2" in html
    assert service.settings.policy.gaze_horizontal_deg == 7.0  # nothing saved from a bad form
    form["policy.gaze_horizontal_deg"] = "5.5"
    assert client.post("/operator/settings", data=form).status_code == 302
    assert (service.settings.policy.gaze_horizontal_deg, service.settings.policy.gaze_vertical_deg) == (
        5.5,
        6.0,
    )
    saved = (service.data_dir / "booth.toml").read_text()
    assert "gaze_horizontal_deg = 5.5" in saved and "gaze_vertical_deg = 6.0" in saved
    wait_until(lambda: service.shooter is not None and service.shooter.params.thresholds.gaze == (5.5, 6.0))


def test_the_standby_is_the_operators_to_set(client, service):
    """How soon an empty booth rests and how many frames it then analyses: on the operator page, saved, and
    taken by the analysis thread's standby at once (no restart)."""
    token = login(client)
    page = settings_form(client)
    assert (page["standby.after_s"], page["standby.fps"]) == ("30", "5")
    html = client.get("/operator").get_data(as_text=True)
    assert "Rest after (s)" in html and "Frames a second at rest" in html
    form = {"csrf_token": token, "standby.after_s": "-1", "standby.fps": "0"}
    html = client.post("/operator/settings", data=form).get_data(as_text=True)
    assert "greater than or equal to 0" in html and "greater than 0" in html
    assert service.standby.params.after_s == 30.0  # nothing taken from a bad form
    form.update({"standby.after_s": "120", "standby.fps": "2"})
    assert client.post("/operator/settings", data=form).status_code == 302
    assert (service.standby.params.after_s, service.standby.params.fps) == (120.0, 2.0)
    assert next_start(service).standby.after_s == 120.0 and next_start(service).standby.fps == 2.0


def test_sessions_list_detail_export_and_delete(client, service):
    headers = {"X-CSRF-Token": login(client)}
    record, shots = seed_session(service)
    service.storage.end_session(record.id, "delivered")
    listed = client.get("/api/sessions").json
    assert listed[0]["id"] == record.id and listed[0]["shots"] == len(shots)
    detail = client.get(f"/api/sessions/{record.id}").json
    assert [p["id"] for p in detail["photos"]] == [s.id for s in shots]
    assert client.get("/api/sessions/987654").status_code == 404
    assert client.get("/api/sessions?limit=abc").status_code == 400
    with client.get(f"/operator/sessions/{record.id}/export.zip") as export:
        assert export.status_code == 200 and zipfile.ZipFile(io.BytesIO(export.data)).namelist()
    html = client.get("/operator").get_data(as_text=True)
    assert f'id="session-{record.id}"' in html
    assert client.post(f"/api/sessions/{record.id}/delete", headers=headers).json == {"deleted": record.id}
    assert service.storage.session(record.id) is None
    assert not service.storage.path_of(shots[0]).exists()
    assert client.get(f"/g/{record.token}").status_code == 404
    assert client.post("/api/sessions/987654/delete", headers=headers).status_code == 404


def test_a_running_session_cannot_be_deleted(client, service):
    headers = {"X-CSRF-Token": login(client)}
    record = service.storage.start_session(["approachable"], "ok")
    assert client.post(f"/api/sessions/{record.id}/delete", headers=headers).status_code == 409
    r = client.post(f"/operator/sessions/{record.id}/delete", data={"csrf_token": headers["X-CSRF-Token"]})
    assert r.status_code == 302 and service.storage.session(record.id) is not None


def test_manual_fire_pulses_the_mock_shutter(client, service):
    headers = {"X-CSRF-Token": login(client)}
    wait_until(lambda: client.get("/api/status").json["face"])
    before = service.hardware.shutter.count
    r = client.post("/api/fire", headers=headers)
    assert r.status_code == 200
    wait_until(lambda: service.hardware.shutter.count > before)
    wait_until(lambda: client.get("/api/status").json["shutter_pulses"] > before)


# --- hostile requests: CSRF, sizes, malformed bodies --------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/session/start",
        "/api/session/consent",
        "/api/session/cancel",
        "/api/fire",
        "/api/settings",
        "/operator/settings",
        "/operator/logout",
        "/operator/sessions/1/delete",
        "/api/sessions/1/delete",
    ],
)
@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_post_without_the_csrf_token_is_refused_and_changes_nothing(client, service, path, token):
    login(client)
    record, _ = seed_session(service)
    service.storage.end_session(record.id, "delivered")
    headers = {} if token is None else {"X-CSRF-Token": token}
    before = (service.session.state, service.settings.model_dump(), service.hardware.shutter.count)
    r = client.post(
        path.replace("/1/", f"/{record.id}/"), headers=headers, json={"policy": {"min_frames": 9}}
    )
    assert r.status_code == 403
    assert (service.session.state, service.settings.model_dump(), service.hardware.shutter.count) == before
    assert service.storage.session(record.id) is not None
    assert client.get("/operator").status_code == 200  # still logged in: logout was refused too


def test_a_token_from_another_browser_session_is_refused(client, app, service):
    theirs = csrf_of(app.test_client())
    csrf_of(client)
    r = client.post("/api/session/start", headers={"X-CSRF-Token": theirs})
    assert r.status_code == 403 and service.session.state.value == "idle"


def test_oversized_bodies_are_refused_with_413(client, service):
    token = login(client)
    limit = service.settings.web.max_request_kb * 1024
    big = {"csrf_token": token, "policy.min_frames": "5", "pad": "x" * (limit + 10)}
    r = client.post("/operator/settings", data=big)
    assert r.status_code == 413 and service.settings.policy.min_frames != 5
    r = client.post(
        "/api/settings",
        headers={"X-CSRF-Token": token},
        data=json.dumps({"policy": {"min_frames": 5}, "pad": "x" * limit}),
        content_type="application/json",
    )
    assert r.status_code == 413 and service.settings.policy.min_frames != 5


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2, 3]", b'"policy"', b"\xff\xfe\x00garbage", b'{"policy": "min_frames=5"}', b"null"],
)
def test_malformed_json_is_refused_with_400(client, service, body):
    token = login(client)
    before = service.settings.model_dump()
    r = client.post(
        "/api/settings", headers={"X-CSRF-Token": token}, data=body, content_type="application/json"
    )
    assert r.status_code == 400 and r.json["error"]
    assert service.settings.model_dump() == before
    r = client.post(
        "/api/session/start", headers={"X-CSRF-Token": token}, data=body, content_type="application/json"
    )
    assert r.status_code == 400 and service.session.state.value == "idle"


def test_malformed_form_values_are_field_errors(client, service):
    token = login(client)
    before = service.settings.model_dump()
    for value in ("nan", "1e999x", "", "0x10", "😀"):
        r = client.post("/operator/settings", data={"csrf_token": token, "policy.min_frames": value})
        assert r.status_code == 400, value
    assert service.settings.model_dump() == before


def test_unknown_routes_and_methods(client):
    assert client.get("/nope").status_code == 404
    assert client.get("/api/nope").json["error"]
    assert client.put("/api/status").status_code in (403, 405)
    assert client.get("/api/session/start").status_code == 405


# --- who may drive a session, setup code, preview keep-alive, pins help ----------------------------------


@pytest.mark.parametrize(
    "path", ["/api/session/start", "/api/session/consent", "/api/session/cancel", "/api/session/finish"]
)
def test_a_phone_on_the_studio_network_cannot_drive_the_session(client, app, service, path):
    phone = app.test_client()
    headers = {"X-CSRF-Token": csrf_of_env(phone, STRANGER)}  # a valid token: CSRF alone is not the guard
    if path != "/api/session/start":
        assert client.post("/api/session/start", headers={"X-CSRF-Token": csrf_of(client)}).status_code == 200
    before = service.session.state
    r = phone.post(path, headers=headers, environ_base=STRANGER)
    assert r.status_code == 403 and r.json["error"]
    assert service.session.state == before


def test_a_logged_in_operator_drives_the_session_from_any_address(app, service):
    phone = app.test_client()
    csrf_of_env(phone, STRANGER)
    login(app.test_client())  # password set from the booth itself
    token = csrf_of_env(phone, STRANGER)
    form = {"csrf_token": token, "password": "correct horse battery"}
    assert phone.post("/operator/login", data=form, environ_base=STRANGER).status_code == 302
    headers = {"X-CSRF-Token": csrf_of_env(phone, STRANGER)}
    r = phone.post("/api/session/start", headers=headers, environ_base=STRANGER)
    assert r.status_code == 200 and r.json["state"] == "welcome"


def test_a_phone_cannot_fire_the_shutter(app, service):
    phone = app.test_client()
    headers = {"X-CSRF-Token": csrf_of_env(phone, STRANGER)}
    before = service.hardware.shutter.count
    r = phone.post("/api/fire", headers=headers, environ_base=STRANGER)
    assert r.status_code in (401, 403)
    time.sleep(0.3)
    assert service.hardware.shutter.count == before


def test_setup_code_has_64_bits_and_guesses_are_rate_limited(app):
    code = app.extensions["booth.setup_code"]
    assert len(code) >= 16 and int(code, 16) >= 0  # 8 random bytes as hex
    attacker = app.test_client()
    token = csrf_of_env(attacker, STRANGER)
    form = {"csrf_token": token, "password": "password123", "confirm": "password123", "setup_code": "0" * 16}
    for _ in range(app.extensions["booth.login_limiter"].attempts):
        assert attacker.post("/operator/setup", data=form, environ_base=STRANGER).status_code == 400
    form["setup_code"] = code  # even the right code waits out the limit
    r = attacker.post("/operator/setup", data=form, environ_base=STRANGER)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert not app.extensions["booth.passwords"].is_set


def test_a_stalled_preview_keeps_writing_so_a_gone_viewer_frees_its_slot(client, app, service):
    """The camera is stopped (its last frame stays): the stream still writes about every second."""
    r = client.get("/stream.mjpg", buffered=False)
    chunks = iter(r.response)
    first = next(chunks)
    service.camera.stop()
    time.sleep(0.3)
    started = time.monotonic()
    for _ in range(3):
        part = next(chunks)
        assert part.startswith(b"--boothframe\r\nContent-Type: image/jpeg") and b"\xff\xd8\xff" in part
    assert time.monotonic() - started < 5  # ~1 s apart, not silent until stream_recycle_s (20 s here)
    r.close()
    assert app.extensions["booth.slots"]["preview"].open == 0
    assert first


def test_pin_fields_say_they_need_a_restart(client):
    login(client)
    html = client.get("/operator").get_data(as_text=True)
    assert html.count("takes effect after the booth restarts") == 4


def test_the_page_says_when_a_threshold_is_near_or_above_a_looks_ceiling(client, service):
    """Saved (the value is valid), but the page says the look will barely fire, and why, in the settings."""
    token = login(client)
    page = client.get("/operator").get_data(as_text=True)
    assert "threshold-warning" not in page and '0.9 "a textbook example"' in page
    form = {"csrf_token": token, "policy.thresholds.intense": "0.97"}
    assert client.post("/operator/settings", data=form).status_code == 302
    page = client.get("/operator").get_data(as_text=True)
    assert "policy.thresholds.intense = 0.97: close to the ceiling of look &#39;intense&#39; (1.00)" in page


# --- /api/settings and the settings form: what reaches <data>/booth.toml (issue 15) ------------------------

NON_ASCII_LOOKS = (
    '[look."ö"]\nscenario = "Think of a good day."\nterm = [{ signal = "squint", weight = 1.0 }]\n\n'
    '[look."²"]\nscenario = "Think of a second one."\nterm = [{ signal = "squint", weight = 1.0 }]\n'
)


def next_start(service):
    """What the next ``booth run`` on this data folder loads (the changes file over the defaults, the looks
    it names checked), as :func:`booth.commands.run.load_settings` and BoothService do."""
    from booth import config, settings_check

    settings = config.load_layered(None, service.data_dir / "booth.toml")
    settings_check.checked_book(settings, "next start")
    return settings


class FormReader(HTMLParser):
    """The settings form's fields as a browser would send them: each input's value, each select's choice."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._inside = False
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._inside = a.get("id") == "settings-form"
        elif self._inside and tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""
        elif self._inside and tag == "select":
            self._select = a["name"]
        elif self._select and tag == "option" and "selected" in a:
            self.fields[self._select] = a["value"]

    def handle_endtag(self, tag):
        self._inside = self._inside and tag != "form"
        self._select = None if tag == "select" else self._select


def settings_form(client) -> dict[str, str]:
    reader = FormReader()
    reader.feed(client.get("/operator").get_data(as_text=True))
    assert "csrf_token" in reader.fields and "pins.shutter" in reader.fields
    return reader.fields


@pytest.mark.parametrize(
    "body",
    [
        b'{"storage": {"retention_days": Infinity}}',
        b'{"storage": {"retention_days": -Infinity}}',
        b'{"policy": {"thresholds": {"intense": NaN}}}',
        b'{"camera": {"analysis_size": [Infinity, 480]}}',
    ],
)
def test_settings_api_refuses_numbers_that_are_not_finite(client, service, body):
    """Python's JSON reads Infinity and NaN; saved, the next start would stop on the file."""
    token = login(client)
    before = service.settings.model_dump()
    r = client.post(
        "/api/settings", headers={"X-CSRF-Token": token}, data=body, content_type="application/json"
    )
    assert r.status_code == 400 and "finite number" in r.json["error"] and "\n" not in r.json["error"]
    assert service.settings.model_dump() == before
    assert not (service.data_dir / "booth.toml").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"policy": {"thresholds": {"ö": 0.5}}},
        {"policy": {"thresholds": {"²": 0.5}}},
        {"session": {"per_look": {"ö": {"shots": 2}}}},
        {"session": {"per_look": {"²": {"seconds": 5}}}},
    ],
)
def test_settings_api_refuses_a_per_look_key_that_names_no_look(client, service, body):
    token = login(client)
    r = client.post("/api/settings", headers={"X-CSRF-Token": token}, json=body)
    assert r.status_code == 400 and "unknown look" in r.json["error"] and "\n" not in r.json["error"]
    assert not (service.data_dir / "booth.toml").exists()


def test_looks_named_outside_ascii_are_saved_as_toml_the_next_start_reads(client, service, tmp_path):
    """Bare TOML keys are ASCII only: ``ö = 0.5`` is not TOML, ``"ö" = 0.5`` is."""
    looks_file = tmp_path / "looks.toml"
    looks_file.write_text(NON_ASCII_LOOKS)
    headers = {"X-CSRF-Token": login(client)}
    for body in (
        {"looks": {"file": str(looks_file)}},
        {"policy": {"thresholds": {"ö": 0.55, "²": 0.45}}},
        {"session": {"per_look": {"ö": {"shots": 2}, "²": {"seconds": 12.0}}}},
        {"session": {"custom_shot_lists": {"Größe²": ["ö", "²"]}, "shot_list": "Größe²"}},
    ):
        r = client.post("/api/settings", headers=headers, json=body)
        assert r.status_code == 200, r.json
    settings = next_start(service)
    assert settings.policy.thresholds == {"ö": 0.55, "²": 0.45}
    assert settings.session.per_look["ö"].shots == 2 and settings.session.per_look["²"].seconds == 12.0
    assert settings.session.shot_list == "Größe²"
    assert settings.session.custom_shot_lists["Größe²"] == ["ö", "²"]
    page = settings_form(client)  # the page names the new looks' thresholds, as saved
    assert page["policy.thresholds.ö"] == "0.55" and page["policy.thresholds.²"] == "0.45"


def test_the_settings_form_saves_only_the_field_changed_and_keeps_the_comments(client, service):
    """The browser sends every field (each threshold, the pins, the camera); one was changed, and only it
    reaches the changes file, beside what the operator wrote there by hand."""
    changes = service.data_dir / "booth.toml"
    changes.write_text("# Winter light -- Sam\n[storage]\nretention_days = 14.0  # the studio's rule\n")
    token = login(client)
    form = settings_form(client)
    assert form["policy.thresholds.confident"] == "0.6"  # follows the default
    form.update({"csrf_token": token, "policy.thresholds.confident": "0.55"})
    assert client.post("/operator/settings", data=form).status_code == 302
    text = changes.read_text()
    assert text.startswith("# Winter light -- Sam\n[storage]\nretention_days = 14.0  # the studio's rule\n")
    assert tomllib.loads(text) == {
        "storage": {"retention_days": 14.0},
        "policy": {"thresholds": {"confident": 0.55}},
    }
    form = {**settings_form(client), "policy.thresholds.confident": "0.6"}  # back to the default it followed
    assert client.post("/operator/settings", data=form).status_code == 302
    assert tomllib.loads(changes.read_text()) == {"storage": {"retention_days": 14.0}}
    assert "confident" not in service.settings.policy.thresholds and next_start(service)


def test_the_operator_page_opens_with_the_pace_warning_the_status_carries(client, service, monkeypatch):
    """A page loaded while the booth is slow shows the banner before its first event (operator.js keeps it
    live after); one loaded while the booth keeps up has it hidden."""
    import dataclasses

    login(client)
    page = client.get("/operator").get_data(as_text=True)
    assert re.search(r'id="pace-warning"[^>]*\bhidden\b', page)
    slow = "the analysis keeps 8.0 frames/s over the last 30 s, under the 15 the trigger is built for"
    real = service.status
    monkeypatch.setattr(service, "status", lambda: dataclasses.replace(real(), analysis_warning=slow))
    page = client.get("/operator").get_data(as_text=True)
    assert not re.search(r'id="pace-warning"[^>]*\bhidden\b', page)
    assert "The analysis keeps 8.0 frames/s over the last 30 s" in page

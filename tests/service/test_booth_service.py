"""The running booth on the replay camera (real footage, real models) with gpiozero mock pins.

Mocked only at the hardware boundary: MockFactory pins, and the replay camera for the Pi camera.
"""

from __future__ import annotations

import re
import threading
import time
import tomllib

import pytest
import support
from gpiozero.pins.mock import MockFactory, MockPWMPin
from support import wait_until

from booth import config
from booth.errors import BoothError
from booth.hardware import Hardware
from booth.service import BoothService


@pytest.fixture
def service(tmp_path, models, media):
    settings = config.Settings()
    hardware = Hardware(settings.pins, pin_factory=MockFactory(pin_class=MockPWMPin))
    svc = BoothService(
        settings, tmp_path, hardware=hardware, models=models, camera_spec=f"replay:{media('single_face.mp4')}"
    )
    svc.start()
    yield svc
    svc.stop()


def wait_for(subscription, kind: str, seconds: float) -> dict | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        event = subscription.get(0.5)
        if event and event.kind == kind:
            return event.for_listener(trusted=True)
    return None


def test_session_keeps_a_shot_with_its_files(service):
    assert service.start_session("commercial").to_json()["state"] == "welcome"
    with service.subscribe() as events:
        assert service.consent().to_json()["state"] in ("baseline", "shooting")
        shot = wait_for(events, "shot", 20)
    assert shot is not None and shot["look"] == "approachable"
    time.sleep(0.6)  # the external camera's focus lead, then the shutter pulse
    status = service.status().to_json()
    assert status["shots_taken"] == 1 and status["shutter_pulses"] >= 1
    record = service.storage.session_by_token(shot["session_token"])
    (kept,) = service.storage.gallery(record.token)
    assert service.storage.path_of(kept).stat().st_size > 10_000
    assert set(kept.crops) >= {"4x5", "1x1"}
    # The still's signals, as the looks scored them, kept for a refit from the photographer's marks.
    assert kept.signals is not None and {"smile", "smiling"} <= set(kept.signals) and kept.mark is None


def test_status_and_health_while_running(service):
    time.sleep(1.0)
    health = service.health()
    assert health.to_json() == {"ok": True, "camera": "replay", "frames": health.frames, "fault": None}
    assert health.frames > 0
    status = service.status().to_json()
    assert status["state"] == "idle" and status["camera"]["kind"] == "replay"
    assert status["gpio"]["is_mock"] is True
    assert service.preview_jpeg()[1][:2] == b"\xff\xd8"


def test_second_session_is_refused_while_one_runs(service):
    service.start_session()
    with pytest.raises(BoothError, match="already running"):
        service.start_session()
    assert service.cancel_session().to_json()["state"] == "idle"


def test_settings_are_validated_and_persisted(tmp_path, service):
    service.config_path = tmp_path / "booth.toml"
    service.update_settings({"policy": {"default_threshold": 0.7}})
    assert config.load(service.config_path).policy.default_threshold == 0.7
    with pytest.raises(config.ConfigError, match="default_threshold"):
        service.update_settings({"policy": {"default_threshold": 7}})
    assert service.settings.policy.default_threshold == 0.7


# --- the page's view of a session (status), its end, and the Done button ---------------------------------

#: One look, one shot, a short end screen: a whole session fits in a few seconds of the replayed clip.
QUICK = {**support.QUICK, "session": {**support.QUICK["session"], "end_screen_seconds": 1.0}}


def count_calls(monkeypatch, obj, name: str) -> list:
    """Record the calls of ``obj.name`` and still run the real method."""
    calls: list = []
    real = getattr(obj, name)

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(obj, name, spy)
    return calls


def test_status_has_the_session_from_the_welcome_screen_on(service):
    assert service.status().to_json()["session"] is None
    status = service.start_session("commercial").to_json()
    session = status["session"]
    seconds = service.settings.session.look_seconds
    assert {k: session[k] for k in ("id", "token", "preset", "looks", "look_index", "message")} == {
        "id": None,
        "token": None,
        "preset": "commercial",
        "looks": ["approachable", "confident"],
        "look_index": None,
        "message": "",
    }
    assert session["consent_text"] == service.settings.session.consent_text
    plan = [(p["look"], p["state"]) for p in session["plan"]]
    assert plan == [("approachable", "next"), ("confident", "next")]
    assert (session["photos"], session["seconds_total"], session["seconds_left"]) == (0, 2 * seconds, None)
    # What the next Start runs stays the operator's own shot list; this preset was for this session only.
    assert status["plan_summary"] == {"looks": 5, "seconds": 5 * seconds}
    status = service.consent().to_json()
    session = status["session"]
    record = service.storage.session(session["id"])
    assert record is not None and session["token"] == record.token
    # The baseline step is really shown, also on replayed footage: it waits for a rest face.
    assert status["state"] == "baseline" and session["look_index"] is None
    assert session["baseline"]["seconds_left"] > 0 and 0 <= session["baseline"]["progress"] <= 1
    # The preset was for this session only: the operator's settings still name their own shot list.
    assert service.settings.session.shot_list == "full range"
    assert service.cancel_session().to_json()["session"]["message"].startswith("The session was stopped.")


def test_a_whole_session_ends_once_and_idle_forgets_its_token(make_service, monkeypatch):
    service = make_service(config.validate(QUICK))
    ended = count_calls(monkeypatch, service.storage, "end_session")
    with pytest.raises(BoothError, match="nothing to finish"):
        service.finish()
    service.start_session()
    with service.subscribe() as events:
        token = service.consent().to_json()["session"]["token"]
        shot = wait_for(events, "shot", 20)
    assert shot is not None and shot["session_token"] == token
    status = wait_until(lambda: (s := service.status().to_json())["state"] == "review" and s, 5, "review")
    assert status["session"]["token"] == token and status["last_shot"]["session_token"] == token
    delivered = service.finish().to_json()
    assert delivered["state"] == "delivered"
    assert delivered["session"]["token"] == token and delivered["last_shot"]["session_token"] == token
    assert delivered["session"]["message"].startswith("All done")
    record = service.storage.session_by_token(token)
    assert record.status == "delivered" and ended == [(record.id, "delivered")]
    idle = wait_until(lambda: (s := service.status().to_json())["state"] == "idle" and s, 5, "back to idle")
    assert idle["session"] is None and idle["last_shot"] is None and token not in repr(idle)
    service.stop()
    assert ended == [(record.id, "delivered")]  # stopping later does not end it again


def test_stopping_mid_session_ends_the_stored_session_once(make_service, monkeypatch):
    service = make_service(config.validate(QUICK))
    ended = count_calls(monkeypatch, service.storage, "end_session")
    service.start_session()
    session_id = service.consent().to_json()["session"]["id"]
    service.stop()
    service.stop()
    assert ended == [(session_id, "aborted")]
    assert service.storage.session(session_id).status == "aborted"


def test_the_hardware_button_starts_and_a_hold_cancels(make_service):
    """The start button on mock pins (gpiozero MockFactory): press and release starts, holding cancels."""
    settings = config.validate({**QUICK, "pins": {"hold_s": 0.3, "bounce_ms": 0}})
    service = make_service(settings)
    pin = service.pin_factory.pin(settings.pins.button)
    pin.drive_low()
    pin.drive_high()
    wait_until(lambda: service.status().to_json()["state"] == "welcome", 5, "the button to start a session")
    pin.drive_low()
    time.sleep(0.6)
    pin.drive_high()
    wait_until(lambda: service.status().to_json()["state"] == "idle", 5, "holding the button to cancel")


def test_status_counts_the_stored_sessions(service):
    before = service.status().to_json()["storage"]["sessions"]
    assert before == 0
    service.start_session()
    service.consent()
    assert service.status().to_json()["storage"]["sessions"] == 1
    service.cancel_session()
    service.start_session()  # straight from the end screen: the next sitter
    assert service.consent().to_json()["storage"]["sessions"] == 2


def test_status_is_one_consistent_snapshot_on_any_thread(service):
    """Many readers while sessions start, get consent and stop: no status mixes two states."""
    seen: list[dict] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(service.status().to_json())

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for _ in range(4):
            service.start_session()
            service.consent()
            service.cancel_session()
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert {s["state"] for s in seen} >= {"idle", "aborted"}
    for status in seen:
        session = status["session"]
        if status["state"] == "idle":
            assert session is None and status["last_shot"] is None
        elif status["state"] == "welcome":
            assert session["token"] is None and session["id"] is None
        else:
            assert session["token"] is not None and session["id"] is not None
    first = service.status().to_json()
    first["camera"]["kind"] = "changed"
    first["storage"].clear()
    again = service.status().to_json()
    assert again["camera"]["kind"] == "replay" and again["storage"]["sessions"] == 4


# --- settings ----------------------------------------------------------------------------------------------


def test_settings_merge_deeply_and_only_the_operators_changes_reach_the_file(make_service, tmp_path):
    path = tmp_path / "booth.toml"
    path.write_text(
        '[policy.thresholds]\nconfident = 0.6\nplayful = 0.55\n\n[session]\nshot_list = "commercial"\n'
    )
    loaded = config.load(path)
    # What `booth run --pins mock --camera replay:...` does: overrides that are not the file's.
    settings = loaded.model_copy(update={"pins": loaded.pins.model_copy(update={"factory": "mock"})})
    service = make_service(settings, config_path=path)
    service.update_settings({"policy": {"thresholds": {"intense": 0.5}}})
    service.update_settings({"policy": {"min_frames": 5}})
    want = {"confident": 0.6, "playful": 0.55, "intense": 0.5}
    assert service.settings.policy.thresholds == want and service.settings.policy.min_frames == 5
    assert service.shooter.params.thresholds.per_look == want
    assert service.settings.pins.factory == "mock"  # the override stays in effect...
    written = tomllib.loads(path.read_text())
    assert "pins" not in written and "camera" not in written  # ...but never reaches the file
    assert written["policy"] == {"thresholds": want, "min_frames": 5}
    assert written["session"] == {"shot_list": "commercial"}
    reloaded = config.load(path)
    assert reloaded.policy.thresholds == want and reloaded.pins.factory == "auto"
    with pytest.raises(config.ConfigError, match="thresholds"):
        service.update_settings({"policy": {"thresholds": {"intense": "high"}}})
    assert tomllib.loads(path.read_text()) == written and service.settings.policy.thresholds == want


def test_settings_change_of_the_shot_list_waits_for_the_next_session(service):
    service.start_session()
    service.consent()
    service.update_settings({"session": {"shot_list": "commercial"}})
    assert service.status().to_json()["session"]["preset"] == "full range"
    service.cancel_session()
    assert service.start_session().to_json()["session"]["looks"] == ["approachable", "confident"]


def test_a_new_camera_source_reopens_the_camera(service, media):
    old = service.camera
    wait_until(lambda: service.status().to_json()["face"] is not None, 10, "a face on the first clip")
    service.update_settings({"camera": {"source": f"replay:{media('no_face.mp4')}"}})
    assert service.camera is not old and not old.running
    assert service.settings.camera.source.endswith("no_face.mp4")
    wait_until(lambda: service.health().ok and service.health().frames > 5, 10, "frames from the new source")
    # The analysis loop follows the new camera: the clip without a face soon shows no face.
    wait_until(lambda: service.status().to_json()["face"] is None, 10, "analysis of the new source")
    with pytest.raises(config.ConfigError, match="source"):
        service.update_settings({"camera": {"source": "webcam"}})


# --- the Done button's route -------------------------------------------------------------------------------


def test_done_route_finishes_the_review_and_needs_the_csrf_token(make_service):
    from booth.web import create_app

    service = make_service(config.validate(QUICK))
    client = create_app(service).test_client()
    html = client.get("/").get_data(as_text=True)
    assert 'id="done-btn"' in html
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    headers = {"X-CSRF-Token": csrf}
    refused = client.post("/api/session/finish", headers=headers)
    assert refused.status_code == 409 and "nothing to finish" in refused.json["error"]
    client.post("/api/session/start", headers=headers)
    client.post("/api/session/consent", headers=headers)
    wait_until(lambda: service.status().to_json()["state"] == "review", 20, "a shot and the review")
    assert client.post("/api/session/finish").status_code == 403
    assert service.status().to_json()["state"] == "review"
    r = client.post("/api/session/finish", headers=headers)
    assert r.status_code == 200 and r.json["state"] == "delivered" and r.json["session"]["token"]


# --- faults: nothing that goes wrong in one frame or one save ends the analysis ---------------------------


def test_a_full_disk_mid_session_ends_the_session_and_the_booth_keeps_analysing(make_service, monkeypatch):
    """The disk filling up is simulated at the storage boundary (add_shot raising as on ENOSPC)."""
    from booth.errors import DiskFullError

    service = make_service(config.validate(QUICK))

    def full(*args, **kwargs):
        raise DiskFullError("only 3 MB free on /data, too little to keep another photo; free disk space")

    monkeypatch.setattr(service.storage, "add_shot", full)
    service.start_session()
    service.consent()
    status = wait_until(
        lambda: (s := service.status().to_json())["state"] == "aborted" and s, 20, "the session ends"
    )
    assert "3 MB free" in status["fault"] and "3 MB free" in status["session"]["message"]
    assert service.health().ok is False and "3 MB free" in service.health().fault
    frames = service.health().frames
    wait_until(lambda: service.health().frames > frames + 5, 5, "analysis goes on")
    assert service._analysing()
    # Back at idle the next sitter is told by the start check, not by a stale fault.
    wait_until(lambda: service.status().to_json()["state"] == "idle", 5, "the end screen returns to idle")
    assert service.status().to_json()["fault"] is None and service.health().ok is True


def test_storage_failing_even_for_events_never_stops_the_analysis(make_service, monkeypatch):
    """Storage failing outright (every write raising) at the storage boundary: the loop survives."""
    from booth.errors import StorageError

    service = make_service(config.validate(QUICK))

    def broken(*args, **kwargs):
        raise StorageError("disk I/O error on /data; check the SD card")

    service.start_session()
    service.consent()
    monkeypatch.setattr(service.storage, "add_shot", broken)
    monkeypatch.setattr(service.storage, "log_event", broken)
    monkeypatch.setattr(service.storage, "end_session", broken)
    wait_until(lambda: service.status().to_json()["state"] == "aborted", 20, "the session ends")
    frames = service.health().frames
    wait_until(lambda: service.health().frames > frames + 5, 5, "analysis goes on")
    assert service._analysing()


def test_a_bug_in_one_still_is_a_retake_not_a_stopped_session(make_service, monkeypatch):
    service = make_service(config.validate(QUICK))
    calls = []

    def odd_still(pixels, look):
        calls.append(look)
        if len(calls) == 1:
            raise ValueError("an odd still")
        return real(pixels, look)

    service.start_session()
    service.consent()
    real = service.shooter.check_still
    monkeypatch.setattr(service.shooter, "check_still", odd_still)
    wait_until(lambda: service.status().to_json()["shots_taken"] >= 1, 20, "the next try keeps a shot")
    assert service.status().to_json()["retakes"] >= 1 and service.status().to_json()["fault"] is None


def test_the_session_on_screen_cannot_be_deleted(make_service):
    from booth.errors import SessionBusy

    service = make_service(config.validate(QUICK))
    service.start_session()
    service.consent()
    record_id = wait_until(
        lambda: (s := service.status().to_json()["session"]) and s["id"], 5, "the session is stored"
    )
    service.cancel_session()
    with pytest.raises(SessionBusy, match="still on the booth's screen"):
        service.delete_session(record_id)


def test_a_camera_fault_pauses_the_session_and_recovery_resumes_it(make_service, media, tmp_path):
    """The replayed file is missing at first (the camera faults and retries), then appears."""
    import shutil

    clip = tmp_path / "later.mp4"
    settings = config.validate({**QUICK, "camera": {"retry_min_seconds": 0.2, "retry_max_seconds": 0.5}})
    service = make_service(settings, camera_spec=f"replay:{clip}")
    wait_until(
        lambda: service.status().to_json()["camera"]["fault"], 5, "the camera reports the missing file"
    )
    service.start_session()
    wait_until(
        lambda: service.status().to_json()["state"] == "fault", 5, "the session pauses on the camera fault"
    )
    assert service.health().ok is False
    shutil.copy(media("single_face.mp4"), clip)
    wait_until(
        lambda: service.status().to_json()["state"] == "welcome",
        15,
        "the session resumes when frames come back",
    )
    assert service.status().to_json()["fault"] is None


def test_a_still_with_closed_eyes_is_a_retake(make_service, media, monkeypatch):
    """A still from the crying clip (eyes shut) replaces the ring-buffer frame: the booth must not keep it."""
    from booth.media import iter_video

    closed = next(f.pixels for f in iter_video(media("WolfgangLanger_Pexels.mp4")) if f.index == 60)
    service = make_service(config.validate(QUICK))
    real_still = service.camera.still

    def eyes_shut_still(when):
        frame = real_still(when)
        return None if frame is None else type(frame)(closed, frame.timestamp, frame.sequence)

    monkeypatch.setattr(service.camera, "still", eyes_shut_still)
    service.start_session()
    service.consent()
    wait_until(lambda: service.status().to_json()["retakes"] >= 1, 20, "a retake is counted")
    wait_until(lambda: service.status().to_json()["shutter_pulses"] >= 1, 2, "the external camera fired")
    assert service.status().to_json()["shots_taken"] == 0


def test_a_new_looks_file_applies_between_sessions_only(service, tmp_path):
    looks_file = tmp_path / "looks.toml"
    looks_file.write_text(
        '[look.smize]\nscenario = "Imagine you know a secret."\n'
        'term = [{ signal = "squint", weight = 1.0, low = 0.05, high = 0.3 }]\n'
    )
    service.update_settings({"looks": {"file": str(looks_file)}})
    assert "smize" in [look["name"] for look in service.looks()]
    wait_until(
        lambda: "smize" in ((service.status().to_json()["face"] or {}).get("looks") or {}),
        5,
        "smize is scored",
    )
    service.start_session()
    with pytest.raises(BoothError, match="between sessions"):
        service.update_settings({"looks": {"file": None}})
    assert "smize" in [look["name"] for look in service.looks()]


def test_a_setting_saved_on_the_end_screen_leaves_that_screen_alone(service):
    """The end screen keeps showing the session that ended (its looks, done or missed); a setting saved
    meanwhile changes only what the next Start runs."""
    service.start_session("theatrical")
    service.consent()
    ended = service.cancel_session().to_json()
    looks_shown = [p["look"] for p in ended["session"]["plan"]]
    service.update_settings({"policy": {"cooldown_s": 1.5}})
    status = service.status().to_json()
    assert status["state"] == "aborted" and [p["look"] for p in status["session"]["plan"]] == looks_shown
    assert status["plan_summary"]["looks"] == 5  # Start runs the operator's own shot list, full range


def test_the_shutter_pulses_of_a_session_reconcile_with_its_photos(make_service):
    """A whole look on the looping replay clip (the same smile again and again): every pulse the mock pins
    gave during the session is a still kept or a still discarded with its reason, and the repeats of a kept
    smile are held back unfired rather than shot and thrown away."""
    settings = config.validate(
        {
            **QUICK,
            "session": {**QUICK["session"], "shots_per_look": 6, "look_seconds": 12.0},
            "policy": {"cooldown_s": 0.5},
        }
    )
    service = make_service(settings)
    before = service.hardware.shots
    service.start_session()
    service.consent()
    wait_until(lambda: service.status().to_json()["state"] == "review", 40, "the look to end")
    time.sleep(1.0)  # the last fire's focus lead and shutter pulse
    status = service.status().to_json()
    tally = status["shutter"]
    print("shutter account:", tally)
    assert tally["fires"] >= 1 and tally["kept"] == status["shots_taken"] >= 1
    assert tally["pulses"] == tally["kept"] + tally["discarded"]
    assert service.hardware.shots - before == tally["pulses"]
    assert all(d["reason"] for d in tally["discards"])
    assert tally["held_back"] >= 1  # the clip's smile comes round again: not fired a second time


def test_models_the_service_loads_with_a_helper_thread_charge_it_to_analysis_and_stop_with_it(
    tmp_path, media, monkeypatch
):
    """With two interpreter threads the emotion model runs on the models' helper thread. Its CPU is analysis
    in the booth's split (no other thread's clock sees it), and the service that loaded those models stops
    the helper when it stops.

    The helper's real CPU per frame is a fraction of a millisecond, too little to tell from the analysis
    thread's own; so each real step here also books a whole second on the helper's counter, and the
    analysis stage must hold every one of those seconds."""
    from booth.cpu_ledger import ANALYSIS
    from booth.shooting import Shooter

    real_step, steps = Shooter.step, []

    def step_booking_a_second(self, *args, **kwargs):
        result = real_step(self, *args, **kwargs)
        self.models.helper_cpu_seconds += 1.0
        steps.append(1)
        return result

    monkeypatch.setattr(Shooter, "step", step_booking_a_second)
    settings = config.Settings(vision=config.VisionSettings(threads=2))
    hardware = Hardware(settings.pins, pin_factory=MockFactory(pin_class=MockPWMPin))
    clip = f"replay:{media('single_face.mp4')}"
    svc = BoothService(settings, tmp_path, hardware=hardware, camera_spec=clip)
    svc.start()
    try:
        models = svc.shooter.models
        assert models.helper is not None
        wait_until(lambda: len(steps) >= 5, 60, "five analysed frames")
    finally:
        svc.stop()
    assert svc.cpu.snapshot().seconds(ANALYSIS) >= len(steps)
    assert models.helper_cpu_seconds > len(steps)  # the emotion model's own CPU on the helper, on top
    with pytest.raises(RuntimeError):  # stopped: no new work
        models.helper.submit(int)


def test_an_analysis_too_slow_for_the_trigger_warns_the_operator_until_it_keeps_up(
    make_service, monkeypatch, caplog
):
    """A slow Pi is simulated by holding each frame's analysis 0.12 s (the real analysis still runs), over
    a 2 s window instead of 30: the status carries the warning and the fleet's analysis fault, then both
    clear once the analysis keeps the camera's pace again."""
    import functools
    import logging

    from booth.fleet.payload import faults
    from booth.service import booth_service
    from booth.service.pace import AnalysisPace

    monkeypatch.setattr(booth_service, "AnalysisPace", functools.partial(AnalysisPace, window_s=2.0))
    service = make_service(config.Settings())
    shooter = service.runner.shooter
    assert shooter is not None
    real_step, slow = shooter.step, threading.Event()
    slow.set()

    def step(*args, **kwargs):
        if slow.is_set():
            time.sleep(0.12)
        return real_step(*args, **kwargs)

    monkeypatch.setattr(shooter, "step", step)
    caplog.set_level(logging.INFO, logger="booth.service.booth_service")
    warning = wait_until(lambda: service.status().analysis_warning, 20, "the pace warning")
    assert "while the camera gives" in warning and "vcgencmd get_throttled" in warning
    assert service.status().to_json()["analysis_warning"] == warning
    assert faults(service.status(), 0)["analysis"] == warning
    assert service.health().ok  # the booth works, only late: not a health fault
    slow.clear()
    wait_until(lambda: service.status().analysis_warning is None, 20, "the warning clears")
    assert service.status().analysis_fps > 15
    said = [r.getMessage() for r in caplog.records if r.name == "booth.service.booth_service"]
    assert said.count(warning) == 1  # logged once as it came, not every second
    assert any("keeps the camera's pace again" in line for line in said)


def test_an_empty_booth_rests_between_sitters_and_wakes_for_a_session(make_service, media, monkeypatch):
    """``no_face.mp4`` (23.7 frames/s, no face in any frame): after ``standby.after_s`` the booth analyses
    ``standby.fps`` frames a second, says so on the status and the fleet's, raises no pace warning (its
    window cut to 2 s, which standby's rate would fail), keeps its watchdog count moving, puts its camera at
    rest (only the frames read converted, no stills kept: tests/camera/test_picam.py has a Pi 4's camera
    doing so), and analyses every frame, converted as they come, again once a session starts."""
    import functools

    from booth.fleet.payload import Identity, faults, status_payload
    from booth.service import booth_service
    from booth.service.pace import AnalysisPace

    monkeypatch.setattr(booth_service, "AnalysisPace", functools.partial(AnalysisPace, window_s=2.0))
    settings = config.Settings(standby=config.StandbySettings(after_s=1.0, fps=4.0))
    service = make_service(settings, camera_spec=f"replay:{media('no_face.mp4')}")
    wait_until(lambda: service.status().standby, 20, "standby")
    time.sleep(2.5)  # two whole seconds of the shown rate inside standby
    status = service.status()
    assert status.standby and status.to_json()["analysis_standby"] is True
    assert 2.0 <= status.analysis_fps <= 5.5 and status.camera.fps > 20  # the camera keeps its pace
    assert status.analysis_warning is None and faults(status, 0)["analysis"] is None
    fleet = status_payload(
        status, identity=Identity("b1", "test", 60.0), min_free_mb=0, today=None, outbox=None, now=0.0
    )
    assert fleet["standby"] is True and fleet["analysis_fps"] == status.analysis_fps
    assert service.camera.resting
    frames = service.health().frames
    wait_until(lambda: service.health().frames >= frames + 4, 5, "the watchdog's count moving")
    service.start_session()
    wait_until(lambda: not service.status().standby, 5, "standby ending at Start")
    wait_until(lambda: not service.camera.resting, 5, "eager conversion in the session")
    wait_until(lambda: service.status().analysis_fps > 15, 10, "every frame analysed in the session")
    service.cancel_session()


def test_a_face_walking_in_ends_standby_at_once(make_service, media):
    """``noface_face.mov``: 3.3 s of an empty room, then a face. The booth rests after 1 s, and the first
    analysed frame with the face brings it back to every frame while the face stays."""
    settings = config.Settings(standby=config.StandbySettings(after_s=1.0, fps=4.0))
    service = make_service(settings, camera_spec=f"replay:{media('noface_face.mov')}")
    wait_until(lambda: service.status().standby, 20, "standby in the empty room")
    status = wait_until(lambda: (s := service.status()).subject is not None and s, 20, "the face walking in")
    assert not status.standby
    wait_until(lambda: service.status().analysis_fps > 15, 5, "every frame analysed with the face in view")


def test_a_session_after_standby_takes_its_stills_from_the_ring_filled_again(make_service, media):
    """At rest the camera keeps no stills (booth/camera/README.md); the session started once the sitter
    walks in has its ring again from the first frame awake: a shot by hand is kept, whole."""
    settings = config.validate({**QUICK, "standby": {"after_s": 1.0, "fps": 4.0}})
    service = make_service(settings, camera_spec=f"replay:{media('noface_face.mov')}")
    wait_until(lambda: service.status().standby, 20, "standby in the empty room")
    # Emptied by the capture thread's first frame at rest (the status says standby a frame before).
    wait_until(lambda: service.camera.still(time.monotonic()) is None, 2, "the ring emptied at rest")
    wait_until(lambda: not service.status().standby, 20, "the face walking in")
    service.start_session()
    with service.subscribe() as events:
        service.consent()
        wait_until(lambda: service.status().to_json()["state"] == "shooting", 20, "the shot list")
        service.fire()
        shot = wait_for(events, "shot", 20)
    assert shot is not None
    record = service.storage.session_by_token(shot["session_token"])
    kept = service.storage.gallery(record.token)
    assert kept and all(service.storage.path_of(photo).stat().st_size > 10_000 for photo in kept)

"""booth.service.status: the status is built by a pure function from the session, which owns the target
look, the counts and the progress; its JSON never hands a stranger a gallery token."""

from __future__ import annotations

import numpy as np

from booth.best_frame import Candidate
from booth.config import SessionSettings
from booth.service.pace import Pace
from booth.service.status import (
    BoothStatus,
    CameraStatus,
    DeliveryStatus,
    LinkStatus,
    LiveFields,
    ShotRef,
    StorageStatus,
    build_status,
)
from booth.session import Session, SessionConfig, State, Trigger

LIVE = LiveFields(CameraStatus("replay", True, None, 10, 30.0), {"factory": "mock", "is_mock": True}, 2)
STORAGE = StorageStatus(10_000, 30.0, 4)


def session_config() -> SessionConfig:
    return SessionConfig.from_settings(SessionSettings(shot_list="commercial", shots_per_look=2))


def status_of(session: Session, record: tuple[int, str] | None = None, **kw) -> BoothStatus:
    return build_status(
        session=session,
        scenarios={"approachable": "Think of a friend.", "confident": "You got the job."},
        last=None,
        subject=None,
        record=record,
        message=kw.pop("message", ""),
        retakes=0,
        fault=None,
        last_shot=kw.pop("last_shot", None),
        live=LIVE,
        pace=kw.pop("pace", Pace(29.97, None)),
        storage=STORAGE,
        **kw,
    )


def candidate(look: str) -> Candidate:
    return Candidate(look, 0.9, True, 1.0, 300.0, 0.35, np.zeros((478, 3)), {look: 0.9}, 1.0)


def test_idle_has_no_session_block_and_waits_for_the_lists_first_look():
    status = status_of(Session(session_config()))
    assert status.state is State.IDLE and status.session is None
    assert status.target_look == "approachable" and status.scenario == "Think of a friend."
    assert status.shots_taken == 0 and status.analysis_fps == 30.0 and status.shutter_pulses == 2


def test_the_session_is_read_not_copied():
    session = Session(session_config())
    for trigger in (Trigger.START, Trigger.CONSENT, Trigger.BASELINE_DONE):
        session.handle(trigger, 0.0)
    session.offer(candidate("approachable"), 1.0)
    status = status_of(session, record=(7, "tok"), message="Got approachable 1 of 2.")
    assert status.shots_taken == 1 and status.session is not None
    assert status.session.look_index == 0 and status.session.looks == ("approachable", "confident")
    assert (status.session.id, status.session.token) == (7, "tok")


def test_json_keeps_the_tokens_for_the_trusted_only():
    session = Session(session_config())
    session.handle(Trigger.START, 0.0)
    status = status_of(session, record=(7, "tok"), last_shot=ShotRef(3, "approachable", "tok"))
    full, public = status.to_json(), status.to_json(trusted=False)
    assert full["session"]["token"] == "tok" and full["last_shot"]["session_token"] == "tok"
    assert "token" not in public["session"] and "session_token" not in public["last_shot"]
    assert "tok" not in repr(public)
    assert full["state"] == "welcome" and full["camera"]["kind"] == "replay" and full["gpio"]["is_mock"]
    assert full["storage"] == {"free_bytes": 10_000, "retention_days": 30.0, "sessions": 4}


def test_the_cloud_link_and_the_buckets_error_are_for_the_trusted_only():
    session = Session(session_config())
    session.handle(Trigger.START, 0.0)
    link = LinkStatus("pending", "https://bucket/booth/SECRETFOLDER/index.html")
    error = "bucket answered 500 while checking booth/SECRETFOLDER/00001-approachable.jpg"
    status = status_of(
        session, record=(7, "tok"), delivery=DeliveryStatus(3, 1, 10, error), link=link, paused="lunch"
    )
    full, public = status.to_json(), status.to_json(trusted=False)
    assert full["session"]["link"]["link"] == link.link and full["delivery"]["error"] == error
    assert full["delivery"] == {"enabled": True, "pending": 3, "failing": 1, "done": 10, "error": error}
    assert public["delivery"] == {"enabled": True, "pending": 3, "failing": 1, "done": 10}
    assert "SECRETFOLDER" not in repr(public) and public["paused"] == "lunch"
    assert status_of(session).to_json(trusted=False)["delivery"] == {"enabled": False}


def test_live_fields_are_replaced_whole():
    status = status_of(Session(session_config()))
    later = LiveFields(CameraStatus("replay", False, "stalled", 11, 0.0), {}, 5)
    moved = status.with_live(later)
    assert moved.camera.fault == "stalled" and moved.shutter_pulses == 5 and status.shutter_pulses == 2


def test_the_pace_warning_reaches_both_jsons():
    """The operator page and the kiosk both read the status; the warning names no secret, so both get it."""
    warning = "the analysis keeps 8.0 frames/s over the last 30 s, under the 15 the trigger is built for"
    status = status_of(Session(session_config()), pace=Pace(8.04, warning))
    assert status.analysis_fps == 8.0 and status.analysis_warning == warning
    assert status.to_json()["analysis_warning"] == warning
    assert status.to_json(trusted=False)["analysis_warning"] == warning
    assert status_of(Session(session_config())).to_json()["analysis_warning"] is None


def test_standby_reaches_both_jsons_beside_the_rate():
    """An empty booth rests on purpose (booth/service/standby.py): the kiosk and the operator see so."""
    resting = status_of(Session(session_config()), pace=Pace(5.0, None), standby=True)
    assert resting.to_json()["analysis_standby"] is True
    assert resting.to_json(trusted=False)["analysis_standby"] is True
    assert status_of(Session(session_config())).to_json()["analysis_standby"] is False

"""booth.service.runner: the session's actions carried out against real storage, mock pins and the replay
camera (mocked only at the hardware boundary: gpiozero's MockFactory, the replay camera for the Pi's)."""

from __future__ import annotations

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from booth import config, looks
from booth.camera import open_camera
from booth.errors import BoothError, DiskFullError
from booth.hardware import Hardware
from booth.policy import Decision, TriggerState
from booth.service.events import EventHub
from booth.service.runner import SessionRunner
from booth.session import Session, SessionConfig, State
from booth.shooting import Shooter
from booth.storage import Storage


@pytest.fixture
def runner(tmp_path, models, media):
    settings = config.validate({"session": {"shot_list": "commercial", "shots_per_look": 1}})
    storage = Storage(tmp_path, settings.storage)
    storage.open()
    camera = open_camera(f"replay:{media('single_face.mp4')}", settings.camera).start()
    hardware = Hardware(settings.pins, pin_factory=MockFactory(pin_class=MockPWMPin))
    session = Session(SessionConfig.from_settings(settings.session))
    clock = iter(range(1, 10_000)).__next__
    runner = SessionRunner(session, storage, hardware, EventHub(), lambda: camera, lambda: float(clock()))
    runner.shooter = Shooter.from_settings(settings, looks.load(), models)
    yield runner
    camera.stop()
    hardware.close()
    storage.close()


def test_consent_opens_the_record_and_replayed_footage_skips_the_baseline(runner):
    runner.start(runner.session.config)
    assert runner.session.state is State.WELCOME and runner.record is None  # nothing stored yet
    with runner.events.subscribe() as events:
        runner.consent()
        kinds = [events.get(0.1) for _ in range(10)]
    assert runner.session.state is State.SHOOTING  # no sitter on a replay: no baseline to wait for
    assert runner.record is not None and runner.storage.session(runner.record.id).status == "active"
    actions = [e.data["action"] for e in kinds if e is not None]
    assert {"OpenSession", "StartBaseline", "LookStarted"} <= set(actions)
    assert actions.index("OpenSession") < actions.index("LookStarted")
    assert runner.message == "Look 1 of 2: approachable."


def test_a_storage_error_ends_the_session_with_its_reason(runner):
    runner.start(runner.session.config)
    runner.consent()

    def disk_full() -> None:
        raise BoothError("the disk is full (3 MB free)")

    runner.guarded("saving the shot", disk_full, retake_on_bug=True)
    assert runner.session.state is State.ABORTED and runner.fault == "the disk is full (3 MB free)"
    assert runner.storage.session(runner.record.id).status == "aborted"


def test_a_bug_while_shooting_is_a_retake_not_the_end(runner):
    runner.start(runner.session.config)
    runner.consent()
    runner.guarded("saving the shot", lambda: 1 / 0, retake_on_bug=True)
    assert runner.session.state is State.SHOOTING and runner.retakes == 1 and runner.fault is None


def test_the_next_sitter_sees_nothing_of_the_last_session(runner):
    runner.start(runner.session.config)
    runner.consent()
    runner.retakes = 2
    runner.cancel()
    assert runner.session.state is State.ABORTED and runner.record is not None  # the end screen shows it
    runner.start(runner.session.config)
    assert runner.record is None and runner.retakes == 0 and runner.message == ""


def test_finish_is_refused_outside_the_review(runner):
    with pytest.raises(BoothError, match="finish only from the review screen"):
        runner.finish()


def test_a_photo_that_could_not_be_stored_is_not_counted(runner, monkeypatch):
    runner.start(runner.session.config)
    runner.consent()
    frame = runner._camera().wait_frame(0, timeout=5)
    assert frame is not None

    def full(*args, **kwargs):
        raise DiskFullError("the disk is full (3 MB free); free some space")

    monkeypatch.setattr(runner.storage, "add_shot", full)
    shot = Decision(TriggerState.FIRING, fire=True, look="approachable", peak_timestamp=frame.timestamp)
    runner.guarded("saving the shot", lambda: runner.shoot(shot, manual=True), retake_on_bug=True)
    assert runner.session.state is State.ABORTED and runner.session.progress().shots_kept == 0
    assert runner.fault and "disk is full" in runner.fault and runner.last_shot is None

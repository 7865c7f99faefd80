"""booth.service.runner: the session's actions carried out against real storage, mock pins and the replay
camera (mocked only at the hardware boundary: gpiozero's MockFactory, the replay camera for the Pi's)."""

from __future__ import annotations

import time

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin
from support import wait_until

from booth import config, looks
from booth.camera import open_camera
from booth.errors import BoothError, DiskFullError
from booth.hardware import Hardware
from booth.policy import Decision, TriggerState
from booth.service.events import EventHub
from booth.service.runner import SessionRunner
from booth.session import Session, SessionConfig, State
from booth.shooting import FrameResult, Shooter, live_candidate
from booth.storage import Storage
from booth.storage.layout import SESSIONS_DIR


@pytest.fixture
def make_runner(tmp_path, models, media):
    """``make_runner(shots_per_look)``: a runner on the replay clip with mock pins, its clock a counter."""
    made = []

    def make(shots_per_look: int = 1) -> SessionRunner:
        settings = config.validate({"session": {"shot_list": "commercial", "shots_per_look": shots_per_look}})
        storage = Storage(tmp_path, settings.storage)
        storage.open()
        camera = open_camera(f"replay:{media('single_face.mp4')}", settings.camera).start()
        hardware = Hardware(settings.pins, pin_factory=MockFactory(pin_class=MockPWMPin))
        session = Session(SessionConfig.from_settings(settings.session))
        clock = iter(range(1, 10_000)).__next__
        runner = SessionRunner(session, storage, hardware, EventHub(), lambda: camera, lambda: float(clock()))
        runner.shooter = Shooter.from_settings(settings, looks.load(), models)
        made.append((camera, hardware, storage))
        return runner

    yield make
    for camera, hardware, storage in made:
        camera.stop()
        hardware.close()
        storage.close()


@pytest.fixture
def runner(make_runner):
    return make_runner()


def shooting(runner: SessionRunner) -> None:
    """Consent, then let the baseline step time out (the replay clip smiles: no rest face comes)."""
    runner.start(runner.session.config)
    runner.consent()
    runner.tick(1000.0, None)
    assert runner.session.state is State.SHOOTING


def test_consent_opens_the_record_and_the_baseline_step_waits_for_a_rest_face(runner):
    runner.start(runner.session.config)
    assert runner.session.state is State.WELCOME and runner.record is None  # nothing stored yet
    with runner.events.subscribe() as events:
        runner.consent()
        kinds = [events.get(0.1) for _ in range(10)]
    assert runner.session.state is State.BASELINE  # also on replayed footage: the step is shown
    assert runner.record is not None and runner.storage.session(runner.record.id).status == "active"
    actions = [e.data["action"] for e in kinds if e is not None]
    assert {"OpenSession", "StartBaseline"} <= set(actions) and "LookStarted" not in actions
    status = runner.baseline_status(runner.clock())
    assert status is not None and status.seconds_left and status.seconds_left > 0
    runner.tick(1000.0, None)  # no rest face came: shoot against the neutral default rest, and say so
    assert runner.session.state is State.SHOOTING and runner.message == "Look 1 of 2: approachable."
    assert runner.shooter is not None and runner.shooter.baseline.frames == 0
    events = runner.storage.events(runner.record.id)
    assert any(e["kind"] == "baseline" and "Neutral default rest" in e["message"] for e in events)


def test_a_storage_error_ends_the_session_with_its_reason(runner):
    runner.start(runner.session.config)
    runner.consent()

    def disk_full() -> None:
        raise BoothError("the disk is full (3 MB free)")

    runner.guarded("saving the shot", disk_full, retake_on_bug=True)
    assert runner.session.state is State.ABORTED and runner.fault == "the disk is full (3 MB free)"
    assert runner.storage.session(runner.record.id).status == "aborted"


def test_a_bug_while_shooting_is_a_retake_not_the_end(runner):
    shooting(runner)
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
    shooting(runner)
    frame = runner._camera().wait_frame(0, timeout=5)
    assert frame is not None

    def full(*args, **kwargs):
        raise DiskFullError("the disk is full (3 MB free); free some space")

    monkeypatch.setattr(runner.storage, "add_shot", full)
    shot = Decision(TriggerState.FIRING, fire=True, look="approachable", peak_timestamp=frame.timestamp)
    runner.guarded("saving the shot", lambda: runner.shoot(shot, manual=True), retake_on_bug=True)
    assert runner.session.state is State.ABORTED and runner.session.progress().shots_kept == 0
    assert runner.fault and "disk is full" in runner.fault and runner.last_shot is None


def _firing_frame(runner: SessionRunner) -> FrameResult:
    """A real analysed replay frame whose decision fires for the target look (the policy's hold is the
    policy's own test: here the runner's handling of a fire is under test)."""
    assert runner.shooter is not None
    frame = runner._camera().wait_frame(0, timeout=5)
    assert frame is not None
    look = runner.session.target_look
    result = runner.shooter.step(frame.pixels, frame.timestamp, frame.sequence, look, may_fire=False)
    assert result.faces, "the replay frame shows a face"
    fire = Decision(
        TriggerState.FIRING, fire=True, look=look, peak_timestamp=frame.timestamp, subject_index=0
    )
    return FrameResult(result.sequence, result.timestamp, result.faces, fire)


def test_no_shutter_pulse_for_a_pose_that_would_be_discarded_as_a_duplicate(make_runner):
    runner = make_runner(shots_per_look=3)
    shooting(runner)
    result = _firing_frame(runner)
    runner.shoot(result.decision, manual=True, live=live_candidate(result, "approachable"))  # kept
    assert runner.session.progress().shots_kept == 1
    wait_until(lambda: runner.hardware.shots == 1, 5.0, "the first fire's pulse")
    runner.on_frame(result, runner.clock())  # the same pose again: held back, not fired
    assert runner.session.progress().shots_kept == 1
    time.sleep(0.3)  # a pulse would have been given by now (fire returns before its pulses run)
    assert runner.hardware.shots == 1
    tally = runner.tally.snapshot()
    assert (tally.fires, tally.pulses, tally.kept, tally.held_back) == (1, 1, 1, 1)
    assert runner.message.startswith("Same approachable as a shot already kept")
    assert any(e["kind"] == "held back" for e in runner.storage.events(runner.record.id))


def test_every_pulse_ends_as_a_kept_or_a_discarded_still(make_runner, monkeypatch):
    """The GPIO count reconciles with the photos: each still a fire took is kept or discarded with why."""
    runner = make_runner(shots_per_look=3)
    shooting(runner)
    result = _firing_frame(runner)
    before = runner.hardware.shots
    runner.shoot(result.decision, manual=True)
    assert runner.shooter is not None
    real_check = runner.shooter.check_still

    def blinked(pixels, look):  # the still's own reading, failed as a blink on the still would fail it
        check = real_check(pixels, look)
        return type(check)(False, "eyes closed in the still", check.reading, check.result, check.size)

    monkeypatch.setattr(runner.shooter, "check_still", blinked)
    runner.shoot(result.decision)
    tally = runner.tally.snapshot()
    assert tally.fires == 2 and tally.pulses == 2 and tally.kept == 1 and tally.discarded == 1
    assert tally.kept + tally.discarded == tally.pulses
    assert tally.discards[0].reason == "eyes closed in the still"
    assert runner.session.progress().shots_kept == tally.kept
    wait_until(lambda: runner.hardware.shots - before == tally.pulses, 5.0, "the pulses counted")
    assert any(e["kind"] == "discarded" for e in runner.storage.events(runner.record.id))


def test_a_session_folder_that_cannot_be_made_aborts_with_the_reason(runner):
    """A failed mkdir (here: the sessions folder replaced by a file, which fails even for root) leaves
    the session aborted with a one-line reason and the booth ready for the next sitter."""
    sessions = runner.storage.root / SESSIONS_DIR
    sessions.rmdir()  # empty: no session yet
    sessions.write_text("not a folder")
    runner.start(runner.session.config)
    with pytest.raises(BoothError) as raised:
        runner.consent()
    assert "\n" not in str(raised.value) and SESSIONS_DIR in str(raised.value)
    assert runner.session.state is State.ABORTED
    assert runner.fault is not None and runner.fault.startswith("The session could not start")
    sessions.unlink()
    sessions.mkdir()
    runner.start(runner.session.config)  # the next sitter: not "already running"
    assert runner.session.state is State.WELCOME


def test_a_bug_with_one_still_of_a_burst_leaves_the_others_counted(make_runner, monkeypatch):
    """A two-still burst whose second still fails by a bug: the first is kept, the second discarded with
    a reason, the tally balances and no retake is counted (a photo was kept)."""
    from booth.policy import FrameRef

    runner = make_runner(shots_per_look=3)
    shooting(runner)
    camera = runner._camera()
    first = camera.wait_frame(0, timeout=5)
    second = camera.wait_frame(first.sequence, timeout=5)
    real, calls = camera.still, []

    def flaky(when):
        calls.append(when)
        if len(calls) == 2:
            raise RuntimeError("a bug in the ring buffer")
        return real(when)

    monkeypatch.setattr(camera, "still", flaky)
    burst = tuple(FrameRef(f.sequence, f.timestamp, 0.9) for f in (first, second))
    fire = Decision(
        TriggerState.FIRING, fire=True, look="approachable", peak_timestamp=first.timestamp, burst=burst
    )
    runner.guarded("saving the shot", lambda: runner.shoot(fire, manual=True), retake_on_bug=True)
    tally = runner.tally.snapshot()
    assert (tally.pulses, tally.kept, tally.discarded) == (2, 1, 1) and runner.retakes == 0
    assert "error while checking" in tally.discards[0].reason


def test_an_error_at_consent_that_is_not_the_booths_still_aborts(runner, monkeypatch):
    """Say the data drive vanished: the raw OSError is the booth's one line, the session aborted, no fire
    without a record, and the next sitter can start."""

    def gone(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", str(runner.storage.root))

    monkeypatch.setattr(runner.storage, "start_session", gone)
    runner.start(runner.session.config)
    with pytest.raises(BoothError, match="could not start"):
        runner.consent()
    assert runner.session.state is State.ABORTED and runner.record is None
    monkeypatch.undo()
    runner.start(runner.session.config)
    assert runner.session.state is State.WELCOME


def test_back_from_a_fault_in_the_baseline_step_the_rest_run_starts_again(runner):
    runner.start(runner.session.config)
    runner.consent()
    runner._baseline._run = ["a rest frame from before the pause"]  # what the collector had gathered
    runner.tick(runner.clock(), "camera lost")
    assert runner.session.state is State.FAULT
    runner.tick(runner.clock(), None)
    assert runner.session.state is State.BASELINE and runner._baseline._run == []
    assert runner._baseline.active

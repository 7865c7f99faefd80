"""The running booth: camera -> perception -> looks -> policy -> GPIO and stills -> session -> storage.

One analysis thread owns the vision state (models are not thread-safe) and everything the status is made
of; the page's threads only read :meth:`BoothService.status`, subscribe to events, and queue actions that
the analysis thread applies between frames. Why a published snapshot: status built on a web thread would
read the session, shooter and record while the analysis thread changes them, and could show a state with
another state's token. So the analysis thread builds the status dict itself every :data:`STATUS_EVERY`
seconds and after each action, and publishes it under a lock; :meth:`BoothService.status` returns a copy
of the latest one plus the few fields that are safe and cheap to read live (camera, GPIO).
Nothing here imports Flask: :mod:`booth.web` wraps this service.
"""

from __future__ import annotations

import copy
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from booth import config as config_module
from booth import looks
from booth.camera import Camera, open_camera
from booth.config import CameraSettings, Settings
from booth.crops import headshot_crops
from booth.errors import BoothError, ConfigError, SessionBusy, SessionNotFound
from booth.hardware import Hardware, LightPattern, pattern_for_trigger
from booth.session import (
    ACTIVE,
    ENDED,
    Candidate,
    Ignored,
    LookStarted,
    OpenSession,
    SaveCandidate,
    Session,
    SessionConfig,
    SessionEnded,
    StartBaseline,
    State,
    StateChanged,
    Trigger,
)
from booth.shooting import FrameResult, Shooter
from booth.storage import Storage
from booth.vision.pipeline import Models

log = logging.getLogger(__name__)

#: Seconds of the sitter at rest taken as the baseline.
BASELINE_SECONDS = 1.0
STATUS_EVERY = 0.15  # seconds between status events
#: Seconds between recounts of the stored sessions (the operator may delete some from the page).
SESSIONS_EVERY = 2.0
#: Seconds a page request waits for the analysis thread to apply its action.
ACTION_TIMEOUT = 5.0
#: A settings change may reopen the camera, which waits for the old capture thread (up to 5 s).
SETTINGS_TIMEOUT = 15.0
#: States from which a new session may start (an end screen need not run out first).
STARTABLE = (State.IDLE, *ENDED)


class Subscription:
    """A bounded queue of events for one listener (an SSE stream); slow listeners lose old events."""

    def __init__(self, hub: list[Subscription], lock: threading.Lock) -> None:
        self._queue: queue.Queue[dict] = queue.Queue(maxsize=64)
        self._hub, self._lock = hub, lock
        with lock:
            hub.append(self)

    def put(self, event: dict) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            try:
                self._queue.get_nowait()
                self._queue.put_nowait(event)
            except (queue.Empty, queue.Full):
                pass

    def get(self, timeout: float | None = None) -> dict | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        with self._lock:
            if self in self._hub:
                self._hub.remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BoothService:
    """The booth: one analysis thread applies every change; the page reads published status snapshots."""

    def __init__(
        self,
        settings: Settings,
        data_dir: Path,
        *,
        config_path: Path | None = None,
        base_config_path: Path | None = None,
        camera: Camera | None = None,
        hardware: Hardware | None = None,
        models: Models | None = None,
        camera_spec: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.data_dir = Path(data_dir)
        self.config_path = config_path
        #: The read-only file ``config_path`` is laid over at start (``booth run``: /etc/booth/booth.toml).
        self.base_config_path = base_config_path
        self.clock = clock
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.book = looks.load(settings.looks.file)
        self.storage = Storage(self.data_dir, settings.storage)
        self.camera = camera or open_camera(camera_spec or settings.camera.source, settings.camera)
        self.hardware = hardware or Hardware(
            settings.pins, on_start=self._button_start, on_cancel=self._button_cancel
        )
        button = self.hardware.button
        if button is not None:  # a Hardware built elsewhere (tests, bench) still gets the booth's button
            button.on_start = button.on_start or self._button_start
            button.on_cancel = button.on_cancel or self._button_cancel
        self._models = models
        self.shooter: Shooter | None = None
        self.session = Session(SessionConfig.from_settings(settings.session), now=clock())
        self._actions: queue.Queue[tuple[Callable[[], Any], queue.Queue]] = queue.Queue()
        self._subscribers: list[Subscription] = []
        self._sub_lock = threading.Lock()
        self._snapshot_lock = threading.Lock()
        self._snapshot: dict = {}  # replaced whole, never changed in place
        self._last: FrameResult | None = None
        self._record = None  # storage SessionRecord of the current session, until the machine is idle
        self._record_ended = False  # end_session was called for _record
        self._message = ""  # the latest session action's sentence for the sitter
        self._look_index: int | None = None
        self._baseline_frames: list = []
        self._baseline_until: float | None = None
        self._shots_taken = 0
        self._last_shot: dict | None = None
        self._session_count: int | None = None
        self._counted_at = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._analysis_fps = 0.0
        self._frames_analysed = 0
        self._retakes = 0
        self._fault: str | None = None  # why the booth paused, None while all is well
        self._fault_from_camera = False

    # --- life cycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        self.storage.open()
        self.camera.start()
        self.shooter = Shooter(
            self._models or Models.load(self.settings.vision),
            self.book,
            self.settings.policy,
            self.book_default_target(),
            self.settings.vision,
        )
        self._publish_status()  # status() has a snapshot from the first call on
        self._thread = threading.Thread(target=self._run, name="booth-analysis", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            if not self._analysing() and self._record is not None and not self._record_ended:
                # A clean shutdown mid-session: close it now rather than leave it to the next start's recovery
                self._log_event(self._record.id, "stopped", "The booth stopped mid-session.")
                self._end_record(State.ABORTED)
        except BoothError as err:
            log.warning("could not close the session on stop (%s); the next start recovers it", err)
        finally:
            self.camera.stop()
            self.hardware.close()
            self.storage.close()

    def book_default_target(self) -> str:
        return next(iter(self.book.looks))

    def _analysing(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- read side -------------------------------------------------------------------------------------

    def status(self) -> dict:
        """A fresh copy of the latest published status, with the camera and GPIO read live.

        Cheap and consistent from any thread: the analysis thread publishes a whole new dict each time,
        so a caller never sees half of one state and half of the next.
        """
        if not self._analysing():
            return self._build_status()
        with self._snapshot_lock:
            snapshot = self._snapshot
        status = copy.deepcopy(snapshot)
        status.update(self._live_fields())
        return status

    def health(self) -> dict:
        """For /healthz and the systemd watchdog: ``frames`` counts *analysed* frames, so a dead analysis
        thread stops it advancing even while the camera keeps delivering."""
        state = self.camera.state
        fault = (
            state.fault
            or self._fault
            or (None if self._analysing() else "the analysis thread is not running")
        )
        return {
            "ok": fault is None and state.running,
            "camera": state.kind,
            "frames": self._frames_analysed,
            "fault": fault,
        }

    def preview_jpeg(self, quality: int = 75) -> tuple[int, bytes] | None:
        camera = self.camera  # one camera for both reads, even while settings swap it
        frame = camera.latest()
        if frame is None:
            return None
        data = camera.preview_jpeg(quality)
        return (frame.sequence, data) if data else None

    def subscribe(self) -> Subscription:
        return Subscription(self._subscribers, self._sub_lock)

    def looks(self) -> list[dict]:
        return [{"name": n, "title": r.title, "scenario": r.scenario} for n, r in self.book.looks.items()]

    # --- actions (applied on the analysis thread, between frames) ---------------------------------------

    def _call(self, action: Callable[[], Any], timeout: float = ACTION_TIMEOUT) -> Any:
        """Run ``action`` on the analysis thread and return its value (or raise its error).

        Runs it right here when there is no analysis thread yet, or when this is the analysis thread (a
        button press queued there calls the same methods the page does).
        """
        if not self._analysing() or threading.current_thread() is self._thread:
            return action()
        reply: queue.Queue = queue.Queue(maxsize=1)
        cancelled = threading.Event()
        self._actions.put((action, reply, cancelled))
        try:
            ok, value = reply.get(timeout=timeout)
        except queue.Empty:
            cancelled.set()  # never run it late: the caller was told it did not happen
            raise BoothError("the booth is busy; try again in a moment") from None
        if not ok:
            raise value
        return value

    def start_session(self, preset: str | None = None) -> dict:
        """Start a session; ``preset`` picks its shot list for this session only (settings are unchanged)."""
        self._call(lambda: self._start(preset))
        return self.status()

    def consent(self) -> dict:
        self._call(lambda: self._apply(self.session.handle(Trigger.CONSENT, self.clock())))
        return self.status()

    def cancel_session(self) -> dict:
        self._call(self._cancel)
        return self.status()

    def finish(self) -> dict:
        """The sitter is done with the review screen: deliver now rather than wait for its timeout."""

        def act() -> None:
            if self.session.state is not State.REVIEW:
                raise BoothError(
                    f"nothing to finish: the booth is {self.session.state.value}; "
                    "finish only from the review screen"
                )
            self._apply(self.session.handle(Trigger.FINISH, self.clock()))

        self._call(act)
        return self.status()

    def delete_session(self, session_id: int, reason: str = "deleted by the operator") -> None:
        """Delete a stored session (files and rows); a running one must end first."""
        record = self.storage.session(session_id)
        if record is None:
            raise SessionNotFound(f"no session {session_id}")
        if record.status == "active":
            raise SessionBusy(f"session {session_id} is still running; end it before deleting it")
        on_screen = self._record
        if on_screen is not None and on_screen.id == session_id:
            raise SessionBusy(
                f"session {session_id} is still on the booth's screen; delete it once the booth is idle"
            )
        self.storage.delete_session(session_id, reason)

    def fire(self) -> dict:
        def act() -> None:
            assert self.shooter is not None
            decision = self.shooter.manual(self._last, self.clock())
            self._shoot(decision, manual=True)

        self._call(act)
        return self.status()

    def update_settings(self, changes: dict) -> Settings:
        """Validate ``changes`` (nested, only the keys that change) over the settings in effect, apply them,
        and persist them over the config file's own contents.

        Why not save the settings in effect: they hold the command line's overrides (``--pins mock``,
        ``--camera``), which must not become the file's. A new ``camera.source`` reopens the camera now;
        other camera keys and the pins apply at the next start. Session changes apply from the next session.
        A new ``looks.file`` is loaded now while no session runs (refused during one, so a running shot list
        never loses its looks).
        """
        for section, values in changes.items():
            if not isinstance(values, dict):
                raise ConfigError(f"settings: {section} must be a table of keys")
        return self._call(lambda: self._update_settings(changes), SETTINGS_TIMEOUT)

    def _start(self, preset: str | None) -> None:
        if self.session.state not in STARTABLE:
            raise BoothError("a session is already running; cancel it first")
        self.storage.check_can_start()
        session_settings = self.settings.session
        if preset:
            merged = config_module.deep_merge(
                self.settings.model_dump(mode="json"), {"session": {"shot_list": preset}}
            )
            session_settings = config_module.validate(merged, "preset").session
        self.session.config = SessionConfig.from_settings(session_settings)
        self._apply(self.session.handle(Trigger.START, self.clock()))

    def _cancel(self) -> None:
        trigger = Trigger.DECLINE if self.session.state is State.WELCOME else Trigger.ABORT
        self._apply(self.session.handle(trigger, self.clock()))

    def _update_settings(self, changes: dict) -> Settings:
        new = config_module.validate(
            config_module.deep_merge(self.settings.model_dump(mode="json"), changes), "settings"
        )
        on_disk = None
        if self.config_path is not None:
            on_disk = config_module.deep_merge(config_module.read_table(self.config_path), changes)
            # What the next start will load: the base file with this one over it (it may name a shot list
            # the base defines, so it need not load alone).
            base = config_module.read_table(self.base_config_path) if self.base_config_path else {}
            config_module.validate(config_module.deep_merge(base, on_disk), str(self.config_path))
        book = None
        if new.looks.file != self.settings.looks.file:
            if self.session.state not in STARTABLE:
                raise BoothError(
                    "a new looks file can change only between sessions; try again once the booth is idle"
                )
            book = looks.load(new.looks.file)  # a bad file raises here, before anything changes
        camera = None
        if new.camera.source != self.settings.camera.source:
            camera = open_camera(new.camera.source, new.camera)  # builds only; a bad spec raises here
        if on_disk is not None:
            config_module.write_table(self.config_path, on_disk)  # type: ignore[arg-type]
        self.settings = new
        if book is not None:
            self.book = book
            if self.shooter is not None:
                self.shooter.set_book(book)
        if self.shooter is not None:
            self.shooter.set_policy(new.policy)
        if self.session.state in STARTABLE:  # never swap the shot list under a running session
            self.session.config = SessionConfig.from_settings(new.session)
        if camera is not None:
            self._swap_camera(camera, new.camera)
        return new

    def _swap_camera(self, camera: Camera, settings: CameraSettings) -> None:
        """Stop the old capture and start ``camera`` (its faults show in its state; they do not raise)."""
        old = self.camera
        log.info("camera source changed: %s -> %s", old.state.kind, settings.source)
        old.stop()
        self.camera = camera.start()
        if self.shooter is not None:
            self.shooter.policy.reset()  # the new source's clock and frames have nothing to do with the old

    # --- the analysis loop ------------------------------------------------------------------------------

    def _run(self) -> None:
        """The analysis loop. Nothing that goes wrong in one frame or one save may end it (see
        :meth:`_guarded`); the loop carries on with the next frame."""
        last_seq, last_status, frames, fps_start = 0, 0.0, 0, self.clock()
        camera = self.camera
        while not self._stop.is_set():
            self._drain_actions()
            if self.camera is not camera:  # swapped by a settings change: its sequence starts again
                camera, last_seq = self.camera, 0
            frame = camera.wait_frame(last_seq, timeout=0.25)
            now = self.clock()
            self._guarded("session timing", lambda now=now: self._tick(now))
            if frame is not None:
                last_seq = frame.sequence
                try:
                    result = self.shooter.step(  # type: ignore[union-attr]
                        frame.pixels,
                        frame.timestamp,
                        frame.sequence,
                        clock=self.clock,
                        may_fire=self.session.state is State.SHOOTING,
                    )
                except Exception:  # a bad frame must not stop the booth
                    log.exception("analysis failed on frame %d", frame.sequence)
                    continue
                self._last = result
                self._frames_analysed += 1
                frames += 1
                if now - fps_start >= 1.0:
                    self._analysis_fps, frames, fps_start = frames / (now - fps_start), 0, now
                self._guarded("saving the shot", lambda result=result, now=now: self._on_frame(result, now))
            if now - last_status > STATUS_EVERY:
                self._guarded("publishing the status", self._publish_status)
                last_status = now

    def _guarded(self, what: str, step: Callable[[], Any]) -> None:
        """Run one step of the loop so that no error ends the analysis thread.

        A booth error (storage full or failing) ends the running session at once, its kept photos safe, with
        the reason on the kiosk and in ``status()["fault"]`` until the booth is idle again: a session that
        cannot keep photos should not go on. Any other error is a bug in one frame's handling: it is logged
        with its traceback and, during a shot, counted as a retake; the session carries on. Camera faults
        are not errors here: :meth:`_tick` pauses the session (FAULT) and resumes it when frames return.
        """
        try:
            step()
        except BoothError as err:
            log.error("%s failed: %s", what, err)
            self._end_for(str(err))
        except Exception:
            log.exception("%s failed", what)
            if what == "saving the shot" and self.session.state is State.SHOOTING:
                self._retakes += 1
                if self.shooter is not None:
                    self.shooter.policy.disarm()

    def _end_for(self, reason: str) -> None:
        """End the running session because of ``reason`` (never raises: it runs inside error handling)."""
        self._fault = reason
        try:
            if self.session.state in ACTIVE or self.session.state is State.FAULT:
                self._apply(self.session.handle(Trigger.ABORT, self.clock()))
            self._message = reason
        except Exception:
            log.exception("could not end the session after: %s", reason)

    def _pause(self, reason: str) -> None:
        """Pause the running session (FAULT) while the camera is away; :meth:`_tick` resumes it."""
        self._fault, self._fault_from_camera = reason, True
        if self.session.state in ACTIVE:
            self._apply(self.session.handle(Trigger.FAULT, self.clock()))

    def _log_event(self, session_id: int, kind: str, message: str) -> None:
        """Best effort: an event that cannot be written (storage failing) must not stop the booth."""
        try:
            self.storage.log_event(session_id, kind, message)
        except (BoothError, sqlite3.Error) as err:
            log.warning("event %r of session %d not recorded (%s)", kind, session_id, err)

    def _tick(self, now: float) -> None:
        """Session timeouts, and the camera's faults carried into the session (pause, then resume)."""
        camera_fault = self.camera.state.fault
        if camera_fault:
            if self._fault is None or self._fault_from_camera:
                self._pause(camera_fault)
        elif self._fault_from_camera:
            self._fault, self._fault_from_camera = None, False
            if self.session.state is State.FAULT:
                self._apply(self.session.handle(Trigger.RECOVER, now))
        self._apply(self.session.tick(now))

    def _drain_actions(self) -> None:
        while True:
            try:
                action, reply, cancelled = self._actions.get_nowait()
            except queue.Empty:
                return
            if cancelled.is_set():
                continue
            try:
                outcome = (True, action())
            except Exception as err:  # handed back to the caller's thread
                outcome = (False, err)
            self._guarded("publishing the status", self._publish_status)  # before the reply: status shows it
            reply.put(outcome)

    def _on_frame(self, result: FrameResult, now: float) -> None:
        if result.faces:
            self.session.face_seen(now)
        state = self.session.state
        if state is State.BASELINE and result.subject is not None:
            self._baseline_frames.append(result.subject[0])
            if (
                self._baseline_until is not None
                and now >= self._baseline_until
                and len(self._baseline_frames) >= 5
            ):
                self.shooter.set_baseline(looks.Baseline.capture(self._baseline_frames))  # type: ignore[union-attr]
                self._apply(self.session.handle(Trigger.BASELINE_DONE, now))
        decision = result.decision
        self.hardware.show(
            pattern_for_trigger(decision.state) if state is State.SHOOTING else LightPattern.IDLE
        )
        if decision.fire and state is State.SHOOTING:
            self._shoot(decision)

    def _shoot(self, decision: Any, manual: bool = False) -> None:
        """Fire the external camera, keep the still of the peak frame (and its burst neighbours), each
        re-checked; if none passes, count a retake and let the policy try again after its cooldown."""
        self.hardware.fire(max(1, len(decision.burst)))
        self._broadcast({"type": "fire", "look": decision.look, "manual": manual})
        if self._record is None:
            return
        peak = decision.peak_timestamp if decision.peak_timestamp is not None else decision.timestamp
        moments = [ref.timestamp for ref in decision.burst] or [peak]
        reasons = []
        for when in moments:
            still = self.camera.still(when)
            if still is None:
                reasons.append("no still for that moment (ring buffer too short)")
                continue
            check = self.shooter.check_still(still.pixels, decision.look)  # type: ignore[union-attr]
            if check.ok or manual:
                self._keep(decision.look, still, check)
            else:
                reasons.append(check.reason)
        if reasons and len(reasons) == len(moments):
            self._retakes += 1
            log.info("retake %d: %s", self._retakes, "; ".join(reasons))
            self._log_event(self._record.id, "retake", "; ".join(reasons))
            self.shooter.policy.disarm()  # type: ignore[union-attr]  # the fire's cooldown stands

    def _keep(self, look: str, still: Any, check: Any) -> None:
        """Offer one checked still to the session and store it if kept."""
        assert self._record is not None
        reading, result = check.reading, check.result
        candidate = Candidate(
            look=look,
            look_score=result.raw.get(look, 0.0) if result else 0.0,
            engaged=bool(result and result.verdict.engaged),
            eye_openness=min(reading.eye_openness) if reading else 0.0,
            sharpness=reading.sharpness if reading else 0.0,
            face_size=reading.face_size if reading else 0.0,
            landmarks=reading.landmarks if reading else None,
            scores=result.raw if result else {},
            timestamp=still.timestamp,
            frame_id=still.sequence,
        )
        for action in self.session.offer(candidate, self.clock()):
            if isinstance(action, SaveCandidate):
                crops = {}
                if reading is not None:
                    crops = headshot_crops(
                        reading.landmarks, still.pixels.shape[1::-1], landmark_size=check.size
                    )
                shot = self.storage.add_shot(
                    self._record.id,
                    look,
                    still.pixels,
                    scores=result.scores if result else {},
                    verdicts=result.to_json() if result else {},
                    combined=action.combined,
                    crops=crops,
                    best=action.best_so_far,
                )
                self._shots_taken += 1
                self._last_shot = {"id": shot.id, "look": look, "session_token": self._record.token}
                self._broadcast({"type": "shot", **self._last_shot})
            else:
                self._apply([action])

    def _apply(self, actions: list) -> None:
        for action in actions:
            record = self._record
            if not isinstance(action, StateChanged | Ignored):  # those sentences are for the log only
                self._message = action.message  # before the branches: those may apply newer actions
            if isinstance(action, OpenSession):
                try:
                    self._record = record = self.storage.start_session(action.shot_list, action.consent_text)
                except BoothError:
                    # Nothing stored (a full disk, say): no sitter shoots a session that keeps nothing.
                    self._apply(self.session.handle(Trigger.ABORT, self.clock()))
                    raise
                self._record_ended = False
                self._shots_taken = 0
                self._counted_at = float("-inf")  # one more stored session
            elif isinstance(action, StartBaseline):
                self._baseline_frames = []
                self._baseline_until = self.clock() + BASELINE_SECONDS
                if self.camera.state.kind == "replay":
                    # Recorded footage has no sitter to ask for a resting face: score without a baseline.
                    self._baseline_until = None
                    self.shooter.set_baseline(looks.Baseline({}))  # type: ignore[union-attr]
                    self._apply(self.session.handle(Trigger.BASELINE_DONE, self.clock()))
            elif isinstance(action, LookStarted):
                self._look_index = action.index
                self.shooter.set_target(action.look)  # type: ignore[union-attr]
                self.shooter.policy.reset()  # type: ignore[union-attr]
            elif isinstance(action, SessionEnded) and action.stored:
                self._end_record(action.outcome)
            elif isinstance(action, StateChanged) and action.new in (State.IDLE, State.WELCOME):
                self._forget_session()  # idle, or the next sitter: nothing of the last session shows
            if record is not None and action.message:
                self._log_event(record.id, type(action).__name__, action.message)
            self._broadcast({"type": "session", "action": type(action).__name__, "message": action.message})

    def _end_record(self, outcome: State) -> None:
        """Close the stored session once, whatever ends it (an end state, or the booth stopping)."""
        if self._record is None or self._record_ended:
            return
        self._record_ended = True
        try:
            self.storage.end_session(self._record.id, outcome.value)
        except (BoothError, sqlite3.Error) as err:  # the next start's recovery marks it aborted
            log.warning("session %d not closed in storage (%s)", self._record.id, err)

    def _forget_session(self) -> None:
        self._record, self._record_ended = None, False
        self._retakes = 0
        if not self._fault_from_camera:
            self._fault = None  # a storage fault ended with its session; the next start checks the disk again
        self._last_shot = None
        self._message = ""
        self._look_index = None
        self._shots_taken = 0

    def _post(self, what: str, action: Callable[[], Any]) -> None:
        """Queue an action nobody waits for (a button press): a refusal is only logged."""

        def run() -> None:
            try:
                action()
            except BoothError as err:
                log.info("%s refused: %s", what, err)
            except Exception:
                log.exception("%s failed", what)

        self._actions.put((run, queue.Queue(maxsize=1), threading.Event()))

    def _button_start(self) -> None:
        self._post("button start", lambda: self._start(None))

    def _button_cancel(self) -> None:
        self._post("button cancel", self._cancel)

    # --- status -----------------------------------------------------------------------------------------

    def _live_fields(self) -> dict:
        """What other threads own and lock themselves: safe and cheap to read on any thread."""
        cam = self.camera.state
        return {
            "camera": {
                "kind": cam.kind,
                "running": cam.running,
                "fault": cam.fault,
                "frames": cam.frames,
                "fps": round(cam.fps, 1),
            },
            "gpio": self.hardware.status(),
            "shutter_pulses": self.hardware.shutter.count if self.hardware.shutter else 0,
        }

    def _session_block(self, state: State) -> dict | None:
        """From the welcome screen on: the shot list and consent text; id and token once consent stored it."""
        if state is State.IDLE:
            return None
        cfg = self.session.config
        record = self._record
        return {
            "id": record.id if record else None,
            "token": record.token if record else None,
            "preset": cfg.shot_list_name,
            "looks": [p.look for p in cfg.shot_list],
            "look_index": self._look_index,
            "message": self._message,
            "consent_text": cfg.consent_text,
        }

    def _stored_sessions(self) -> int | None:
        """How many sessions storage holds; recounted every :data:`SESSIONS_EVERY` s or after a new one."""
        now = self.clock()
        if now - self._counted_at >= SESSIONS_EVERY:
            self._counted_at = now
            try:
                self._session_count = self.storage.count_sessions()  # read-only WAL: never waits
            except Exception as err:  # a count must never stop the booth
                log.warning("cannot count stored sessions: %s", err)
        return self._session_count

    def _build_status(self) -> dict:
        last = self._last
        face = None
        hint = ""
        trigger = None
        if last is not None:
            trigger = last.decision.to_json()
            subject = last.subject
            if subject is not None:
                reading, result = subject
                hint = result.hint
                face = {
                    **result.to_json(),
                    "eyes_open": reading.eyes_open,
                    "gaze": {"x": round(reading.gaze[0], 1), "y": round(reading.gaze[1], 1)},
                    "head_pose": {k: round(v, 1) for k, v in vars(reading.head_pose).items()},
                    "timings_ms": {k: round(v, 2) for k, v in reading.timings_ms.items()},
                }
        target = self.shooter.target if self.shooter else None
        state = self.session.state
        live = self._live_fields()
        return {
            "state": state.value,
            "target_look": target,
            "hint": hint,
            "scenario": self.book.looks[target].scenario if target in self.book.looks else "",
            "trigger": trigger,
            "face": face,
            "shots_taken": self._shots_taken,
            "retakes": self._retakes,
            "fault": self._fault,
            "shutter_pulses": live.pop("shutter_pulses"),
            "session": self._session_block(state),
            **live,
            "analysis_fps": round(self._analysis_fps, 1),
            "last_shot": dict(self._last_shot) if self._last_shot else None,
            "storage": {
                "free_bytes": self.storage.free_bytes(),
                "retention_days": self.settings.storage.retention_days,
                "sessions": self._stored_sessions(),
            },
        }

    def _publish_status(self) -> None:
        """Build the status on the analysis thread (which owns what it reads) and publish it whole."""
        status = self._build_status()
        with self._snapshot_lock:
            self._snapshot = status
        self._broadcast({"type": "status", **status})

    def _broadcast(self, event: dict) -> None:
        with self._sub_lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            sub.put(event)

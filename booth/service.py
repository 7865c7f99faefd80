"""The running booth: camera -> perception -> looks -> policy -> GPIO and stills -> session -> storage.

One analysis thread owns the vision state (models are not thread-safe); the page's threads only read
:meth:`BoothService.status`, subscribe to events, and queue actions that the analysis thread applies
between frames. Nothing here imports Flask: :mod:`booth.web` wraps this service.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from booth import config as config_module
from booth import looks
from booth.camera import Camera, open_camera
from booth.config import Settings
from booth.crops import headshot_crops
from booth.errors import BoothError
from booth.hardware import Hardware, LightPattern, pattern_for_trigger
from booth.session import (
    Candidate,
    LookStarted,
    OpenSession,
    SaveCandidate,
    Session,
    SessionConfig,
    SessionEnded,
    StartBaseline,
    State,
    Trigger,
)
from booth.shooting import FrameResult, Shooter
from booth.storage import Storage
from booth.vision.pipeline import Models

log = logging.getLogger(__name__)

#: Seconds of the sitter at rest taken as the baseline.
BASELINE_SECONDS = 1.0
STATUS_EVERY = 0.15  # seconds between status events


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
    def __init__(
        self,
        settings: Settings,
        data_dir: Path,
        *,
        config_path: Path | None = None,
        camera: Camera | None = None,
        hardware: Hardware | None = None,
        models: Models | None = None,
        camera_spec: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.data_dir = Path(data_dir)
        self.config_path = config_path
        self.clock = clock
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.book = looks.load()
        self.storage = Storage(self.data_dir, settings.storage)
        self.camera = camera or open_camera(camera_spec or settings.camera.source, settings.camera)
        self.hardware = hardware or Hardware(
            settings.pins, on_start=self._button_start, on_cancel=self._button_cancel
        )
        self._models = models
        self.shooter: Shooter | None = None
        self.session = Session(SessionConfig.from_settings(settings.session), now=clock())
        self._actions: queue.Queue[tuple[Callable[[], Any], queue.Queue]] = queue.Queue()
        self._subscribers: list[Subscription] = []
        self._sub_lock = threading.Lock()
        self._status: dict = {}
        self._last: FrameResult | None = None
        self._record = None  # storage SessionRecord of the current session
        self._baseline_frames: list = []
        self._baseline_until: float | None = None
        self._shots_taken = 0
        self._last_shot: dict | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._analysis_fps = 0.0

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
        self._thread = threading.Thread(target=self._run, name="booth-analysis", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.camera.stop()
        self.hardware.close()
        self.storage.close()

    def book_default_target(self) -> str:
        return next(iter(self.book.looks))

    # --- read side -------------------------------------------------------------------------------------

    def status(self) -> dict:
        return self._build_status()

    def health(self) -> dict:
        state = self.camera.state
        return {
            "ok": state.fault is None and state.running,
            "camera": state.kind,
            "frames": state.frames,
            "fault": state.fault,
        }

    def preview_jpeg(self, quality: int = 75) -> tuple[int, bytes] | None:
        frame = self.camera.latest()
        if frame is None:
            return None
        data = self.camera.preview_jpeg(quality)
        return (frame.sequence, data) if data else None

    def subscribe(self) -> Subscription:
        return Subscription(self._subscribers, self._sub_lock)

    def looks(self) -> list[dict]:
        return [{"name": n, "title": r.title, "scenario": r.scenario} for n, r in self.book.looks.items()]

    # --- actions (applied on the analysis thread, between frames) ---------------------------------------

    def _call(self, action: Callable[[], Any], timeout: float = 5.0) -> Any:
        if self._thread is None or not self._thread.is_alive():
            return action()
        reply: queue.Queue = queue.Queue(maxsize=1)
        self._actions.put((action, reply))
        try:
            ok, value = reply.get(timeout=timeout)
        except queue.Empty:
            raise BoothError("the booth is busy; try again in a moment") from None
        if not ok:
            raise value
        return value

    def start_session(self, preset: str | None = None) -> dict:
        def act() -> dict:
            if self.session.state not in (State.IDLE, State.DELIVERED, State.EXPIRED, State.ABORTED):
                raise BoothError("a session is already running; cancel it first")
            self.storage.check_can_start()
            if preset:
                self.update_settings({"session": {"shot_list": preset}}, _direct=True)
            self._apply(self.session.handle(Trigger.START, self.clock()))
            return self._build_status()

        return self._call(act)

    def consent(self) -> dict:
        return self._call(
            lambda: (self._apply(self.session.handle(Trigger.CONSENT, self.clock())), self._build_status())[1]
        )

    def cancel_session(self) -> dict:
        def act() -> dict:
            trigger = Trigger.DECLINE if self.session.state is State.WELCOME else Trigger.ABORT
            self._apply(self.session.handle(trigger, self.clock()))
            return self._build_status()

        return self._call(act)

    def fire(self) -> dict:
        def act() -> dict:
            assert self.shooter is not None
            decision = self.shooter.manual(self._last, self.clock())
            self._shoot(decision, manual=True)
            return self._build_status()

        return self._call(act)

    def update_settings(self, changes: dict, _direct: bool = False) -> Settings:
        merged = self.settings.model_dump(mode="json")
        for section, values in changes.items():
            if not isinstance(values, dict):
                raise config_module.ConfigError(f"settings: {section} must be a table of keys")
            merged.setdefault(section, {}).update(values)
        new = config_module.validate(merged, "settings")
        self.settings = new
        if self.shooter is not None:
            self.shooter.policy.settings = new.policy
        self.session.config = SessionConfig.from_settings(new.session)
        if self.config_path is not None:
            config_module.save(new, self.config_path)
        return new

    # --- the analysis loop ------------------------------------------------------------------------------

    def _run(self) -> None:
        last_seq, last_status, frames, fps_start = 0, 0.0, 0, self.clock()
        while not self._stop.is_set():
            self._drain_actions()
            frame = self.camera.wait_frame(last_seq, timeout=0.25)
            now = self.clock()
            self._apply(self.session.tick(now))
            if frame is None:
                if now - last_status > STATUS_EVERY:
                    self._publish_status()
                    last_status = now
                continue
            last_seq = frame.sequence
            try:
                result = self.shooter.step(frame.pixels, frame.timestamp, frame.sequence, now)  # type: ignore[union-attr]
            except Exception:  # a bad frame must not stop the booth
                log.exception("analysis failed on frame %d", frame.sequence)
                continue
            self._last = result
            frames += 1
            if now - fps_start >= 1.0:
                self._analysis_fps, frames, fps_start = frames / (now - fps_start), 0, now
            self._on_frame(result, now)
            if now - last_status > STATUS_EVERY:
                self._publish_status()
                last_status = now

    def _drain_actions(self) -> None:
        while True:
            try:
                action, reply = self._actions.get_nowait()
            except queue.Empty:
                return
            try:
                reply.put((True, action()))
            except Exception as err:  # handed back to the caller's thread
                reply.put((False, err))

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
        """Fire the external camera, keep the peak frame's still, hand it to the session."""
        self.hardware.fire(max(1, len(decision.burst)))
        self._broadcast({"type": "fire", "look": decision.look, "manual": manual})
        when = decision.peak_timestamp if decision.peak_timestamp is not None else decision.timestamp
        still = self.camera.still(when)
        if still is None or self._record is None:
            return
        look = decision.look
        check = self.shooter.check_still(still.pixels, look)  # type: ignore[union-attr]
        if not check.ok and not manual:
            log.info("retake: %s", check.reason)
            self.storage.log_event(self._record.id, "retake", check.reason)
            self.shooter.policy.reset()  # type: ignore[union-attr]
            return
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
                crops = headshot_crops(reading.landmarks, still.pixels.shape[1::-1]) if reading else {}
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
            if isinstance(action, OpenSession):
                self._record = self.storage.start_session(action.shot_list, action.consent_text)
                self._shots_taken = 0
            elif isinstance(action, StartBaseline):
                self._baseline_frames = []
                self._baseline_until = self.clock() + BASELINE_SECONDS
                if self.camera.state.kind == "replay":
                    # Recorded footage has no sitter to ask for a resting face: score without a baseline.
                    self._baseline_until = None
                    self.shooter.set_baseline(looks.Baseline({}))  # type: ignore[union-attr]
                    self._apply(self.session.handle(Trigger.BASELINE_DONE, self.clock()))
            elif isinstance(action, LookStarted):
                self.shooter.set_target(action.look)  # type: ignore[union-attr]
                self.shooter.policy.reset()  # type: ignore[union-attr]
            elif isinstance(action, SessionEnded) and self._record is not None and action.stored:
                self.storage.end_session(self._record.id, action.outcome.value)
            if self._record is not None and getattr(action, "message", ""):
                self.storage.log_event(self._record.id, type(action).__name__, action.message)
            self._broadcast({"type": "session", "action": type(action).__name__, "message": action.message})

    def _button_start(self) -> None:
        self._actions.put((lambda: self.start_session(), queue.Queue(maxsize=1)))

    def _button_cancel(self) -> None:
        self._actions.put((lambda: self.cancel_session(), queue.Queue(maxsize=1)))

    # --- status -----------------------------------------------------------------------------------------

    def _build_status(self) -> dict:
        cam = self.camera.state
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
        record = self._record
        plan = self.session.current_look
        return {
            "state": self.session.state.value,
            "target_look": target,
            "hint": hint,
            "scenario": self.book.looks[target].scenario if target in self.book.looks else "",
            "trigger": trigger,
            "face": face,
            "shots_taken": self._shots_taken,
            "shutter_pulses": self.hardware.shutter.count if self.hardware.shutter else 0,
            "session": None
            if record is None
            else {
                "id": record.id,
                "token": record.token,
                "preset": self.session.config.shot_list_name,
                "looks": [p.look for p in self.session.config.shot_list],
                "look_index": [p.look for p in self.session.config.shot_list].index(plan.look)
                if plan
                else None,
                "message": "",
                "consent_text": self.session.config.consent_text,
            },
            "camera": {
                "kind": cam.kind,
                "running": cam.running,
                "fault": cam.fault,
                "frames": cam.frames,
                "fps": round(cam.fps, 1),
            },
            "gpio": self.hardware.status(),
            "analysis_fps": round(self._analysis_fps, 1),
            "last_shot": self._last_shot,
            "storage": {
                "free_bytes": self.storage.free_bytes(),
                "retention_days": self.settings.storage.retention_days,
            },
        }

    def _publish_status(self) -> None:
        self._status = self._build_status()
        self._broadcast({"type": "status", **self._status})

    def _broadcast(self, event: dict) -> None:
        with self._sub_lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            sub.put(event)

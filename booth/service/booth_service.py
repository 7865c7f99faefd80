"""The running booth: camera -> shooting (vision, looks, policy) -> session runner -> pins, storage, page.

A thin loop. One analysis thread owns the vision state (models are not thread-safe), the session and the
runner; the page's threads only read :meth:`BoothService.status`, subscribe to events, and queue actions
(:mod:`booth.service.actions`) that the analysis thread applies between frames. Why a published snapshot:
the analysis thread builds the status (:func:`booth.service.status.build_status`) every
:data:`STATUS_EVERY` seconds and after each action and publishes it whole, so no reader sees half of one
state. Nothing here imports Flask: :mod:`booth.web` wraps this service through its ``BoothPort``.
CPU per stage (:mod:`booth.cpu_ledger`): :attr:`BoothService.cpu` holds analysis and events, the camera its
own conversion and preview; :meth:`BoothService.cpu_split` adds them up.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from booth import config, memory, settings_check
from booth.camera import Camera, CameraFrame, open_camera
from booth.config import Settings
from booth.cpu_ledger import ANALYSIS, EVENTS, CpuLedger, CpuSplit, CpuWindow
from booth.errors import SessionBusy, SessionNotFound
from booth.hardware import Hardware
from booth.looks import LookBook
from booth.policy import PolicyParams
from booth.service.actions import ActionQueue
from booth.service.events import Event, EventHub, Subscription
from booth.service.outbound import DeliveryPort, DeliveryView, FleetPart
from booth.service.pace import AnalysisPace
from booth.service.runner import STARTABLE, SessionRunner
from booth.service.settings_change import prepare, save
from booth.service.standby import Standby, StandbyParams
from booth.service.status import BoothStatus, CameraStatus, LiveFields, StorageStatus, build_status
from booth.service.stored import StoredSessions
from booth.service.teaching import Teaching
from booth.session import Session, SessionConfig, State
from booth.shooting import FrameResult, Shooter
from booth.storage import OutboxSummary, Storage
from booth.vision.pipeline import Models

log = logging.getLogger(__name__)

STATUS_EVERY = 0.15  # seconds between status events
#: Seconds a page request waits for the analysis thread to apply its action.
ACTION_TIMEOUT = 5.0
#: A settings change may reopen the camera, which waits for the old capture thread (up to 5 s).
SETTINGS_TIMEOUT = 15.0


@dataclass(frozen=True)
class Health:
    """For /healthz and the systemd watchdog: ``frames`` counts *analysed* frames, so a dead analysis
    thread stops it advancing even while the camera keeps delivering."""

    ok: bool
    camera: str
    frames: int
    fault: str | None

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "camera": self.camera, "frames": self.frames, "fault": self.fault}


class BoothService:
    """The booth: one analysis thread applies every change; the page reads published status snapshots.

    Longer than the 300-line guide because it is the one owner of that thread: everything that must run
    on it (a session's actions, a settings change, the teach desk's host calls) is a short method here,
    and the parts with logic of their own live beside it (runner, teaching, settings_change, status)."""

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
        self.book = settings_check.checked_book(settings, "settings")
        self.storage = Storage(self.data_dir, settings.storage)
        self.camera = camera or open_camera(camera_spec or settings.camera.source, settings.camera)
        self.hardware = hardware or Hardware(settings.pins)
        self.hardware.connect_button(on_start=self._button_start, on_cancel=self._button_cancel)
        self._models = models
        self.events = EventHub()
        self._actions = ActionQueue()
        self._stored = StoredSessions(self.storage, clock)
        self.session = Session(SessionConfig.from_settings(settings.session), now=clock())
        self._start_plan = self.session.config  # what Start runs without a preset (the idle screens say it)
        self.runner = SessionRunner(
            self.session,
            self.storage,
            self.hardware,
            self.events,
            camera=lambda: self.camera,
            clock=clock,
            on_record_opened=self._stored.recount_soon,
            on_photos_final=self._deliver,
        )
        #: The cloud delivery (None: off; see :meth:`use_delivery`); its uploader starts and stops with us.
        self.delivery: DeliveryPort | None = None
        self._delivery_view: DeliveryView | None = None
        self.fleet: FleetPart | None = None  # the MQTT link or None: booth run sets it, starts it after us
        #: Why the booth starts no session (the operator or the fleet paused it); None: it takes sitters.
        self.paused: str | None = None
        self._snapshot_lock = threading.Lock()
        self._snapshot: BoothStatus | None = None  # replaced whole, never changed in place
        self._last: FrameResult | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.pace = AnalysisPace(clock())  # analysed frames: their rate, and the warning when it falls short
        self.standby = Standby(StandbyParams.from_settings(settings.standby), clock())  # when nobody is there
        self.cpu = CpuLedger()  # the analysis and the events (the page's streams charge theirs here too)
        self._cpu_lock = threading.Lock()
        self._retired_cpu = CpuSplit()  # what cameras swapped out by a settings change had counted
        self.cpu_window = CpuWindow(self.cpu_split)  # the status's split, over the last few seconds
        #: The operator page's "Teach a look" (:mod:`booth.service.teaching`), run on the analysis thread.
        self.teaching = Teaching(self, lambda action: self._actions.call(action, ACTION_TIMEOUT), clock)

    # --- life cycle -------------------------------------------------------------------------------------

    def use_delivery(self, delivery: DeliveryPort) -> None:
        """Deliver each delivered session through ``delivery``; call before :meth:`start`."""
        self.delivery = delivery
        self._delivery_view = DeliveryView(delivery, self.clock)

    def start(self) -> None:
        self.storage.open()
        if self.delivery is not None:
            self.delivery.start()  # carries on with whatever the outbox held when the booth last stopped
        self.camera.start()
        self.runner.shooter = Shooter.from_settings(self.settings, self.book, self._models)
        self._publish_status()  # status() has a snapshot from the first call on
        self._thread = threading.Thread(target=self._run, name="booth-analysis", daemon=True)
        self._actions.set_owner(self._thread)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            if not self._analysing():
                self.runner.stop_mid_session()
        finally:
            self.camera.stop()
            self.hardware.close()
            if self.delivery is not None:
                self.delivery.stop()  # an upload in flight is cut; the outbox keeps it for the next start
            self.storage.close()
            if self._models is None and self.runner.shooter and not self._analysing():
                self.runner.shooter.models.close()  # loaded here, so closed here (a caller's are its own)

    @property
    def shooter(self) -> Shooter | None:
        return self.runner.shooter

    def _analysing(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- read side -------------------------------------------------------------------------------------

    def status(self) -> BoothStatus:
        """The latest published status, with the camera and GPIO read live (cheap and consistent from any
        thread: the analysis thread publishes a whole new frozen status each time)."""
        with self._snapshot_lock:
            snapshot = self._snapshot
        if snapshot is None or not self._analysing():
            return self._build_status()
        return snapshot.with_live(self._live_fields())

    def health(self) -> Health:
        state = self.camera.state
        fault = (
            state.fault
            or self.runner.fault
            or (None if self._analysing() else "the analysis thread is not running")
        )
        return Health(fault is None and state.running, state.kind, self.pace.frames, fault)

    def preview_jpeg(self, quality: int = 75) -> tuple[int, bytes] | None:
        camera = self.camera  # one camera for both reads, even while settings swap it
        frame: CameraFrame | None = camera.latest()
        if frame is None:
            return None
        data = camera.preview_jpeg(quality)
        return (frame.sequence, data) if data else None

    def subscribe(self) -> Subscription:
        return self.events.subscribe()

    def cpu_split(self) -> CpuSplit:
        """CPU seconds by stage and camera frames since the start (subtract two for a window's split)."""
        with self._cpu_lock:
            return self.cpu.snapshot() + self._retired_cpu + self.camera.cpu.snapshot()

    def looks(self) -> list[dict[str, str]]:
        return [{"name": n, "title": r.title, "scenario": r.scenario} for n, r in self.book.looks.items()]

    def threshold_warnings(self) -> list[str]:
        """Thresholds a look cannot reach, or barely (``booth config check`` prints the same lines)."""
        return settings_check.warnings(self.settings, self.book)

    # --- actions (applied on the analysis thread, between frames) ---------------------------------------

    def start_session(self, preset: str | None = None) -> BoothStatus:
        """Start a session; ``preset`` picks its shot list for this session only (settings are unchanged)."""
        self._actions.call(lambda: self._start(preset), ACTION_TIMEOUT)
        return self.status()

    def consent(self) -> BoothStatus:
        self._actions.call(self.runner.consent, ACTION_TIMEOUT)
        return self.status()

    def cancel_session(self) -> BoothStatus:
        self._actions.call(self.runner.cancel, ACTION_TIMEOUT)
        return self.status()

    def finish(self) -> BoothStatus:
        """The sitter is done with the review screen: deliver now rather than wait for its timeout."""
        self._actions.call(self.runner.finish, ACTION_TIMEOUT)
        return self.status()

    def fire(self) -> BoothStatus:
        self._actions.call(lambda: self.runner.fire_by_hand(self._last), ACTION_TIMEOUT)
        return self.status()

    def pause(self, reason: str = "paused by the operator") -> BoothStatus:
        """Start no session until :meth:`resume` (a running one goes on to its end)."""
        self._actions.call(lambda: self._set_paused(reason.strip() or "paused"), ACTION_TIMEOUT)
        return self.status()

    def resume(self) -> BoothStatus:
        self._actions.call(lambda: self._set_paused(None), ACTION_TIMEOUT)
        return self.status()

    def reload_looks_now(self) -> None:
        """Read the looks file again (the fleet's "reload looks"); a bad file raises its one-line error."""
        self._actions.call(self.reload_looks, ACTION_TIMEOUT)

    def outbox(self) -> OutboxSummary | None:
        """The cloud delivery's queue (None when delivery is off)."""
        return self.delivery.summary() if self.delivery is not None else None

    def _set_paused(self, reason: str | None) -> None:
        if reason != self.paused:
            log.info("booth %s", f"paused: {reason}" if reason else "resumed")
        self.paused = reason

    def _deliver(self, session_id: int) -> None:
        """The runner stored a delivered session: queue its upload (local work only; never the network)."""
        if self.delivery is not None:
            self.delivery.deliver(session_id)

    def delete_session(self, session_id: int, reason: str = "deleted by the operator") -> None:
        """Delete a stored session (files and rows); a running one must end first."""
        record = self.storage.session(session_id)
        if record is None:
            raise SessionNotFound(f"no session {session_id}")
        if record.status == "active":
            raise SessionBusy(f"session {session_id} is still running; end it before deleting it")
        if self.runner.on_screen(session_id):
            raise SessionBusy(
                f"session {session_id} is still on the booth's screen; delete it once the booth is idle"
            )
        self.storage.delete_session(session_id, reason)
        if self.delivery is not None:
            self.delivery.wake()  # its remote copies go now, not at the uploader's next look

    def update_settings(self, changes: Mapping[str, Any]) -> Settings:
        """Validate ``changes`` over the settings in effect, persist them over the config file's own
        contents and apply them (see :func:`booth.service.settings_change.prepare`). A new ``camera.source``
        reopens the camera now; other camera keys and the pins apply at the next start; session changes
        from the next session."""
        return self._actions.call(lambda: self._update_settings(changes), SETTINGS_TIMEOUT)

    def _start(self, preset: str | None) -> None:
        if self.paused is not None:
            raise SessionBusy(f"the booth is paused ({self.paused}); resume it on the operator page")
        session_settings = self.settings.session
        if preset:
            merged = config.deep_merge(
                self.settings.model_dump(mode="json"), {"session": {"shot_list": preset}}
            )
            chosen = config.validate(merged, "preset")
            settings_check.check(chosen, self.book, "preset")
            session_settings = chosen.session
        self.runner.start(SessionConfig.from_settings(session_settings))

    def _update_settings(self, changes: Mapping[str, Any]) -> Settings:
        change = prepare(
            self.settings,
            self.book,
            changes,
            config_path=self.config_path,
            base_config_path=self.base_config_path,
            idle=self.session.state in STARTABLE,
        )
        save(change, self.config_path)
        self.settings = new = change.settings
        shooter = self.runner.shooter
        if change.book is not None:
            self.book = change.book
            self.show_book(self.teaching.overlay(change.book))  # a look on trial stays on trial
        if shooter is not None:
            shooter.set_policy(PolicyParams.from_settings(new.policy))
        self.standby.params = StandbyParams.from_settings(new.standby)
        self._start_plan = SessionConfig.from_settings(new.session)
        # Never swap the shot list under a running session, nor under an end screen still showing its plan;
        # every start builds its own from the settings anyway.
        if self.session.state is State.IDLE:
            self.session.config = self._start_plan
        if change.camera is not None:
            self._swap_camera(change.camera)
        return new

    # --- what the teach-a-look desk needs (booth.service.teaching.TeachHost; analysis thread) --------------

    def show_book(self, book: LookBook) -> None:
        """Have the live scorer score ``book`` (the booth's looks, with a preview look laid over them)."""
        if self.runner.shooter is not None:
            self.runner.shooter.set_book(book)

    def is_idle(self) -> bool:
        return self.session.state in STARTABLE

    def apply_settings(self, changes: Mapping[str, Any]) -> Settings:
        return self._update_settings(changes)

    def reload_looks(self) -> None:
        """The looks file changed on disk: load and check the looks again, as a start would."""
        self.book = settings_check.checked_book(self.settings, "looks")
        self.show_book(self.teaching.overlay(self.book))

    def _swap_camera(self, camera: Camera) -> None:
        """Stop the old capture and start ``camera`` (its faults show in its state; they do not raise)."""
        old = self.camera
        log.info("camera source changed: %s -> %s", old.state.kind, self.settings.camera.source)
        old.stop()
        with self._cpu_lock:
            self._retired_cpu += old.cpu.snapshot()
            self.camera = camera.start()
        if self.runner.shooter is not None:
            # The new source's clock and frames have nothing to do with the old.
            self.runner.shooter.reset_hold()

    def _button_start(self) -> None:
        self._actions.post("button start", lambda: self._start(None))

    def _button_cancel(self) -> None:
        self._actions.post("button cancel", self.runner.cancel)

    # --- the analysis loop ------------------------------------------------------------------------------

    def _run(self) -> None:
        """The analysis loop. Nothing that goes wrong in one frame or one save may end it (see
        :meth:`SessionRunner.guarded`); the loop carries on with the next frame."""
        runner = self.runner
        last_seq, last_status = 0, 0.0
        last_trim = self.clock()
        camera = self.camera
        while not self._stop.is_set():
            self._actions.drain(lambda: runner.guarded("publishing the status", self._publish_status))
            if self.camera is not camera:  # swapped by a settings change: its sequence starts again
                camera, last_seq = self.camera, 0
            frame = camera.wait_frame(last_seq, timeout=0.25)
            now = self.clock()

            def timing(now: float = now) -> None:
                runner.tick(now, self.camera.state.fault)

            runner.guarded("session timing", timing)
            if frame is not None:
                last_seq = frame.sequence
                if self.standby.wants(now, may_rest=self._may_rest(now)):
                    result = self._analyse(frame, now)
                    if result is not None:
                        save = functools.partial(runner.on_frame, result, now)
                        runner.guarded("saving the shot", save, retake_on_bug=True)
            camera.resting = self.standby.resting  # at rest: only the frames read are converted, no stills
            self._tick_pace(now)
            self.cpu_window.tick(now)
            if now - last_status > STATUS_EVERY:
                runner.guarded("publishing the status", self._publish_status)
                last_status = now
            if now - last_trim > memory.TRIM_EVERY_S:  # resident memory stays flat (booth.memory)
                memory.trim_free_heap()
                last_trim = now

    def _may_rest(self, now: float) -> bool:
        """Standby is for the empty booth only: never during a session or while the teach desk records."""
        return self.session.state in STARTABLE and not self.teaching.recorder.recording(now)

    def _tick_pace(self, now: float) -> None:
        """The analysed rate over the last second, and the warning logged as it comes and goes."""
        state, before = self.camera.state, self.pace.pace.warning
        judged = state.running and state.fault is None and self.runner.shooter is not None
        held = self.standby.resting
        warning = self.pace.tick(now, state.fps, self.settings.camera.fps, judged, held).warning
        if warning and not before:
            log.warning("%s", warning)
        elif before and not warning:
            log.info("the analysis keeps the camera's pace again (%.1f frames/s)", self.pace.pace.fps)

    def _analyse(self, frame: CameraFrame, now: float) -> FrameResult | None:
        """One frame through the shooter for the session's target look; None if the analysis failed."""
        shooter = self.runner.shooter
        if shooter is None:
            return None
        try:  # the models' helper thread (more than one interpreter thread) counts its own CPU: analysis too
            pixels = frame.pixels  # first: a frame converted on demand charges that to the camera, not here
            with self.cpu.measure(ANALYSIS, elsewhere=lambda: shooter.models.helper_cpu_seconds):
                result = shooter.step(
                    pixels,
                    frame.timestamp,
                    frame.sequence,
                    self.session.target_look,
                    clock=self.clock,
                    may_fire=self.session.state is State.SHOOTING,
                )
        except Exception:  # a bad frame must not stop the booth
            log.exception("analysis failed on frame %d", frame.sequence)
            return None
        self._last = result
        self.pace.analysed()
        self.standby.analysed(now, len(result.faces))
        # A take of "Teach a look" keeps the subject's signals; returns at once while nothing records.
        subject = result.subject
        self.teaching.recorder.on_frame(subject[0] if subject else None, shooter.baseline, self.clock())
        return result

    # --- status -----------------------------------------------------------------------------------------

    def _live_fields(self) -> LiveFields:
        """What other threads own and lock themselves: safe and cheap to read on any thread."""
        cam = self.camera.state
        camera = CameraStatus(cam.kind, cam.running, cam.fault, cam.frames, round(cam.fps, 1))
        return LiveFields(camera, self.hardware.status(), self.hardware.shots)

    def _build_status(self) -> BoothStatus:
        runner, last, now, record = self.runner, self._last, self.clock(), self.runner.record
        view = self._delivery_view
        delivery, link = view.read(record.id if record else None) if view is not None else (None, None)
        return build_status(
            session=self.session,
            scenarios={name: recipe.scenario for name, recipe in self.book.looks.items()},
            last=last.decision if last else None,
            subject=last.subject if last else None,
            record=(record.id, record.token) if record else None,
            message=runner.message,
            retakes=runner.retakes,
            fault=runner.fault,
            last_shot=runner.last_shot,
            live=self._live_fields(),
            pace=self.pace.pace,
            standby=self.standby.resting,
            cpu_ms_per_frame=self.cpu_window.latest,
            storage=StorageStatus(
                self.storage.free_bytes(), self.settings.storage.retention_days, self._stored.count()
            ),
            now=now,
            start_plan=self._start_plan,
            baseline=runner.baseline_status(now),
            shutter=runner.tally.snapshot(),
            paused=self.paused,
            delivery=delivery,
            link=link,
        )

    def _publish_status(self) -> None:
        """Build the status on the analysis thread (which owns what it reads) and publish it whole."""
        with self.cpu.measure(EVENTS):
            status = self._build_status()
            with self._snapshot_lock:
                self._snapshot = status
            self.events.publish(Event("status", status.to_json(), status.to_json(trusted=False)))

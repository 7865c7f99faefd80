"""The session runner: carries out the session's :class:`~booth.session.Action` s against storage, the
shooter and the pins, on the analysis thread.

The session (:mod:`booth.session`) decides; the runner does. It owns what the doing needs and nothing the
session already knows: the stored record and whether it was closed, the sentence on screen, the retakes,
the last kept photo and the fault that paused or ended the session. The target look, the shot counts and
the progress are read from the session, never copied.

Errors: a booth error (storage full or failing) ends the running session at once, its kept photos safe, with
the reason on the kiosk and in the status's ``fault`` until the booth is idle again. Any other error is a
bug in one frame's handling: logged with its traceback and, during a shot, counted as a retake; the session
carries on (see :meth:`SessionRunner.guarded`). Camera faults pause the session (FAULT) and resume it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from booth.best_frame import Candidate
from booth.camera import Camera
from booth.camera.base import CameraFrame
from booth.crops import headshot_crops
from booth.errors import BoothError, StorageError
from booth.hardware import Hardware
from booth.looks import Baseline
from booth.policy import Decision
from booth.service.baseline import BaselineCollector
from booth.service.events import Event, EventHub
from booth.service.lights import pattern_for
from booth.service.status import BaselineStatus, ShotRef
from booth.service.tally import ShutterTally
from booth.session import (
    ACTIVE,
    Action,
    CandidateRejected,
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
from booth.shooting import FrameResult, Shooter, StillCheck, build_candidate, live_candidate
from booth.storage import SessionRecord, Storage

log = logging.getLogger(__name__)

#: States from which a new session may start (an end screen need not run out first).
STARTABLE = (State.IDLE, State.DELIVERED, State.EXPIRED, State.ABORTED)


class SessionRunner:
    """Carries out one booth's sessions, sitter after sitter. Not thread-safe: the analysis thread only.

    Longer than the 300-line guide because taking a shot is one sequence over the state this class owns
    (the record, the tally, the last shot, the retakes): hold back, fire, take each still, check, offer,
    store or discard. Split across classes, each step would reach back into the other's state; the parts
    with logic of their own already live beside it (baseline, tally, status, lights)."""

    def __init__(
        self,
        session: Session,
        storage: Storage,
        hardware: Hardware,
        events: EventHub,
        camera: Callable[[], Camera],
        clock: Callable[[], float],
        on_record_opened: Callable[[], None] = lambda: None,
        on_photos_final: Callable[[int], None] = lambda session_id: None,
    ) -> None:
        self.session = session
        self.storage = storage
        self.hardware = hardware
        self.events = events
        self._camera = camera
        self.clock = clock
        self._on_record_opened = on_record_opened
        #: Queues the cloud delivery (BoothService) once no more photos can come: on the review screen, so
        #: the cloud link is on screen while the sitter scans it, and again at delivery (a no-op then).
        self._on_photos_final = on_photos_final
        self.shooter: Shooter | None = None  # set once the models are loaded (BoothService.start)
        self.record: SessionRecord | None = None  # stored session on screen, until the booth is idle
        self._record_ended = False  # end_session was called for record
        self.message = ""  # the latest session action's sentence for the sitter
        self.retakes = 0
        self.last_shot: ShotRef | None = None
        self.fault: str | None = None  # why the booth paused or ended the session; None while all is well
        self._fault_from_camera = False
        self._baseline = BaselineCollector()
        self.tally = ShutterTally()  # the session's fires, pulses and what became of each still

    def _shooter(self) -> Shooter:
        if self.shooter is None:
            raise BoothError("the booth is still starting; try again in a moment")
        return self.shooter

    # --- what the sitter and the operator ask for -------------------------------------------------------

    def start(self, config: SessionConfig) -> None:
        if self.session.state not in STARTABLE:
            raise BoothError("a session is already running; cancel it first")
        self.storage.check_can_start()
        self.session.config = config
        self.apply(self.session.handle(Trigger.START, self.clock()))

    def consent(self) -> None:
        self.apply(self.session.handle(Trigger.CONSENT, self.clock()))

    def cancel(self) -> None:
        trigger = Trigger.DECLINE if self.session.state is State.WELCOME else Trigger.ABORT
        self.apply(self.session.handle(trigger, self.clock()))

    def finish(self) -> None:
        if self.session.state is not State.REVIEW:
            raise BoothError(
                f"nothing to finish: the booth is {self.session.state.value}; "
                "finish only from the review screen"
            )
        self.apply(self.session.handle(Trigger.FINISH, self.clock()))

    def fire_by_hand(self, last: FrameResult | None) -> None:
        decision = self._shooter().manual(last, self.session.target_look, self.clock())
        self.shoot(decision, manual=True, live=live_candidate(last, decision.look) if last else None)

    def on_screen(self, session_id: int) -> bool:
        return self.record is not None and self.record.id == session_id

    # --- every frame ----------------------------------------------------------------------------------

    def on_frame(self, result: FrameResult, now: float) -> None:
        """The session's view of one analysed frame: presence, the baseline, the light and the shot."""
        if result.faces:
            self.session.face_seen(now)
        state = self.session.state
        subject = result.subject
        if state is State.BASELINE:
            # A frame without the subject breaks the rest run: the step waits for the sitter.
            baseline = self._baseline.add(subject[0] if subject is not None else None, now)
            if baseline is not None:
                log.info(
                    "baseline: rest face from %d frames; %s", baseline.frames, baseline.calibration.describe()
                )
                self._shooter().set_baseline(baseline)
                if self.record is not None:
                    self.log_event(self.record.id, "baseline", f"Rest face from {baseline.frames} frames.")
                self.apply(self.session.handle(Trigger.BASELINE_DONE, now))
        decision = result.decision
        self.hardware.show(
            pattern_for(decision.state, state is State.SHOOTING, calibrating=state is State.BASELINE)
        )
        if decision.fire and state is State.SHOOTING:
            live = live_candidate(result, decision.look)
            if not self._hold_back(live):
                self.shoot(decision, live=live)

    def _hold_back(self, live: Candidate | None) -> bool:
        """Do not fire for a pose the session would throw away as a duplicate of a shot already kept: with
        a tethered camera every pulse is an exposure on the card. The policy's cooldown runs as after a
        fire, so the sitter is asked for a variation rather than fired at again and again."""
        if live is None or self.record is None:
            return False
        rejected = self.session.rejection(live, live=True)
        if rejected is None or rejected.reason != "near duplicate":
            return False
        self.tally.hold_back()
        self._shooter().disarm()
        log.info("not fired: %s", rejected.message)
        self.log_event(self.record.id, "held back", f"Not fired: {rejected.message}")
        self.apply([rejected])
        return True

    def baseline_status(self, now: float) -> BaselineStatus | None:
        """What the kiosk shows during the baseline step: the time left, the rest run's progress and what
        the step waits for."""
        if self.session.state is not State.BASELINE:
            return None
        left = self.session.state_remaining(now)
        return BaselineStatus(
            seconds_left=round(left, 1) if left is not None else None,
            progress=round(self._baseline.progress(now), 2),
            waiting_for=self._baseline.waiting_for,
        )

    def tick(self, now: float, camera_fault: str | None) -> None:
        """Session timeouts, and the camera's faults carried into the session (pause, then resume)."""
        if camera_fault:
            if self.fault is None or self._fault_from_camera:
                self._pause(camera_fault)
        elif self._fault_from_camera:
            self.fault, self._fault_from_camera = None, False
            if self.session.state is State.FAULT:
                self.apply(self.session.handle(Trigger.RECOVER, now))
        self.apply(self.session.tick(now))

    def guarded(self, what: str, step: Callable[[], Any], *, retake_on_bug: bool = False) -> None:
        """Run one step of the loop so that no error ends the analysis thread (see the module docstring).

        ``retake_on_bug``: the step may be taking a shot, so a bug in it counts as a retake while shooting.
        """
        try:
            step()
        except BoothError as err:
            log.error("%s failed: %s", what, err)
            self.end_for(str(err))
        except Exception:
            log.exception("%s failed", what)
            if retake_on_bug and self.session.state is State.SHOOTING:
                self.retakes += 1
                if self.shooter is not None:
                    self.shooter.disarm()

    # --- shooting -------------------------------------------------------------------------------------

    def shoot(self, decision: Decision, manual: bool = False, live: Candidate | None = None) -> None:
        """Fire the external camera, keep the still of the peak frame (and its burst neighbours), each
        re-checked; if none passes, count a retake and let the policy try again after its cooldown.
        ``live``: the live frame fired on, which the session keeps to hold back later duplicates."""
        pulses = max(1, len(decision.burst))
        self.hardware.fire(pulses)
        self.events.publish(Event("fire", {"look": decision.look, "manual": manual}))
        if self.record is None:
            return
        self.tally.fired(pulses)
        shooter = self._shooter()
        peak = decision.peak_timestamp if decision.peak_timestamp is not None else decision.timestamp
        moments = [ref.timestamp for ref in decision.burst] or [peak]
        reasons = []
        for index, when in enumerate(moments):
            try:
                reason = self._take_still(decision.look, when, manual, live)
            except BoothError:  # storage failing: the session ends; the burst's other stills are not taken
                for _ in moments[index + 1 :]:
                    self._discard(decision.look, "not kept: the session ended on a storage error")
                raise
            except Exception:  # a bug with this still: the others of the burst still count
                log.exception("checking a still of %s failed", decision.look)
                reason = "an error while checking the still (see the booth's log)"
            if reason is not None:
                reasons.append(reason)
                self._discard(decision.look, reason)
        if reasons and len(reasons) == len(moments):
            self.retakes += 1
            log.info("retake %d: %s", self.retakes, "; ".join(reasons))
            self.log_event(self.record.id, "retake", "; ".join(reasons))
            shooter.disarm()  # the fire's cooldown stands

    def _take_still(self, look: str, when: float, manual: bool, live: Candidate | None) -> str | None:
        """The still of one moment of a fire, checked and offered; why it was not kept, or None if it was.
        A still that failed to store is discarded by :meth:`_keep` before its error goes on."""
        still = self._camera().still(when)
        if still is None:
            return "no still for that moment (ring buffer too short)"
        check = self._shooter().check_still(still.pixels, look)
        if not (check.ok or manual):
            return check.reason
        return self._keep(look, still, check, live, manual)

    def _keep(
        self, look: str, still: CameraFrame, check: StillCheck, live: Candidate | None, manual: bool
    ) -> str | None:
        """Offer one checked still to the session and store it if kept; why not, if it was not."""
        candidate = build_candidate(look, check, still.timestamp, still.sequence)
        why = None
        for action in self.session.offer(candidate, self.clock(), trigger=live, by_hand=manual):
            if isinstance(action, SaveCandidate):
                try:
                    self._store(look, still, check, action)
                except Exception:
                    self.session.withdraw(candidate)  # not stored: the sitter's count must not show it
                    self._discard(look, "could not be stored")
                    raise
                self.tally.keep()
            else:
                if isinstance(action, CandidateRejected):
                    why = action.message
                self.apply([action])
        return why

    def _discard(self, look: str, reason: str) -> None:
        """A still the shutter took that is not kept: counted, logged and written to the session's events."""
        self.tally.discard(look, reason)
        log.info("still discarded (%s): %s", look, reason)
        if self.record is not None:
            self.log_event(self.record.id, "discarded", f"A {look} still was discarded: {reason}.")

    def _store(self, look: str, still: CameraFrame, check: StillCheck, action: SaveCandidate) -> None:
        record = self.record
        assert record is not None  # shoot() keeps stills only for a stored session
        reading, result = check.reading, check.result
        crops, signals = {}, None
        if reading is not None:
            height, width = still.pixels.shape[:2]
            crops = headshot_crops(reading.landmarks, (width, height), landmark_size=check.size)
            # What the looks scored on this still, kept so the photographer's marks can refit the look.
            signals = self._shooter().baseline.signals_of(reading)
        shot = self.storage.add_shot(
            record.id,
            look,
            still.pixels,
            scores=result.scores if result else {},
            verdicts=result.to_json() if result else {},
            combined=action.combined,
            crops=crops,
            best=action.best_so_far,
            signals=signals,
        )
        self.last_shot = ShotRef(shot.id, look, record.token)
        data = {"id": shot.id, "look": look}
        self.events.publish(Event("shot", {**data, "session_token": record.token}, data))

    # --- carrying out the session's actions -------------------------------------------------------------

    def apply(self, actions: list[Action]) -> None:
        for action in actions:
            record = self.record
            if not isinstance(action, StateChanged | Ignored):  # those sentences are for the log only
                self.message = action.message  # before the branches: those may apply newer actions
            self._carry_out(action)
            if record is not None and action.message:
                self.log_event(record.id, type(action).__name__, action.message)
            data = {"action": type(action).__name__, "message": action.message}
            self.events.publish(Event("session", data))

    def _carry_out(self, action: Action) -> None:
        if isinstance(action, OpenSession):
            self.tally.reset()
            try:
                self.record = self.storage.start_session(action.shot_list, action.consent_text)
            except Exception as err:
                # Nothing stored (a full disk, a folder that cannot be made): no sitter shoots a session
                # that keeps nothing. Aborted with the reason on screen; the next start checks again.
                reason = f"The session could not start: {err}"
                self.end_for(reason)
                if not isinstance(err, BoothError):
                    log.exception("opening the session failed")
                    raise StorageError(reason) from err
                raise type(err)(reason) from None
            self._record_ended = False
            self._on_record_opened()
        elif isinstance(action, StartBaseline):
            self._begin_baseline()
        elif isinstance(action, StateChanged) and action.new is State.BASELINE and action.old is State.FAULT:
            self._baseline.begin(self.clock())  # back from a pause: the rest run starts again, settling too
        elif (
            isinstance(action, StateChanged) and action.old is State.BASELINE and action.new is State.SHOOTING
        ):
            self._end_baseline(timed_out=action.trigger is Trigger.TIMEOUT)
        elif isinstance(action, LookStarted):
            self._shooter().reset_hold()
        elif isinstance(action, SessionEnded) and action.stored:
            self.end_record(action.outcome)
        elif isinstance(action, StateChanged) and action.new is State.REVIEW:
            self._photos_final()  # the cloud link goes on the review screen, while the sitter is there
        elif isinstance(action, StateChanged) and action.new in (State.IDLE, State.WELCOME):
            self._forget()  # idle, or the next sitter: nothing of the last session shows

    def _begin_baseline(self) -> None:
        # The last sitter's rest face and lens are theirs alone: nothing of them judges the next one.
        self._shooter().set_baseline(Baseline({}))
        self._baseline.begin(self.clock())

    def _end_baseline(self, timed_out: bool) -> None:
        """Leaving the baseline step: if it timed out, say so and score against the neutral default rest
        (:data:`booth.looks.rest.POPULATION_REST`, which an empty baseline stands for)."""
        if timed_out:
            waiting = self._baseline.waiting_for or "no reason recorded"
            log.info("baseline: no rest face in time (last: %s); using the neutral default rest", waiting)
            self._shooter().set_baseline(Baseline({}))
            if self.record is not None:
                self.log_event(self.record.id, "baseline", f"Neutral default rest (no rest face: {waiting}).")
        self._baseline.cancel()

    def end_for(self, reason: str) -> None:
        """End the running session because of ``reason`` (never raises: it runs inside error handling)."""
        self.fault = reason
        try:
            if self.session.state in ACTIVE or self.session.state is State.FAULT:
                self.apply(self.session.handle(Trigger.ABORT, self.clock()))
            self.message = reason
        except Exception:
            log.exception("could not end the session after: %s", reason)

    def _pause(self, reason: str) -> None:
        """Pause the running session (FAULT) while the camera is away; :meth:`tick` resumes it."""
        self.fault, self._fault_from_camera = reason, True
        if self.session.state in ACTIVE:
            self.apply(self.session.handle(Trigger.FAULT, self.clock()))

    def log_event(self, session_id: int, kind: str, message: str) -> None:
        """Best effort: an event that cannot be written (storage failing) must not stop the booth."""
        try:
            self.storage.log_event(session_id, kind, message)
        except BoothError as err:
            log.warning("event %r of session %d not recorded (%s)", kind, session_id, err)

    def end_record(self, outcome: State) -> None:
        """Close the stored session once, whatever ends it (an end state, or the booth stopping)."""
        if self.record is None or self._record_ended:
            return
        self._record_ended = True
        try:
            self.storage.end_session(self.record.id, outcome.value)
        except BoothError as err:  # the next start's recovery marks it aborted
            log.warning("session %d not closed in storage (%s)", self.record.id, err)
            return
        if outcome is State.DELIVERED:
            self._photos_final()

    def _photos_final(self) -> None:
        """Hand the stored session to the cloud delivery (idempotent; never raises). A session that kept
        no photo has nothing to deliver: no empty gallery goes to the bucket."""
        if self.record is None or self.last_shot is None:
            return
        try:
            self._on_photos_final(self.record.id)
        except Exception:  # the photos are stored; a delivery that cannot be queued is logged, not fatal
            log.exception("session %d: its cloud delivery could not be queued", self.record.id)

    def stop_mid_session(self) -> None:
        """A clean shutdown mid-session: close it now rather than leave it to the next start's recovery."""
        if self.record is not None and not self._record_ended:
            self.log_event(self.record.id, "stopped", "The booth stopped mid-session.")
            self.end_record(State.ABORTED)

    def _forget(self) -> None:
        self.record, self._record_ended = None, False
        self.retakes = 0
        if not self._fault_from_camera:
            self.fault = None  # a storage fault ended with its session; the next start checks the disk again
        self.last_shot = None
        self.message = ""
        self.tally.reset()
        self._baseline.cancel()

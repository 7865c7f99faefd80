"""One sitter's session as an explicit state machine: consent, baseline, a shot list of looks, review.

Why a table: every way a session can move is one line of :data:`TRANSITIONS`, so the tests can walk the whole
table and nothing moves by accident (a stray button press in the wrong state is reported as
:class:`Ignored`, never acted on). The machine is pure: no camera, clock, database or thread. The caller
passes monotonic seconds (``now``) into :meth:`Session.handle`, :meth:`Session.tick`, :meth:`Session.offer`
and :meth:`Session.face_seen`, and carries out the :class:`Action` dataclasses they return (store a photo,
show a sentence, close the session). Each action carries a human sentence (``message``) for the screen and
the events log.

Nothing is stored before consent: the first action that asks for a write is :class:`OpenSession`, emitted on
the ``consent`` trigger.

Which kept frame is a look's best, and which candidates are near-duplicates, is :mod:`booth.best_frame`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from booth import shot_lists
from booth.best_frame import Candidate, ScoreParams, combined_score, is_near_duplicate
from booth.session.actions import (
    Action,
    CandidateRejected,
    Ignored,
    LookFinished,
    LookStarted,
    OpenSession,
    ReviewReady,
    SaveCandidate,
    SessionEnded,
    StartBaseline,
    StateChanged,
)
from booth.session.progress import LookProgress, LookState, MissedBecause, Progress, seconds_left
from booth.session.states import ACTIVE, ENDED, RESUME, TRANSITIONS, State, Trigger
from booth.shot_lists import LookPlan

__all__ = [
    "ACTIVE",
    "ENDED",
    "RESUME",
    "TRANSITIONS",
    "Action",
    "CandidateRejected",
    "Ignored",
    "LookFinished",
    "LookProgress",
    "LookStarted",
    "LookState",
    "MissedBecause",
    "OpenSession",
    "Progress",
    "ReviewReady",
    "SaveCandidate",
    "Session",
    "SessionConfig",
    "SessionEnded",
    "StartBaseline",
    "State",
    "StateChanged",
    "Trigger",
]

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------------- config


@dataclass(frozen=True)
class SessionConfig:
    """Everything the machine needs, as plain frozen values (see :meth:`from_settings`; the defaults live
    once, in ``booth.config``). ``timeouts[SHOOTING]`` runs from the last time a face was seen."""

    shot_list: tuple[LookPlan, ...]
    shot_list_name: str
    consent_text: str
    timeouts: Mapping[State, float]
    score: ScoreParams
    duplicate_landmark_tol: float
    duplicate_score_tol: float

    @classmethod
    def from_settings(cls, s: Any) -> SessionConfig:
        """Build from a :class:`booth.config.SessionSettings` (read by attribute; no import of config)."""
        end = s.end_screen_seconds
        return cls(
            shot_list=shot_lists.resolve(
                s.shot_list, s.custom_shot_lists, s.shots_per_look, s.look_seconds, s.per_look
            ),
            shot_list_name=s.shot_list,
            consent_text=s.consent_text,
            timeouts={
                State.WELCOME: s.welcome_timeout,
                State.BASELINE: s.baseline_timeout,
                State.SHOOTING: s.absent_timeout,
                State.REVIEW: s.review_timeout,
                State.FAULT: s.fault_timeout,
                State.DELIVERED: end,
                State.EXPIRED: end,
                State.ABORTED: end,
            },
            score=ScoreParams(dict(s.weights), s.sharpness_scale, s.face_size_target),
            duplicate_landmark_tol=s.duplicate_landmark_tol,
            duplicate_score_tol=s.duplicate_score_tol,
        )


# ----------------------------------------------------------------------------------------------- machine


@dataclass
class _Kept:
    candidate: Candidate
    combined: float
    trigger: Candidate | None = None  # the live frame the shutter fired on, when the caller gave it


class Session:
    """The state machine of one booth; reusable for sitter after sitter (end screens return to idle).

    Longer than the 300-line guide because it is the one owner of the session's state (the look being shot,
    the photos kept per look, the timers): every query and every move reads that state directly. The table,
    the actions and the progress view already live beside it (``states``, ``actions``, ``progress``)."""

    def __init__(self, config: SessionConfig, now: float = 0.0) -> None:
        self.config = config
        self.state = State.IDLE
        self._entered = now
        self._last_face = now
        self._resume_to: State | None = None
        self._fault_started = now
        self._opened = False
        self._look_index = 0
        self._look_started = now
        self._look_open = False
        self._looks_begun = False  # the first look started (the shot list shows progress from then on)
        self._finished: dict[int, str] = {}  # shot-list index -> why that look finished (LookFinished.reason)
        # Kept photos by shot-list position: a look listed twice is two entries, each with its own photos.
        self._kept: dict[int, list[_Kept]] = {}

    # -- queries ---------------------------------------------------------------------------------------

    @property
    def opened(self) -> bool:
        """True once consent was given (a session record exists) until the machine is back at idle."""
        return self._opened

    @property
    def current_look(self) -> LookPlan | None:
        if self.state is not State.SHOOTING or self._look_index >= len(self.config.shot_list):
            return None
        return self.config.shot_list[self._look_index]

    @property
    def target_look(self) -> str:
        """The look the booth waits for: the current one while shooting, else the one the shot list is at
        (its first before a session). The one home of the target: the trigger and the page read it here."""
        plans = self.config.shot_list
        return plans[min(self._look_index, len(plans) - 1)].look

    def progress(self, now: float | None = None) -> Progress:
        """Where the sitter is, look by look; with ``now``, also the time left for the look and session."""
        plans = self.config.shot_list
        index = min(self._look_index, len(plans) - 1) if self._looks_begun else None
        plan = tuple(self._look_progress(i, p) for i, p in enumerate(plans))
        look_left = self.look_remaining(now) if now is not None else None
        return Progress(
            looks=tuple(p.look for p in plans),
            look_index=index,
            # Every kept photo counts, also one of a look a settings change took off the list meanwhile.
            kept={**{p.look: 0 for p in plans}, **self._kept_by_look()},
            plan=plan,
            look_seconds_left=look_left,
            seconds_left=seconds_left(plan, look_left),
        )

    def _look_progress(self, index: int, plan: LookPlan) -> LookProgress:
        kept = len(self._kept.get(index, []))
        over = self._opened and self.state in (State.REVIEW, *ENDED)
        why = self._finished.get(index)
        if why is None and self._look_open and index == self._look_index:
            state, because = LookState.CURRENT, MissedBecause.NONE
        elif why is None and not over:
            state, because = LookState.NEXT, MissedBecause.NONE
        elif kept:
            state, because = LookState.DONE, MissedBecause.NONE
        else:  # finished with nothing kept, or never reached before the session ended
            state = LookState.MISSED
            because = MissedBecause.TIME if why == "time" else MissedBecause.STOPPED
        return LookProgress(plan.look, plan.shots, plan.seconds, kept, state, because)

    def state_remaining(self, now: float) -> float | None:
        """Seconds until the current state's timeout (None for a state without one). While shooting the
        timeout runs from the last face seen (walked away), so this is not the look's time left."""
        limit = self.config.timeouts.get(self.state)
        if limit is None:
            return None
        since = self._last_face if self.state is State.SHOOTING else self._entered
        return max(0.0, limit - (now - since))

    def look_remaining(self, now: float) -> float | None:
        """The current look's time left; during a fault that paused it, the time it had left, frozen."""
        if self.state is State.FAULT and self._look_open:
            paused = self.config.shot_list[self._look_index]
            return max(0.0, paused.seconds - (self._fault_started - self._look_started))
        plan = self.current_look
        return None if plan is None else max(0.0, plan.seconds - (now - self._look_started))

    def withdraw(self, candidate: Candidate) -> None:
        """The caller could not store a candidate this session kept: it no longer counts (nor is best)."""
        for kept in self._kept.values():
            kept[:] = [k for k in kept if k.candidate is not candidate]

    def kept(self, look: str) -> list[tuple[Candidate, float]]:
        return [(k.candidate, k.combined) for k in self._all_kept() if k.candidate.look == look]

    def best(self) -> dict[str, Candidate]:
        """Best kept candidate of each look that has one, by :func:`combined_score`."""
        best: dict[str, _Kept] = {}
        for k in self._all_kept():
            look = k.candidate.look
            if look not in best or k.combined > best[look].combined:
                best[look] = k
        return {look: k.candidate for look, k in best.items()}

    def _all_kept(self) -> list[_Kept]:
        return [k for entry in self._kept.values() for k in entry]

    def _kept_by_look(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for k in self._all_kept():
            counts[k.candidate.look] = counts.get(k.candidate.look, 0) + 1
        return counts

    # -- inputs ----------------------------------------------------------------------------------------

    def handle(self, trigger: Trigger | str, now: float) -> list[Action]:
        """Apply a trigger; returns the actions, or one :class:`Ignored` if the table has no such move."""
        trigger = Trigger(trigger)
        target = TRANSITIONS.get((self.state, trigger))
        if target is None:
            log.debug("ignored %s in %s", trigger, self.state)
            return [
                Ignored(state=self.state, trigger=trigger, message=f"{trigger} does nothing in {self.state}")
            ]
        if target == RESUME:
            target = self._resume_to or State.IDLE
        return self._move(State(target), trigger, now)

    def face_seen(self, now: float) -> None:
        """The caller saw the sitter's face: resets the shooting state's walked-away timer."""
        self._last_face = now

    def tick(self, now: float) -> list[Action]:
        """Run timeouts and the look budget; call it every frame or so."""
        actions: list[Action] = []
        if self.state is State.SHOOTING:
            plan = self.current_look
            if plan is not None and now - self._look_started >= plan.seconds:
                actions += self._finish_look("time", now)
                if self.state is not State.SHOOTING:
                    return actions
        limit = self.config.timeouts.get(self.state)
        since = self._last_face if self.state is State.SHOOTING else self._entered
        if limit is not None and now - since >= limit:
            actions += self._move(State(TRANSITIONS[(self.state, Trigger.TIMEOUT)]), Trigger.TIMEOUT, now)
        return actions

    def offer(
        self, candidate: Candidate, now: float, trigger: Candidate | None = None, by_hand: bool = False
    ) -> list[Action]:
        """A frame the trigger fired on: keep it (:class:`SaveCandidate`) or say why not. ``trigger`` is the
        live frame the shutter fired on, kept to compare the next live frames with (:meth:`rejection`).
        ``by_hand``: the operator fired; they asked for this frame, so it is kept even if it repeats one."""
        plan = self.current_look
        if plan is None:
            return [
                CandidateRejected(candidate=candidate, reason="not shooting", message="Not shooting now.")
            ]
        self._last_face = now
        rejected = self.rejection(candidate)
        if rejected is not None and not (by_hand and rejected.reason == "near duplicate"):
            return [rejected]
        kept = self._kept.setdefault(self._look_index, [])
        cfg = self.config
        combined = combined_score(candidate, cfg.score)
        best_so_far = all(combined > k.combined for k in kept)
        kept.append(_Kept(candidate, combined, trigger))
        actions: list[Action] = [
            SaveCandidate(
                candidate=candidate,
                combined=combined,
                best_so_far=best_so_far,
                message=f"Got {plan.look} {len(kept)} of {plan.shots}.",
            )
        ]
        if len(kept) >= plan.shots:
            actions += self._finish_look("shots", now)
        return actions

    def rejection(self, candidate: Candidate, live: bool = False) -> CandidateRejected | None:
        """Why :meth:`offer` would turn ``candidate`` down, or None if it would keep it.

        Asked before the shutter fires as well (``live``: ``candidate`` is a live preview frame): with a
        tethered camera every pulse is an exposure on the card, so the booth does not fire for a pose it
        would throw away as the same as one already kept. A live frame is compared with the live frames
        the kept shots were fired on, like with like: a still is re-read on its own, without tracking, and
        its scores differ from the live frame's by more than the duplicate tolerance.
        """
        plan = self.current_look
        if plan is None:
            return CandidateRejected(candidate=candidate, reason="not shooting", message="Not shooting now.")
        if candidate.look != plan.look:
            return CandidateRejected(
                candidate=candidate,
                reason="other look",
                message=f"Now shooting {plan.look}, not {candidate.look}.",
            )
        cfg = self.config
        for k in self._kept.get(self._look_index, []):
            kept = k.trigger if live and k.trigger is not None else k.candidate
            if is_near_duplicate(candidate, kept, cfg.duplicate_landmark_tol, cfg.duplicate_score_tol):
                return CandidateRejected(
                    candidate=candidate,
                    reason="near duplicate",
                    message=f"Same {plan.look} as a shot already kept; try a variation.",
                )
        return None

    # -- internals -------------------------------------------------------------------------------------

    def _finish_look(self, reason: str, now: float) -> list[Action]:
        plan = self.config.shot_list[self._look_index]
        self._look_open = False
        self._finished[self._look_index] = reason
        kept = self._kept.get(self._look_index, [])
        best = max(kept, key=lambda k: k.combined).candidate if kept else None
        if reason == "shots":
            message = f"That's {plan.look} done: {len(kept)} shots."
        elif reason == "time":
            message = (
                f"Moving on from {plan.look} after {plan.seconds:g} s with {len(kept)} of {plan.shots} shots."
            )
        else:
            message = f"Stopped {plan.look} with {len(kept)} of {plan.shots} shots."
        actions: list[Action] = [
            LookFinished(look=plan.look, reason=reason, kept=len(kept), best=best, message=message)
        ]
        if reason == "ended":  # the session stopped on this look: the end screen shows where it was
            return actions
        self._look_index += 1
        if self._look_index < len(self.config.shot_list):
            actions += self._start_look(now)
        else:
            actions += self._move(State.REVIEW, Trigger.LOOKS_DONE, now)
        return actions

    def _start_look(self, now: float) -> list[Action]:
        plan = self.config.shot_list[self._look_index]
        self._look_started = now
        self._look_open = True
        total = len(self.config.shot_list)
        return [
            LookStarted(
                look=plan.look,
                index=self._look_index,
                total=total,
                shots=plan.shots,
                seconds=plan.seconds,
                message=f"Look {self._look_index + 1} of {total}: {plan.look}.",
            )
        ]

    def _move(self, target: State, trigger: Trigger, now: float) -> list[Action]:
        old = self.state
        actions: list[Action] = []
        if self._look_open and target not in (State.FAULT, State.SHOOTING):
            actions += self._finish_look("ended", now)
        if target is State.FAULT:
            self._resume_to = old
            self._fault_started = now
        self.state = target
        self._entered = now
        actions.append(
            StateChanged(old=old, new=target, trigger=trigger, message=f"{old} -> {target} ({trigger})")
        )
        log.info("session %s -> %s on %s", old, target, trigger)
        actions += self._enter(old, target, trigger, now)
        return actions

    def _enter(self, old: State, target: State, trigger: Trigger, now: float) -> list[Action]:
        cfg = self.config
        if old is State.FAULT and target is not State.ABORTED:
            return self._resume(target, now)
        if target in (State.IDLE, State.WELCOME):
            self._opened = False
            self._kept = {}
            self._look_index = 0
            self._looks_begun = False
            self._finished = {}
            self._resume_to = None
            return []
        if target is State.BASELINE:
            self._opened = True
            return [
                OpenSession(
                    shot_list=tuple(p.look for p in cfg.shot_list),
                    shot_list_name=cfg.shot_list_name,
                    consent_text=cfg.consent_text,
                    message="Thank you. Let's begin.",
                ),
                StartBaseline(message="Look at the light by the lens, and relax your face."),
            ]
        if target is State.SHOOTING:
            self._look_index = 0
            self._looks_begun = True
            self._last_face = now
            return self._start_look(now)
        if target is State.REVIEW:
            return [ReviewReady(best=self.best(), message="Here are your best shots.")]
        if target in ENDED:
            sentence = {
                State.DELIVERED: "All done: your photos are ready at your private link.",
                State.EXPIRED: "The session timed out.",
                State.ABORTED: "The session was stopped.",
            }[target]
            if self._opened and target is not State.DELIVERED:
                sentence += " Photos already taken are kept at your private link."
            return [SessionEnded(outcome=target, stored=self._opened, message=sentence)]
        if target is State.FAULT:
            return []
        raise AssertionError(f"no entry actions for {target}")  # pragma: no cover - table and code disagree

    def _resume(self, target: State, now: float) -> list[Action]:
        """Back from a fault: timers restart and the current look keeps the budget it had left."""
        paused = now - self._fault_started
        self._last_face = now
        if target is State.SHOOTING:
            self._look_started += paused
            plan = self.current_look
            return (
                [
                    LookStarted(
                        look=plan.look,
                        index=self._look_index,
                        total=len(self.config.shot_list),
                        shots=plan.shots,
                        seconds=plan.seconds,
                        message=f"Back again: {plan.look}.",
                    )
                ]
                if plan is not None
                else []
            )
        return []

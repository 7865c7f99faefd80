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

Best frame: each kept candidate gets :func:`combined_score`, a weighted mean (weights normalised by their sum,
defaults look 0.5, gaze 0.2, eyes 0.15, sharpness 0.1, face size 0.05) of

* the look score, clipped to 0..1;
* engaged gaze, 1 or 0;
* eye openness, clipped to 0..1;
* sharpness ``1 - exp(-v / sharpness_scale)`` of the variance of the Laplacian ``v``: 0 for a flat image,
  0.63 at ``sharpness_scale``, saturating towards 1 (beyond "sharp enough", sharper does not matter, and
  noise also raises the variance);
* face size ``min(1, face_size / face_size_target)``: a small face is a worse headshot, a large one is fine.

Variety: a candidate whose normalised landmarks and look scores are both within tolerance of one already kept
for the same look (see :func:`is_near_duplicate`) is rejected, so a look's shots are not three copies.
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

LOOKS = ("confident", "approachable", "intense", "vulnerable", "playful")

#: Shot-list presets; the studio may add its own in ``[session] custom_shot_lists``.
PRESETS: dict[str, tuple[str, ...]] = {
    "commercial": ("approachable", "confident"),
    "theatrical": ("intense", "vulnerable", "playful"),
    "full range": LOOKS,
}


class State(enum.StrEnum):
    IDLE = "idle"
    WELCOME = "welcome"  # consent step
    BASELINE = "baseline"  # the sitter's rest face
    SHOOTING = "shooting"  # one look at a time
    REVIEW = "review"
    DELIVERED = "delivered"
    EXPIRED = "expired"  # the sitter walked away
    ABORTED = "aborted"  # operator abort, declined consent after a fault, or a fault that did not clear
    FAULT = "fault"  # paused (camera lost, disk full...); recovers to the state it interrupted


class Trigger(enum.StrEnum):
    START = "start"  # sitter or operator pressed start
    CONSENT = "consent"
    DECLINE = "decline"
    BASELINE_DONE = "baseline_done"
    LOOKS_DONE = "looks_done"  # internal: the shot list is finished
    FINISH = "finish"  # the sitter is done with the review
    TIMEOUT = "timeout"  # internal: the state's timeout ran out
    ABORT = "abort"  # operator
    FAULT = "fault"
    RECOVER = "recover"
    RESET = "reset"  # back to idle from an end screen


#: Target of ``fault --recover-->``: the state the fault interrupted.
RESUME = "resume"

ACTIVE = (State.WELCOME, State.BASELINE, State.SHOOTING, State.REVIEW)
ENDED = (State.DELIVERED, State.EXPIRED, State.ABORTED)

TRANSITIONS: dict[tuple[State, Trigger], State | str] = {
    (State.IDLE, Trigger.START): State.WELCOME,
    (State.IDLE, Trigger.FAULT): State.FAULT,
    (State.WELCOME, Trigger.CONSENT): State.BASELINE,
    (State.WELCOME, Trigger.DECLINE): State.IDLE,
    (State.WELCOME, Trigger.TIMEOUT): State.EXPIRED,
    (State.BASELINE, Trigger.BASELINE_DONE): State.SHOOTING,
    (State.BASELINE, Trigger.TIMEOUT): State.EXPIRED,
    (State.SHOOTING, Trigger.LOOKS_DONE): State.REVIEW,
    (State.SHOOTING, Trigger.TIMEOUT): State.EXPIRED,
    (State.REVIEW, Trigger.FINISH): State.DELIVERED,
    (State.REVIEW, Trigger.TIMEOUT): State.DELIVERED,  # consent was given: the gallery link stays valid
    (State.FAULT, Trigger.RECOVER): RESUME,
    (State.FAULT, Trigger.TIMEOUT): State.ABORTED,
    (State.FAULT, Trigger.ABORT): State.ABORTED,
    **{(s, Trigger.ABORT): State.ABORTED for s in ACTIVE},
    **{(s, Trigger.FAULT): State.FAULT for s in ACTIVE},
    **{(s, Trigger.TIMEOUT): State.IDLE for s in ENDED},
    **{(s, Trigger.RESET): State.IDLE for s in ENDED},
    **{(s, Trigger.START): State.WELCOME for s in ENDED},  # the next sitter need not wait for the end screen
}


# ----------------------------------------------------------------------------------------------- candidates


@dataclass(frozen=True, eq=False)
class Candidate:
    """One frame offered as a shot of a look, with what perception and the looks said about it."""

    look: str
    look_score: float  # 0..1, the target look's score
    engaged: bool  # engaged gaze
    eye_openness: float  # 0 closed .. 1 open (a bool is taken as 0/1)
    sharpness: float  # variance of the Laplacian of the face region, grey levels squared
    face_size: float  # face height / frame height
    landmarks: np.ndarray | None  # 478 x 3, frame pixels
    scores: Mapping[str, float]  # every look's score
    timestamp: float  # monotonic seconds
    frame_id: int | str | None = None  # ref to the pixels (ring-buffer index, request id...)


@dataclass(frozen=True)
class ScoreParams:
    """Parameters of :func:`combined_score` (see the module docstring)."""

    weights: Mapping[str, float] = field(
        default_factory=lambda: {"look": 0.5, "gaze": 0.2, "eyes": 0.15, "sharpness": 0.1, "face_size": 0.05}
    )
    sharpness_scale: float = 150.0
    face_size_target: float = 0.35


def _clip01(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def score_parts(c: Candidate, params: ScoreParams) -> dict[str, float]:
    """Each ingredient of the combined score on 0..1."""
    return {
        "look": _clip01(c.look_score),
        "gaze": 1.0 if c.engaged else 0.0,
        "eyes": _clip01(c.eye_openness),
        "sharpness": 1.0 - math.exp(-max(0.0, c.sharpness) / params.sharpness_scale),
        "face_size": _clip01(c.face_size / params.face_size_target),
    }


def combined_score(c: Candidate, params: ScoreParams) -> float:
    """Weighted mean of :func:`score_parts`, 0..1: the best frame of a look is the one with the highest."""
    parts = score_parts(c, params)
    total = sum(params.weights.get(k, 0.0) for k in parts)
    return sum(params.weights.get(k, 0.0) * v for k, v in parts.items()) / total


def normalise_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """x, y centred on their mean and divided by their RMS radius: position and scale no longer matter."""
    xy = np.asarray(landmarks, dtype=np.float64)[:, :2]
    centred = xy - xy.mean(axis=0)
    radius = math.sqrt(float((centred**2).sum(axis=1).mean())) or 1.0
    return centred / radius


def is_near_duplicate(a: Candidate, b: Candidate, landmark_tol: float, score_tol: float) -> bool:
    """Same look, look scores within ``score_tol`` and mean landmark distance under ``landmark_tol``.

    Landmark distance is in units of the face's RMS radius after :func:`normalise_landmarks`. Without
    landmarks on either side only the scores are compared.
    """
    if a.look != b.look:
        return False
    keys = set(a.scores) | set(b.scores)
    diffs = [abs(a.look_score - b.look_score)]
    diffs += [abs(a.scores.get(k, 0.0) - b.scores.get(k, 0.0)) for k in keys]
    if max(diffs) > score_tol:
        return False
    if a.landmarks is None or b.landmarks is None:
        return True
    na, nb = normalise_landmarks(a.landmarks), normalise_landmarks(b.landmarks)
    return float(np.linalg.norm(na - nb, axis=1).mean()) < landmark_tol


# ----------------------------------------------------------------------------------------------- shot lists


@dataclass(frozen=True)
class LookPlan:
    look: str
    shots: int
    seconds: float


def resolve_shot_list(
    name: str,
    custom: Mapping[str, Sequence[str]] | None = None,
    shots: int = 3,
    seconds: float = 25.0,
    per_look: Mapping[str, Any] | None = None,
) -> tuple[LookPlan, ...]:
    """The looks of preset or custom list ``name`` with their budgets (``per_look`` values have
    ``shots`` and ``seconds`` attributes or keys). Custom lists shadow presets of the same name."""
    lists = {**PRESETS, **(custom or {})}
    if name not in lists:
        raise KeyError(f"unknown shot list {name!r}; use one of {', '.join(sorted(lists))}")
    plans = []
    for look in lists[name]:
        override = (per_look or {}).get(look)
        if isinstance(override, Mapping):
            plans.append(LookPlan(look, int(override["shots"]), float(override["seconds"])))
        elif override is not None:
            plans.append(LookPlan(look, int(override.shots), float(override.seconds)))
        else:
            plans.append(LookPlan(look, shots, seconds))
    return tuple(plans)


@dataclass(frozen=True)
class SessionConfig:
    """Everything the machine needs, as plain values (see :meth:`from_settings`)."""

    shot_list: tuple[LookPlan, ...] = tuple(LookPlan(look, 3, 25.0) for look in LOOKS)
    shot_list_name: str = "full range"
    consent_text: str = "Photos are kept for the studio's retention period."
    timeouts: Mapping[State, float] = field(
        default_factory=lambda: {
            State.WELCOME: 60.0,
            State.BASELINE: 10.0,
            State.SHOOTING: 20.0,  # measured from the last time a face was seen
            State.REVIEW: 90.0,
            State.FAULT: 30.0,
            State.DELIVERED: 8.0,
            State.EXPIRED: 8.0,
            State.ABORTED: 8.0,
        }
    )
    score: ScoreParams = field(default_factory=ScoreParams)
    duplicate_landmark_tol: float = 0.01
    duplicate_score_tol: float = 0.05

    @classmethod
    def from_settings(cls, s: Any) -> SessionConfig:
        """Build from a :class:`booth.config.SessionSettings` (read by attribute; no import of config)."""
        end = s.end_screen_seconds
        return cls(
            shot_list=resolve_shot_list(
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


# ----------------------------------------------------------------------------------------------- actions


@dataclass(frozen=True, kw_only=True)
class Action:
    """Something the caller must do or show; ``message`` is the sentence for the screen and events log."""

    message: str


@dataclass(frozen=True, kw_only=True)
class StateChanged(Action):
    old: State
    new: State
    trigger: Trigger


@dataclass(frozen=True, kw_only=True)
class Ignored(Action):
    state: State
    trigger: Trigger


@dataclass(frozen=True, kw_only=True)
class OpenSession(Action):
    """Consent given: create the session record now (the first write of the session)."""

    shot_list: tuple[str, ...]
    shot_list_name: str
    consent_text: str


@dataclass(frozen=True, kw_only=True)
class StartBaseline(Action):
    pass


@dataclass(frozen=True, kw_only=True)
class LookStarted(Action):
    look: str
    index: int  # 0-based
    total: int
    shots: int
    seconds: float


@dataclass(frozen=True, kw_only=True)
class SaveCandidate(Action):
    candidate: Candidate
    combined: float
    best_so_far: bool


@dataclass(frozen=True, kw_only=True)
class CandidateRejected(Action):
    candidate: Candidate
    reason: str  # "not shooting", "other look", "near duplicate"


@dataclass(frozen=True, kw_only=True)
class LookFinished(Action):
    look: str
    reason: str  # "shots" (enough kept), "time" (budget spent), "ended" (session left shooting)
    kept: int
    best: Candidate | None


@dataclass(frozen=True, kw_only=True)
class ReviewReady(Action):
    best: dict[str, Candidate]  # look -> best candidate, looks with no shot left out


@dataclass(frozen=True, kw_only=True)
class SessionEnded(Action):
    outcome: State  # delivered, expired or aborted
    stored: bool  # False when it ended before consent: nothing was written


# ----------------------------------------------------------------------------------------------- machine


@dataclass
class _Kept:
    candidate: Candidate
    combined: float


class Session:
    """The state machine of one booth; reusable for sitter after sitter (end screens return to idle)."""

    def __init__(self, config: SessionConfig | None = None, now: float = 0.0) -> None:
        self.config = config or SessionConfig()
        self.state = State.IDLE
        self._entered = now
        self._last_face = now
        self._resume_to: State | None = None
        self._fault_started = now
        self._opened = False
        self._look_index = 0
        self._look_started = now
        self._look_open = False
        self._kept: dict[str, list[_Kept]] = {}

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

    def look_remaining(self, now: float) -> float | None:
        plan = self.current_look
        return None if plan is None else max(0.0, plan.seconds - (now - self._look_started))

    def kept(self, look: str) -> list[tuple[Candidate, float]]:
        return [(k.candidate, k.combined) for k in self._kept.get(look, [])]

    def best(self) -> dict[str, Candidate]:
        """Best kept candidate of each look that has one, by :func:`combined_score`."""
        return {
            look: max(kept, key=lambda k: k.combined).candidate for look, kept in self._kept.items() if kept
        }

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
            actions += self._move(TRANSITIONS[(self.state, Trigger.TIMEOUT)], Trigger.TIMEOUT, now)
        return actions

    def offer(self, candidate: Candidate, now: float) -> list[Action]:
        """A frame the trigger fired on: keep it (:class:`SaveCandidate`) or say why not."""
        plan = self.current_look
        if plan is None:
            return [
                CandidateRejected(candidate=candidate, reason="not shooting", message="Not shooting now.")
            ]
        self._last_face = now
        if candidate.look != plan.look:
            return [
                CandidateRejected(
                    candidate=candidate,
                    reason="other look",
                    message=f"Now shooting {plan.look}, not {candidate.look}.",
                )
            ]
        kept = self._kept.setdefault(plan.look, [])
        cfg = self.config
        for k in kept:
            if is_near_duplicate(candidate, k.candidate, cfg.duplicate_landmark_tol, cfg.duplicate_score_tol):
                return [
                    CandidateRejected(
                        candidate=candidate,
                        reason="near duplicate",
                        message=f"Same {plan.look} as a shot already kept; try a variation.",
                    )
                ]
        combined = combined_score(candidate, cfg.score)
        best_so_far = all(combined > k.combined for k in kept)
        kept.append(_Kept(candidate, combined))
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

    # -- internals -------------------------------------------------------------------------------------

    def _finish_look(self, reason: str, now: float) -> list[Action]:
        plan = self.config.shot_list[self._look_index]
        self._look_open = False
        kept = self._kept.get(plan.look, [])
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
        self._look_index += 1
        if reason == "ended":
            return actions
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
        if target is State.IDLE:
            self._opened = False
            self._kept = {}
            self._resume_to = None
            return []
        if target is State.WELCOME:
            self._opened = False
            self._kept = {}
            self._look_index = 0
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
                StartBaseline(message="Relax your face and look into the lens for a moment."),
            ]
        if target is State.SHOOTING:
            self._look_index = 0
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

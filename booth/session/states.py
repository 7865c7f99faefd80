"""The session's states and triggers, and the table of every move between them (:data:`TRANSITIONS`)."""

from __future__ import annotations

import enum


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
    # No face at rest in time: shoot with a neutral rest rather than send the sitter away.
    (State.BASELINE, Trigger.TIMEOUT): State.SHOOTING,
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

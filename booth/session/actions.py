"""What the session asks its caller to do or show: one frozen dataclass per kind, each with its sentence."""

from __future__ import annotations

from dataclasses import dataclass

from booth.best_frame import Candidate
from booth.session.states import State, Trigger


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

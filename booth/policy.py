"""When to fire: the trigger decision, frame by frame (pure: dataclasses in, dataclasses out).

The booth exists to press the shutter at the moment the sitter shows the target look *with an engaged gaze*,
and never on a blank stare or a blink. :class:`TriggerPolicy` turns the stream of per-frame
:class:`Observation` s (already scored by perception and the looks scorer) into one :class:`Decision` per
frame. It owns no clock and no hardware: every call takes ``now`` (monotonic seconds), so tests replay score
sequences deterministically and the capture layer stays the only part that touches the camera and pins.

Rules, in order (the first that applies names the state shown to the sitter):

1. **Subject** (:func:`pick_subject`, the booth's one rule for who the sitter is). No face: ``NO_FACE``.
   Several faces: the largest is the subject only if it is at least ``dominance_ratio`` times the area of
   the next largest; otherwise ``MULTIPLE_FACES``, so two faces of equal size never fire. A subject whose
   height is under ``min_face_size`` of the frame is ``NO_FACE`` ("step closer"). The chosen face travels
   on the :class:`Decision` (``subject_index``), so everyone downstream reads the same sitter.
2. **Cooldown.** Within ``cooldown_s`` of the last shot (automatic or manual): ``COOLDOWN``.
3. **Gates.** Eyes closed or gaze not engaged: ``NOT_ENGAGED``; a dead gaze: ``DEAD_GAZE``. Any gate resets
   the hold, so a blink mid-hold restarts the stability window.
4. **Look, with hysteresis.** The policy *arms* when the target look's score reaches its threshold and
   *disarms* only when it falls below ``threshold - hysteresis``, so a score hovering at the threshold does
   not flicker the hold. Disarmed: ``NOT_THE_LOOK`` (or ``ALMOST`` when within the hysteresis band below the
   threshold: close to it, rising or falling).
5. **Stability.** Armed frames accumulate in the hold window (``ALMOST``, with ``progress`` for a meter).
   When the window holds at least ``min_frames`` frames *and* spans at least ``min_ms`` of capture time,
   the policy fires (``FIRING``) and reports the **peak** frame of the window: the frame with the highest
   target score of its own (``raw_scores``, unsmoothed, when given; the latest of a plateau), so the
   capture layer saves that frame from the camera's ring buffer rather than the frame after the decision.
   With ``burst > 1`` it also lists the ``burst`` frames around the peak.

A gap in the frame stream longer than ``max_gap_ms`` (a stall, dropped frames) or a change of tracked
subject resets the hold: the window must be continuous footage of one sitter.

Usage::

    policy = TriggerPolicy(PolicyParams.from_settings(settings.policy))
    decision = policy.update(observation, now=time.monotonic(), target=session.target_look)
    if decision.fire:
        capture.save_from_ring(decision.peak_sequence)   # the integrator's code

The policy keeps no target look and counts no shots: the session owns both. The caller says which look it
waits for on every frame and calls :meth:`TriggerPolicy.reset` when the session moves to a new look.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from booth.looks import Thresholds

log = logging.getLogger(__name__)


#: Frames whose target score is within this of the best in the hold window count as equally good.
PEAK_TIE = 0.01


class TriggerState(enum.Enum):
    """What the booth can show the sitter; ``value`` is a stable string for the page and JSON.

    ``MULTIPLE_FACES`` and ``DEAD_GAZE`` are split out of "no face" / "not engaged" because the sitter's fix
    differs ("one person at a time", "relax, think of something") and the page can say so.
    """

    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    NOT_ENGAGED = "not_engaged"
    DEAD_GAZE = "dead_gaze"
    NOT_THE_LOOK = "not_the_look"
    ALMOST = "almost"
    FIRING = "firing"
    COOLDOWN = "cooldown"


@dataclass(frozen=True)
class PolicyParams:
    """The trigger's parameters as plain frozen values (the defaults live once, in ``booth.config``)."""

    thresholds: Thresholds
    hysteresis: float
    min_frames: int
    min_ms: float
    max_gap_ms: float
    cooldown_s: float
    min_face_size: float
    dominance_ratio: float
    burst: int

    @classmethod
    def from_settings(cls, s: Any) -> PolicyParams:
        """From a :class:`booth.config.PolicySettings`, read by attribute (this module imports no config)."""
        return cls(
            thresholds=Thresholds.from_settings(s),
            hysteresis=s.hysteresis,
            min_frames=s.min_frames,
            min_ms=s.min_ms,
            max_gap_ms=s.max_gap_ms,
            cooldown_s=s.cooldown_s,
            min_face_size=s.min_face_size,
            dominance_ratio=s.dominance_ratio,
            burst=s.burst,
        )


@dataclass(frozen=True)
class SubjectScore:
    """One face as the policy needs it: size, look scores and the gaze verdicts.

    ``look_scores`` are 0..1 and already smoothed upstream; the policy never smooths again, so the peak it
    reports is the peak the looks scorer saw. ``reasons`` say why the gaze is not engaged (shown as-is).
    ``track_id`` lets the policy reset its hold when the tracked person changes (0 = unknown).
    """

    face_size: float  # face box height / frame height
    area: float  # face box area (any unit, only compared between faces of one frame)
    look_scores: dict[str, float]
    engaged: bool
    eyes_open: bool
    dead_gaze: bool
    reasons: tuple[str, ...] = ()
    track_id: int = 0
    raw_scores: dict[str, float] = field(default_factory=dict)  # this frame alone, unsmoothed (peak choice)


@dataclass(frozen=True)
class Observation:
    """One analysed frame: when it was captured, its place in the stream, and the faces in it."""

    timestamp: float  # capture time, monotonic seconds (the camera's, not the analysis end)
    sequence: int  # frame number, increasing; the ring buffer is keyed by it
    faces: tuple[SubjectScore, ...] = ()


@dataclass(frozen=True)
class FrameRef:
    """A frame of the hold window: enough for the capture layer to find it in the ring buffer."""

    sequence: int
    timestamp: float
    score: float


@dataclass(frozen=True)
class Decision:
    """The policy's verdict on one frame.

    ``fire`` is true on exactly the frame the shot is decided (state ``FIRING``). Then ``peak_sequence`` and
    ``peak_timestamp`` name the best frame of the held window and ``burst`` lists the frames to save (the
    peak first, then its neighbours; one entry unless ``burst > 1``). ``sequence``/``timestamp`` are the
    decided frame's and ``decided_at`` is ``now``: ``decided_at - peak_timestamp`` is the trigger latency.
    ``subject`` carries the scores that were judged, so a manual shot still records them, and
    ``subject_index`` says which face of the observation it is (None: no subject).
    """

    state: TriggerState
    fire: bool = False
    look: str = ""
    score: float = 0.0  # the subject's target look score on this frame (0 without a subject)
    threshold: float = 0.0
    progress: float = 0.0  # 0..1 of the stability window, for a UI meter
    reason: str = ""
    sequence: int = -1
    timestamp: float = 0.0
    decided_at: float = 0.0
    peak_sequence: int | None = None
    peak_timestamp: float | None = None
    peak_score: float | None = None
    burst: tuple[FrameRef, ...] = ()
    manual: bool = False
    subject: SubjectScore | None = field(default=None, compare=False)
    subject_index: int | None = None

    def to_json(self) -> dict[str, Any]:
        """A compact, JSON-ready view for the page's live stream."""
        return {
            "state": self.state.value,
            "fire": self.fire,
            "look": self.look,
            "score": round(self.score, 4),
            "threshold": round(self.threshold, 4),
            "progress": round(self.progress, 3),
            "reason": self.reason,
            "sequence": self.sequence,
            "peak_sequence": self.peak_sequence,
            "manual": self.manual,
        }


def pick_subject(
    areas: Sequence[float], dominance_ratio: float
) -> tuple[int | None, TriggerState | None, str]:
    """The booth's one rule for who the sitter is: the index of the largest face when it clearly dominates
    the next one (``dominance_ratio`` times its area), else None with the state and reason to show.

    Used for the live frames (by the policy) and for a saved still (by :mod:`booth.shooting`), so a still is
    read for the same person the trigger fired on.
    """
    if not areas:
        return None, TriggerState.NO_FACE, "no face in view"
    ranked = sorted(range(len(areas)), key=lambda i: areas[i], reverse=True)
    if len(ranked) > 1 and areas[ranked[0]] < dominance_ratio * areas[ranked[1]]:
        return None, TriggerState.MULTIPLE_FACES, f"{len(ranked)} faces of similar size: one person at a time"
    return ranked[0], None, ""


def burst_around(window: list[FrameRef], peak_index: int, count: int) -> tuple[FrameRef, ...]:
    """The ``count`` frames of ``window`` nearest the peak (peak first, then alternately after and before)."""
    picked = [window[peak_index]]
    step = 1
    while len(picked) < min(count, len(window)):
        for index in (peak_index + step, peak_index - step):
            if 0 <= index < len(window) and len(picked) < count:
                picked.append(window[index])
        step += 1
    return tuple(picked)


class TriggerPolicy:
    """The trigger decision as a small state machine over observations; see the module docstring.

    What it keeps is only what judging needs: the hold window, whether it is armed, the cooldown, and the
    last frame and track seen. Not thread-safe: call it from the one thread that consumes analysed frames.
    """

    def __init__(self, params: PolicyParams) -> None:
        self.params = params
        self._window: deque[FrameRef] = deque()
        self._armed = False
        self._cooldown_until = float("-inf")
        self._last: Observation | None = None
        self._last_track: int | None = None
        self._last_decision = Decision(TriggerState.NO_FACE, reason="no frame yet")

    def threshold_for(self, look: str) -> float:
        """The arming threshold of a look (see :class:`booth.looks.Thresholds`)."""
        return self.params.thresholds.for_look(look)

    def disarm(self) -> None:
        """Forget the hold but keep the cooldown (a still was rejected: wait, then hold the look afresh)."""
        self._armed = False
        self._window.clear()

    def reset(self) -> None:
        """Forget the hold, the cooldown and the last frame (a new look, a new camera or a new clip)."""
        self.disarm()
        self._cooldown_until = float("-inf")
        self._last = None

    # --- per frame -----------------------------------------------------------------------------------

    def update(self, observation: Observation, now: float, target: str, may_fire: bool = True) -> Decision:
        """Judge one analysed frame for ``target``; ``now`` is the monotonic time of the decision.

        With ``may_fire`` false (no session is shooting) the judgement is the same, for the live view, but a
        held look stays ``ALMOST`` at full progress instead of firing.
        """
        if self._last is not None and observation.sequence <= self._last.sequence:
            log.debug("frame %d not newer than %d: ignored", observation.sequence, self._last.sequence)
            return dataclasses.replace(self._last_decision, fire=False)  # never fire twice for one frame
        decision = self._judge(observation, now, target, may_fire)
        self._last = observation
        self._last_decision = decision
        return decision

    def manual_fire(self, now: float, target: str, observation: Observation | None = None) -> Decision:
        """Record a shot the operator or sitter asked for: bypasses every rule but keeps the scores.

        The peak is the given frame (else the last frame seen), and its largest face the subject. Starts the
        cooldown like any shot, so the policy does not fire again right after.
        """
        observation = observation or self._last
        index = None
        if observation is not None:
            index, _, _ = pick_subject([f.area for f in observation.faces], 1.0)
        subject = observation.faces[index] if observation is not None and index is not None else None
        score = subject.look_scores.get(target, 0.0) if subject else 0.0
        refs = (FrameRef(observation.sequence, observation.timestamp, score),) if observation else ()
        decision = Decision(
            TriggerState.FIRING,
            fire=True,
            look=target,
            score=score,
            threshold=self.threshold_for(target),
            progress=1.0,
            reason="manual shot",
            sequence=observation.sequence if observation else -1,
            timestamp=observation.timestamp if observation else now,
            decided_at=now,
            peak_sequence=refs[0].sequence if refs else None,
            peak_timestamp=refs[0].timestamp if refs else None,
            peak_score=score if refs else None,
            burst=refs,
            manual=True,
            subject=subject,
            subject_index=index,
        )
        self._shot_taken(now)
        self._last_decision = decision
        log.info("manual fire at frame %s (%s %.3f)", decision.peak_sequence, target, score)
        return decision

    # --- internals -----------------------------------------------------------------------------------

    def _shot_taken(self, now: float) -> None:
        self._cooldown_until = now + self.params.cooldown_s
        self.disarm()

    def _judge(self, obs: Observation, now: float, look: str, may_fire: bool) -> Decision:
        """Rules 1-5 of the module docstring, in order; the first that refuses names the state."""
        p = self.params
        threshold = self.threshold_for(look)
        base = Decision(
            TriggerState.NO_FACE,
            look=look,
            threshold=threshold,
            sequence=obs.sequence,
            timestamp=obs.timestamp,
            decided_at=now,
        )
        if self._window and (obs.timestamp - self._window[-1].timestamp) * 1000.0 > p.max_gap_ms:
            log.debug("gap before frame %d: hold reset", obs.sequence)
            self.disarm()

        index, state, reason = pick_subject([f.area for f in obs.faces], p.dominance_ratio)
        if index is None:
            self.disarm()
            self._last_track = None
            return dataclasses.replace(base, state=state or TriggerState.NO_FACE, reason=reason)
        subject = obs.faces[index]
        if self._last_track is not None and subject.track_id != self._last_track:
            self.disarm()
        self._last_track = subject.track_id
        base = dataclasses.replace(
            base, score=subject.look_scores.get(look, 0.0), subject=subject, subject_index=index
        )
        refused = self._gates(subject, base, now)
        if refused is not None:
            self.disarm()
            return refused
        return self._hold(obs, subject, base, now, may_fire)

    def _gates(self, subject: SubjectScore, base: Decision, now: float) -> Decision | None:
        """Size, cooldown, eyes, dead gaze and gaze, in that order: the refusal, or None to judge the look."""
        if subject.face_size < self.params.min_face_size:
            why = f"face too small ({subject.face_size:.2f} of frame): step closer"
            return dataclasses.replace(base, state=TriggerState.NO_FACE, reason=why)
        if now < self._cooldown_until:
            left = self._cooldown_until - now
            return dataclasses.replace(base, state=TriggerState.COOLDOWN, reason=f"next shot in {left:.1f} s")
        if not subject.eyes_open:
            # The verdict's first reason says how ("eyes closed", "eyes half-closed", "eyes lowered").
            why = subject.reasons[0] if subject.reasons else "eyes closed"
            return dataclasses.replace(base, state=TriggerState.NOT_ENGAGED, reason=why)
        if subject.dead_gaze:
            why = "blank stare: relax and think of someone"
            return dataclasses.replace(base, state=TriggerState.DEAD_GAZE, reason=why)
        if not subject.engaged:
            why = "; ".join(subject.reasons) or "look into the lens"
            return dataclasses.replace(base, state=TriggerState.NOT_ENGAGED, reason=why)
        if base.look not in subject.look_scores:
            why = f"look {base.look!r} not scored"
            return dataclasses.replace(base, state=TriggerState.NOT_THE_LOOK, reason=why)
        return None

    def _hold(
        self, obs: Observation, subject: SubjectScore, base: Decision, now: float, may_fire: bool
    ) -> Decision:
        """Arm with hysteresis, then fill the hold window; fire once it is long enough (rules 4 and 5)."""
        p, look, score, threshold = self.params, base.look, base.score, base.threshold
        low = threshold - p.hysteresis
        if self._armed and score < low:
            self.disarm()
        elif not self._armed and score >= threshold:
            self._armed = True
        if not self._armed:
            state = TriggerState.ALMOST if score >= low else TriggerState.NOT_THE_LOOK
            return dataclasses.replace(base, state=state, reason=f"{look} {score:.2f} below {threshold:.2f}")

        # The peak is chosen on this frame's own score: the smoothed score lags the expression.
        self._window.append(FrameRef(obs.sequence, obs.timestamp, subject.raw_scores.get(look, score)))
        span_ms = (obs.timestamp - self._window[0].timestamp) * 1000.0
        time_part = span_ms / p.min_ms if p.min_ms > 0 else 1.0
        progress = min(1.0, len(self._window) / p.min_frames, time_part)
        if len(self._window) < p.min_frames or span_ms < p.min_ms:
            return dataclasses.replace(
                base, state=TriggerState.ALMOST, progress=progress, reason=f"hold the {look}"
            )
        if not may_fire:
            why = f"{look} held (not shooting)"
            return dataclasses.replace(base, state=TriggerState.ALMOST, progress=1.0, reason=why)
        return self._fire(obs, base, now)

    def _fire(self, obs: Observation, base: Decision, now: float) -> Decision:
        """The held window is long enough: pick its peak (the latest of a plateau) and start the cooldown."""
        window = list(self._window)
        # Scores within PEAK_TIE of each other are one plateau: take its latest frame (the freshest moment,
        # and the shortest shutter lag), not the first.
        best = max(f.score for f in window)
        peak_index = max(i for i, f in enumerate(window) if f.score >= best - PEAK_TIE)
        peak = window[peak_index]
        self._shot_taken(now)
        log.info(
            "fire: %s peak %.3f at frame %d (decided at frame %d, %d frames held)",
            base.look,
            peak.score,
            peak.sequence,
            obs.sequence,
            len(window),
        )
        return dataclasses.replace(
            base,
            state=TriggerState.FIRING,
            fire=True,
            progress=1.0,
            reason=f"{base.look} {peak.score:.2f}",
            peak_sequence=peak.sequence,
            peak_timestamp=peak.timestamp,
            peak_score=peak.score,
            burst=burst_around(window, peak_index, self.params.burst),
        )

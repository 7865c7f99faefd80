"""When to fire: the trigger decision, frame by frame (pure: dataclasses in, dataclasses out).

The booth exists to press the shutter at the moment the sitter shows the target look *with an engaged gaze*,
and never on a blank stare or a blink. :class:`TriggerPolicy` turns the stream of per-frame
:class:`Observation` s (already scored by perception and the looks scorer) into one :class:`Decision` per
frame. It owns no clock and no hardware: every call takes ``now`` (monotonic seconds), so tests replay score
sequences deterministically and the capture layer stays the only part that touches the camera and pins.

Rules, in order (the first that applies names the state shown to the sitter):

1. **Subject.** No face: ``NO_FACE``. One face: it is the subject if its height is at least
   ``min_face_size`` of the frame. Several faces: the largest is the subject only if it is at least
   ``dominance_ratio`` times the area of the next largest (and big enough); otherwise ``MULTIPLE_FACES``.
   Two faces of equal size therefore never fire.
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

    policy = TriggerPolicy(settings.policy, target="approachable")
    decision = policy.update(observation, now=time.monotonic())
    if decision.fire:
        capture.save_from_ring(decision.peak_sequence)   # the integrator's code
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from collections import deque
from dataclasses import dataclass, field

from booth.config import PolicySettings

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
    ``subject`` carries the scores that were judged, so a manual shot still records them.
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

    def to_json(self) -> dict:
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
    faces: tuple[SubjectScore, ...], min_face_size: float, dominance_ratio: float
) -> tuple[SubjectScore | None, TriggerState | None, str]:
    """Choose the sitter among the faces, or say why there is none (state and reason)."""
    if not faces:
        return None, TriggerState.NO_FACE, "no face in view"
    ranked = sorted(faces, key=lambda f: f.area, reverse=True)
    largest = ranked[0]
    if len(ranked) > 1 and largest.area < dominance_ratio * ranked[1].area:
        return None, TriggerState.MULTIPLE_FACES, f"{len(ranked)} faces of similar size: one person at a time"
    if largest.face_size < min_face_size:
        return None, TriggerState.NO_FACE, f"face too small ({largest.face_size:.2f} of frame): step closer"
    return largest, None, ""


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

    Not thread-safe: call :meth:`update` from the one thread that consumes analysed frames (manual fires
    from the page should be handed to that thread, or serialised by the caller).
    """

    def __init__(self, settings: PolicySettings | None = None, target: str = "approachable") -> None:
        self.settings = settings or PolicySettings()
        self._target = target
        self._window: deque[FrameRef] = deque()
        self._armed = False
        self._cooldown_until = float("-inf")
        self._last: Observation | None = None
        self._last_track: int | None = None
        self.fires = 0
        self._may_fire = True
        self.last_decision = Decision(TriggerState.NO_FACE, look=target, reason="no frame yet")

    # --- configuration -------------------------------------------------------------------------------

    @property
    def target(self) -> str:
        """The look the booth is waiting for; changing it restarts the hold."""
        return self._target

    @target.setter
    def target(self, look: str) -> None:
        if look != self._target:
            log.info("trigger target look: %s -> %s", self._target, look)
            self._target = look
            self._disarm()

    def threshold_for(self, look: str) -> float:
        """The arming threshold of a look (see :meth:`PolicySettings.threshold_for`)."""
        return self.settings.threshold_for(look)

    def disarm(self) -> None:
        """Forget the hold but keep the cooldown (a still was rejected: wait before the next try)."""
        self._disarm()

    def reset(self) -> None:
        """Forget the hold and the cooldown (a new session starts)."""
        self._disarm()
        self._cooldown_until = float("-inf")
        self._last = None

    # --- per frame -----------------------------------------------------------------------------------

    def update(self, observation: Observation, now: float, may_fire: bool = True) -> Decision:
        """Judge one analysed frame; ``now`` is the monotonic time of the decision.

        With ``may_fire`` false (no session is shooting) the judgement is the same, for the live view, but a
        held look stays ``ALMOST`` at full progress instead of firing.
        """
        self._may_fire = may_fire
        if self._last is not None and observation.sequence <= self._last.sequence:
            log.debug("frame %d not newer than %d: ignored", observation.sequence, self._last.sequence)
            return dataclasses.replace(self.last_decision, fire=False)  # never fire twice for one frame
        decision = self._judge(observation, now)
        self._last = observation
        self.last_decision = decision
        return decision

    def manual_fire(self, now: float, observation: Observation | None = None) -> Decision:
        """Record a shot the operator or sitter asked for: bypasses every rule but keeps the scores.

        The peak is the given frame (else the last frame seen). Starts the cooldown like any shot, so the
        policy does not fire again right after.
        """
        observation = observation or self._last
        subject = None
        if observation is not None:
            subject, _, _ = pick_subject(observation.faces, 0.0, 1.0)
        score = subject.look_scores.get(self._target, 0.0) if subject else 0.0
        decision = Decision(
            TriggerState.FIRING,
            fire=True,
            look=self._target,
            score=score,
            threshold=self.threshold_for(self._target),
            progress=1.0,
            reason="manual shot",
            sequence=observation.sequence if observation else -1,
            timestamp=observation.timestamp if observation else now,
            decided_at=now,
            peak_sequence=observation.sequence if observation else None,
            peak_timestamp=observation.timestamp if observation else None,
            peak_score=score if observation else None,
            burst=(FrameRef(observation.sequence, observation.timestamp, score),) if observation else (),
            manual=True,
            subject=subject,
        )
        self._shot_taken(now)
        self.last_decision = decision
        log.info("manual fire at frame %s (%s %.3f)", decision.peak_sequence, self._target, score)
        return decision

    # --- internals -----------------------------------------------------------------------------------

    def _disarm(self) -> None:
        self._armed = False
        self._window.clear()

    def _shot_taken(self, now: float) -> None:
        self.fires += 1
        self._cooldown_until = now + self.settings.cooldown_s
        self._disarm()

    def _judge(self, obs: Observation, now: float) -> Decision:
        s = self.settings
        look = self._target
        threshold = self.threshold_for(look)
        base = {"look": look, "threshold": threshold, "sequence": obs.sequence, "timestamp": obs.timestamp}
        base["decided_at"] = now

        if self._window and (obs.timestamp - self._window[-1].timestamp) * 1000.0 > s.max_gap_ms:
            log.debug("gap before frame %d: hold reset", obs.sequence)
            self._disarm()

        subject, state, reason = pick_subject(obs.faces, s.min_face_size, s.dominance_ratio)
        if subject is None:
            self._disarm()
            self._last_track = None
            return Decision(state or TriggerState.NO_FACE, reason=reason, **base)
        if self._last_track is not None and subject.track_id != self._last_track:
            self._disarm()
        self._last_track = subject.track_id
        score = subject.look_scores.get(look, 0.0)
        base.update(score=score, subject=subject)

        if now < self._cooldown_until:
            self._disarm()
            left = self._cooldown_until - now
            return Decision(TriggerState.COOLDOWN, reason=f"next shot in {left:.1f} s", **base)
        if not subject.eyes_open:
            self._disarm()
            return Decision(TriggerState.NOT_ENGAGED, reason="eyes closed", **base)
        if subject.dead_gaze:
            self._disarm()
            return Decision(TriggerState.DEAD_GAZE, reason="blank stare: relax and think of someone", **base)
        if not subject.engaged:
            self._disarm()
            why = "; ".join(subject.reasons) or "look into the lens"
            return Decision(TriggerState.NOT_ENGAGED, reason=why, **base)

        if look not in subject.look_scores:
            self._disarm()
            return Decision(TriggerState.NOT_THE_LOOK, reason=f"look {look!r} not scored", **base)
        low = threshold - s.hysteresis
        if self._armed and score < low:
            self._disarm()
        elif not self._armed and score >= threshold:
            self._armed = True
        if not self._armed:
            state = TriggerState.ALMOST if score >= low else TriggerState.NOT_THE_LOOK
            return Decision(state, reason=f"{look} {score:.2f} below {threshold:.2f}", **base)

        # The peak is chosen on this frame's own score: the smoothed score lags the expression.
        self._window.append(FrameRef(obs.sequence, obs.timestamp, subject.raw_scores.get(look, score)))
        span_ms = (obs.timestamp - self._window[0].timestamp) * 1000.0
        frames_part = len(self._window) / s.min_frames
        time_part = span_ms / s.min_ms if s.min_ms > 0 else 1.0
        progress = min(1.0, frames_part, time_part)
        if len(self._window) < s.min_frames or span_ms < s.min_ms:
            return Decision(TriggerState.ALMOST, progress=progress, reason=f"hold the {look}", **base)
        if not self._may_fire:
            return Decision(TriggerState.ALMOST, progress=1.0, reason=f"{look} held (not shooting)", **base)

        window = list(self._window)
        # Scores within PEAK_TIE of each other are one plateau: take its latest frame (the freshest moment,
        # and the shortest shutter lag), not the first.
        best = max(f.score for f in window)
        peak_index = max(i for i, f in enumerate(window) if f.score >= best - PEAK_TIE)
        peak = window[peak_index]
        burst = burst_around(window, peak_index, s.burst)
        self._shot_taken(now)
        log.info(
            "fire: %s peak %.3f at frame %d (decided at frame %d, %d frames held)",
            look,
            peak.score,
            peak.sequence,
            obs.sequence,
            len(window),
        )
        return Decision(
            TriggerState.FIRING,
            fire=True,
            progress=1.0,
            reason=f"{look} {peak.score:.2f}",
            peak_sequence=peak.sequence,
            peak_timestamp=peak.timestamp,
            peak_score=peak.score,
            burst=burst,
            **base,
        )

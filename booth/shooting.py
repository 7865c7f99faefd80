"""One analysed frame through perception, looks and the trigger policy; and the re-check of a saved still.

Pure orchestration (numpy in, dataclasses out): the camera, the GPIO and storage stay with the caller
(:mod:`booth.service` on the booth, :mod:`booth.commands.simulate` on recorded footage), so both run exactly
the same decision path. The target look is the caller's to say on every frame (the session owns it); the
shooter keeps only what judging needs (tracking, smoothing, the policy's hold).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from booth.best_frame import Candidate
from booth.looks import Baseline, LookBook, LookResult, LookScorer, smile
from booth.looks.engine import EYE_REASONS
from booth.policy import Decision, Observation, PolicyParams, SubjectScore, TriggerPolicy, pick_subject
from booth.vision import FacePipeline, FaceReading
from booth.vision.params import VisionParams
from booth.vision.pipeline import Models

Face = tuple[FaceReading, LookResult]


@dataclass(frozen=True)
class FrameResult:
    sequence: int
    timestamp: float
    faces: tuple[Face, ...]
    decision: Decision

    @property
    def subject(self) -> Face | None:
        """The face the policy chose as the sitter (:func:`booth.policy.pick_subject`), if any."""
        index = self.decision.subject_index
        return self.faces[index] if index is not None and index < len(self.faces) else None


@dataclass(frozen=True)
class StillCheck:
    """Whether a saved still keeps the moment: eyes open and the look still above threshold in it."""

    ok: bool
    reason: str
    reading: FaceReading | None
    result: LookResult | None
    size: tuple[int, int] = (0, 0)  # width, height of the image the reading was measured on


#: The still is re-read at this size: enough for the landmark crop (256 px of face), and on a Pi far cheaper
#: than a 12 MP frame.
STILL_CHECK_SIDE = 1280
#: The still is one frame, unsmoothed: it may read this much below the (smoothed) threshold and still pass.
STILL_MARGIN = 0.1


def subject_score(reading: FaceReading, result: LookResult) -> SubjectScore:
    return SubjectScore(
        face_size=reading.face_size,
        area=reading.area,
        look_scores=result.scores,
        engaged=result.verdict.engaged,
        eyes_open=result.eyes_open,
        dead_gaze=result.dead_gaze,
        reasons=result.verdict.reasons,
        track_id=reading.track_id,
        raw_scores=result.raw,
    )


def build_candidate(look: str, check: StillCheck, timestamp: float, sequence: int) -> Candidate:
    """What the session weighs to keep a checked still: the look's score and the still's own readings."""
    return candidate_of(look, check.reading, check.result, timestamp, sequence)


def candidate_of(
    look: str, reading: FaceReading | None, result: LookResult | None, timestamp: float, sequence: int
) -> Candidate:
    """A candidate from one reading: a checked still's, or the live frame the trigger fired on (asked of
    the session before the shutter fires, so a pose it would discard as a duplicate costs no exposure)."""
    return Candidate(
        look=look,
        look_score=result.raw.get(look, 0.0) if result else 0.0,
        engaged=bool(result and result.verdict.engaged),
        eye_openness=min(reading.eye_openness) if reading else 0.0,
        sharpness=reading.sharpness if reading else 0.0,
        face_size=reading.face_size if reading else 0.0,
        landmarks=reading.landmarks if reading else None,
        scores=result.raw if result else {},
        timestamp=timestamp,
        frame_id=sequence,
    )


def live_candidate(result: FrameResult, look: str) -> Candidate | None:
    """The live frame's subject as a candidate for ``look`` (None without a subject in it)."""
    subject = result.subject
    if subject is None:
        return None
    return candidate_of(look, subject[0], subject[1], result.timestamp, result.sequence)


class Shooter:
    """Decides, frame by frame, when to fire for the target look. Not thread-safe: one analysis thread."""

    def __init__(self, models: Models, book: LookBook, policy: PolicyParams, vision: VisionParams) -> None:
        self.models, self.vision = models, vision
        self.pipeline = FacePipeline(models=models, params=vision)
        self._still_pipeline = FacePipeline(models=models, params=vision)
        self.book = book
        self._policy = TriggerPolicy(policy)
        self._scorer = LookScorer(book, policy.thresholds, policy.min_face_size)
        self._near_threshold = False  # the last frame's target score was near its threshold
        self._reads_emotions = book.reads_emotions()  # else the live frames skip the emotion model

    @classmethod
    def from_settings(cls, settings: Any, book: LookBook, models: Models | None = None) -> Shooter:
        """From the whole :class:`booth.config.Settings` (read by attribute): the parameters of each part,
        and the models loaded for them unless given (tests and the bench share one set)."""
        vision = VisionParams.from_settings(settings.vision)
        return cls(models or Models.load(vision), book, PolicyParams.from_settings(settings.policy), vision)

    @property
    def params(self) -> PolicyParams:
        return self._policy.params

    @property
    def baseline(self) -> Baseline:
        return self._scorer.baseline

    def set_book(self, book: LookBook) -> None:
        """New look recipes (the operator's looks file changed between sessions)."""
        self.book = book
        self._reads_emotions = book.reads_emotions()
        self._scorer.set_book(book)

    def set_policy(self, params: PolicyParams) -> None:
        """New trigger parameters (thresholds, hold, cooldown) for the policy and the coaching alike."""
        self._policy.params = params
        self._scorer.set_thresholds(params.thresholds, params.min_face_size)

    def set_baseline(self, baseline: Baseline) -> None:
        self._scorer.set_baseline(baseline)

    def disarm(self) -> None:
        """A fired still was rejected: forget the hold, but let the shot's cooldown run before a retry."""
        self._policy.disarm()

    def reset_hold(self) -> None:
        """A new look, or a new camera: the hold and the cooldown start afresh."""
        self._policy.reset()

    def reset(self) -> None:
        """A new clip: tracking, smoothing's faces and the policy all start afresh."""
        self.pipeline.reset()
        self._near_threshold = False
        self._policy.reset()

    def step(
        self,
        pixels: np.ndarray,
        timestamp: float,
        sequence: int,
        target: str,
        now: float | None = None,
        clock: Callable[[], float] | None = None,
        may_fire: bool = True,
    ) -> FrameResult:
        """Analyse one frame and decide for ``target``. The decision's time is ``now``, or ``clock()`` read
        after the analysis (so ``decided_at - peak_timestamp`` includes the time the models took).
        ``may_fire`` false: judge for the live view only (no session is shooting)."""
        # Looks that read no emotion still get them where the smile call needs them (a raised mouth).
        emotions = True if self._reads_emotions else smile.reads_emotions
        readings = self.pipeline.analyze(pixels, precise=self._near_threshold, emotions=emotions)
        faces = tuple((r, self._scorer.score(r, timestamp, target)) for r in readings)
        observation = Observation(timestamp, sequence, tuple(subject_score(r, res) for r, res in faces))
        if now is None:
            now = clock() if clock is not None else timestamp
        decision = self._policy.update(observation, now, target, may_fire)
        # While a shot could be decided soon, the next frame is read with the full mesh (with light tracking;
        # one frame late: the frame whose score first comes near is still read light).
        self._near_threshold = may_fire and decision.score >= decision.threshold - self.vision.full_near
        return FrameResult(sequence, timestamp, faces, decision)

    def manual(self, last: FrameResult | None, target: str, now: float) -> Decision:
        """A shot asked for by hand: bypasses the rules, keeps the last frame's scores."""
        observation = None
        if last is not None:
            observation = Observation(
                last.timestamp, last.sequence, tuple(subject_score(*f) for f in last.faces)
            )
        return self._policy.manual_fire(now, target, observation)

    def check_still(self, pixels: np.ndarray, look: str) -> StillCheck:
        """Re-read the saved still on its own (no tracking): reject closed eyes or a lost look.

        Read at most :data:`STILL_CHECK_SIDE` px wide and without the tiled search (the sitter fills the
        frame): a full-resolution tiled read costs about 250 ms here and seconds on a Pi, all of it on the
        analysis thread. The sitter is the largest face, as in :func:`booth.policy.pick_subject` with no
        dominance asked (the trigger already judged that on the live frames). The still gets the pipeline's
        two refining landmark passes (two more landmark runs, ~8 ms here): a single pass from the detector's
        coarse crop reads the eyes up to 7 degrees away from where the tracked live frames, on which the
        sitter was calibrated, read them.
        """
        image = Image.fromarray(pixels)
        if max(image.size) > STILL_CHECK_SIDE:
            image.thumbnail((STILL_CHECK_SIDE, STILL_CHECK_SIDE), Image.Resampling.BILINEAR)
        faces = self._still_pipeline.analyze(np.asarray(image), track=False, thorough=False)
        index, _, _ = pick_subject([f.area for f in faces], 1.0)
        if index is None:
            return StillCheck(False, "no face in the still", None, None, image.size)
        reading = faces[index]
        params = self._policy.params
        scorer = LookScorer(
            self.book, params.thresholds, params.min_face_size, self.baseline, hold_seconds=0.0
        )
        result = scorer.score(reading, 0.0, look)
        if not reading.eyes_open:
            why = EYE_REASONS.get(reading.eye_state, "eyes closed")
            return StillCheck(False, f"{why} in the still", reading, result, image.size)
        score = result.raw.get(look, 0.0)
        if score < params.thresholds.for_look(look) - STILL_MARGIN:
            return StillCheck(False, f"{look} fell to {score:.2f} in the still", reading, result, image.size)
        return StillCheck(True, "", reading, result, image.size)

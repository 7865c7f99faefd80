"""One analysed frame through perception, looks and the trigger policy; and the re-check of a saved still.

Pure orchestration (numpy in, dataclasses out): the camera, the GPIO and storage stay with the caller
(:mod:`booth.service` on the booth, :mod:`booth.commands.simulate` on recorded footage), so both run exactly
the same decision path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from booth.config import PolicySettings, VisionSettings
from booth.looks import Baseline, LookBook, LookResult, LookScorer
from booth.policy import Decision, Observation, SubjectScore, TriggerPolicy
from booth.vision import FacePipeline, FaceReading
from booth.vision.pipeline import Models


@dataclass(frozen=True)
class FrameResult:
    sequence: int
    timestamp: float
    faces: tuple[tuple[FaceReading, LookResult], ...]
    decision: Decision

    @property
    def subject(self) -> tuple[FaceReading, LookResult] | None:
        """The largest face (the one the policy judges when it is clearly the subject)."""
        return max(self.faces, key=lambda f: f[0].area) if self.faces else None


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


class Shooter:
    """Decides, frame by frame, when to fire for the target look. Not thread-safe: one analysis thread."""

    def __init__(
        self,
        models: Models,
        book: LookBook,
        policy: PolicySettings | None = None,
        target: str = "approachable",
        vision: VisionSettings | None = None,
    ) -> None:
        vision = vision or VisionSettings()
        self.pipeline = FacePipeline(models=models, settings=vision)
        self._still_pipeline = FacePipeline(models=models, settings=vision)
        self.book = book
        self.policy = TriggerPolicy(policy, target=target)
        self.scorer = LookScorer(book, target=target, policy=self.policy.settings)

    def set_book(self, book: LookBook) -> None:
        """New look recipes (the operator's looks file changed between sessions)."""
        self.book = book
        self.scorer.set_book(book)

    def set_policy(self, settings: PolicySettings) -> None:
        """New trigger settings (thresholds, hold, cooldown) for the policy and the coaching alike."""
        self.policy.settings = settings
        self.scorer.policy = settings

    @property
    def target(self) -> str:
        return self.policy.target

    def set_target(self, look: str) -> None:
        self.policy.target = look
        self.scorer.target = look

    def set_baseline(self, baseline: Baseline) -> None:
        self.scorer.set_baseline(baseline)

    def reset(self) -> None:
        self.pipeline.reset()
        self.policy.reset()

    def step(
        self,
        pixels: np.ndarray,
        timestamp: float,
        sequence: int,
        now: float | None = None,
        clock: Callable[[], float] | None = None,
        may_fire: bool = True,
    ) -> FrameResult:
        """Analyse one frame and decide. The decision's time is ``now``, or ``clock()`` read after the
        analysis (so ``decided_at - peak_timestamp`` includes the time the models took). ``may_fire`` false:
        judge for the live view only (no session is shooting)."""
        readings = self.pipeline.analyze(pixels)
        faces = tuple((r, self.scorer.score(r, timestamp)) for r in readings)
        observation = Observation(timestamp, sequence, tuple(subject_score(r, res) for r, res in faces))
        if now is None:
            now = clock() if clock is not None else timestamp
        return FrameResult(sequence, timestamp, faces, self.policy.update(observation, now, may_fire))

    def manual(self, last: FrameResult | None, now: float) -> Decision:
        """A shot asked for by hand: bypasses the rules, keeps the last frame's scores."""
        observation = None
        if last is not None:
            observation = Observation(
                last.timestamp, last.sequence, tuple(subject_score(*f) for f in last.faces)
            )
        return self.policy.manual_fire(now, observation)

    def check_still(self, pixels: np.ndarray, look: str) -> StillCheck:
        """Re-read the saved still on its own (no tracking): reject closed eyes or a lost look.

        Read at most :data:`STILL_CHECK_SIDE` px wide and without the tiled search (the sitter fills the
        frame): a full-resolution tiled read costs about 250 ms here and seconds on a Pi, all of it on the
        analysis thread.
        """
        image = Image.fromarray(pixels)
        if max(image.size) > STILL_CHECK_SIDE:
            image.thumbnail((STILL_CHECK_SIDE, STILL_CHECK_SIDE), Image.Resampling.BILINEAR)
        faces = self._still_pipeline.analyze(np.asarray(image), track=False, thorough=False)
        if not faces:
            return StillCheck(False, "no face in the still", None, None, image.size)
        reading = max(faces, key=lambda f: f.area)
        scorer = LookScorer(
            self.book, self.scorer.baseline, look, hold_seconds=0.0, policy=self.policy.settings
        )
        result = scorer.score(reading, 0.0)
        if not reading.eyes_open:
            return StillCheck(False, "eyes closed in the still", reading, result, image.size)
        score = result.raw.get(look, 0.0)
        if score < self.policy.threshold_for(look) - STILL_MARGIN:
            return StillCheck(False, f"{look} fell to {score:.2f} in the still", reading, result, image.size)
        return StillCheck(True, "", reading, result, image.size)

"""One analysed frame through perception, looks and the trigger policy; and the re-check of a saved still.

Pure orchestration (numpy in, dataclasses out): the camera, the GPIO and storage stay with the caller
(:mod:`booth.service` on the booth, :mod:`booth.commands.simulate` on recorded footage), so both run exactly
the same decision path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
        hfov_deg: float | None = None,
    ) -> None:
        vision = vision or VisionSettings()
        self.pipeline = FacePipeline(models=models, settings=vision, hfov_deg=hfov_deg)
        self._still_pipeline = FacePipeline(models=models, settings=vision, hfov_deg=hfov_deg)
        self.book = book
        self.scorer = LookScorer(book, target=target)
        self.policy = TriggerPolicy(policy, target=target)

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

    def step(self, pixels: np.ndarray, timestamp: float, sequence: int, now: float) -> FrameResult:
        readings = self.pipeline.analyze(pixels)
        faces = tuple((r, self.scorer.score(r, timestamp)) for r in readings)
        observation = Observation(timestamp, sequence, tuple(subject_score(r, res) for r, res in faces))
        return FrameResult(sequence, timestamp, faces, self.policy.update(observation, now))

    def manual(self, last: FrameResult | None, now: float) -> Decision:
        """A shot asked for by hand: bypasses the rules, keeps the last frame's scores."""
        observation = None
        if last is not None:
            observation = Observation(
                last.timestamp, last.sequence, tuple(subject_score(*f) for f in last.faces)
            )
        return self.policy.manual_fire(now, observation)

    def check_still(self, pixels: np.ndarray, look: str) -> StillCheck:
        """Re-read the saved still on its own (no tracking): reject closed eyes or a lost look."""
        faces = self._still_pipeline.analyze(pixels, track=False)
        if not faces:
            return StillCheck(False, "no face in the still", None, None)
        reading = max(faces, key=lambda f: f.area)
        scorer = LookScorer(self.book, self.scorer.baseline, look, hold_seconds=0.0)
        result = scorer.score(reading, 0.0)
        if not reading.eyes_open:
            return StillCheck(False, "eyes closed in the still", reading, result)
        threshold = self.book.looks[look].threshold if look in self.book.looks else 0.0
        # The still is one frame, unsmoothed: allow it a little below the smoothed threshold.
        if result.raw.get(look, 0.0) < threshold - 0.1:
            return StillCheck(
                False, f"{look} fell to {result.raw.get(look, 0.0):.2f} in the still", reading, result
            )
        return StillCheck(True, "", reading, result)

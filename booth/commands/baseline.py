"""A sitter's baseline (resting face and lens calibration) from a still or from named frames of a video.

``booth analyze --baseline`` and ``booth simulate --calibrate`` take it this way; the booth itself takes the
same :class:`~booth.looks.Baseline` from its live baseline step, so the commands judge a clip exactly as a
calibrated booth would.
"""

from __future__ import annotations

import argparse
import logging

from booth import looks
from booth.errors import MediaError
from booth.media import MediaSpan, iter_frames
from booth.vision import FacePipeline, FaceReading

log = logging.getLogger(__name__)

#: A video named without a frame range gives its first second.
DEFAULT_SECONDS = 1.0


def span_argument(text: str) -> MediaSpan:
    """``FILE`` or ``FILE@FROM-TO`` as a command-line argument (argparse shows the message as given)."""
    try:
        return MediaSpan.parse(text)
    except MediaError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def capture_baseline(pipeline: FacePipeline, span: MediaSpan) -> looks.Baseline:
    """The baseline from ``span``: a still, the named frames of a video (inclusive), or a video's first
    second; the largest face per frame, a frame without one counting as "face lost" for the calibration.

    Frames before the span are read too (tracking runs as on live video) but not used.
    """
    readings: list[FaceReading | None] = []
    for frame in iter_frames(span.path):
        if frame.index is not None:
            if span.first is None and frame.timestamp > DEFAULT_SECONDS:
                break
            if span.last is not None and frame.index > span.last:
                break
        faces = pipeline.analyze(frame.pixels, track=frame.index is not None)
        if span.covers(frame.index):
            readings.append(max(faces, key=lambda f: f.area) if faces else None)
    pipeline.reset()
    if not any(readings):
        raise MediaError(f"{span}: no face in the baseline; use a photo or frames of the sitter at rest")
    baseline = looks.Baseline.capture(readings)
    log.info("baseline from %s: %d frames; %s", span, baseline.frames, baseline.calibration.describe())
    return baseline

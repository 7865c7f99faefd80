"""Perception: real TFLite face models on numpy frames.

Pure by design: numpy arrays and :class:`~booth.vision.params.VisionParams` in,
:class:`~booth.vision.reading.FaceReading` dataclasses out. The only module here that touches a TFLite
runtime is :mod:`booth.vision.runtime`; nothing here touches a camera, GPIO, a web framework, a database or
the booth's settings. See README.md in this folder for the pipeline and its numbers.
"""

from booth.vision.params import VisionParams
from booth.vision.pipeline import FacePipeline, Models
from booth.vision.reading import FaceReading, HeadPose

__all__ = ["FacePipeline", "FaceReading", "HeadPose", "Models", "VisionParams"]

"""Perception: real TFLite face models on numpy frames.

Pure by design: numpy arrays in, :class:`~booth.vision.reading.FaceReading` dataclasses out. The only module
here that touches a TFLite runtime is :mod:`booth.vision.runtime`; nothing here touches a camera, GPIO, a web
framework or a database. See README.md in this folder for the pipeline and its numbers.
"""

from booth.vision.pipeline import FacePipeline
from booth.vision.reading import FaceReading, HeadPose

__all__ = ["FacePipeline", "FaceReading", "HeadPose"]

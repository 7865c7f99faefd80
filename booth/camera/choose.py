"""Turning a camera spec (``camera.source`` in the config, ``--camera`` on the command line) into a camera.

``auto`` prefers the real thing and says why it settled: a Pi camera if picamera2 imports and libcamera
lists one, else the first ``/dev/videoN`` that opens as a webcam, else the demo replay of the project's real
face footage, so ``make run`` shows a working booth on any machine.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from booth import assets
from booth.camera import picam, usb
from booth.camera.base import Camera
from booth.camera.picam import PicameraCamera
from booth.camera.replay import ReplayCamera
from booth.camera.usb import UsbCamera
from booth.config import CameraSettings
from booth.errors import ConfigError, ModelError

log = logging.getLogger(__name__)

#: Demo footage, best first: the clip the shutter should fire on, then the other fetched face clips.
DEMO_CLIPS = ("single_face.mp4", "WolfgangLanger_Pexels.mp4", "noface_face.mov", "face_noface.mov")
SPEC_HELP = 'use "auto", "picamera2", "usb:N" (N = the number of /dev/videoN) or "replay:PATH"'


def parse_spec(spec: str) -> tuple[str, str | None]:
    """Split a spec into ``(kind, argument)``; a one-line :class:`ConfigError` if it is not one."""
    spec = spec.strip()
    if spec in ("auto", "picamera2"):
        return spec, None
    match = re.fullmatch(r"(usb|replay):(.+)", spec)
    if match is None or (match.group(1) == "usb" and not match.group(2).isdigit()):
        raise ConfigError(f"camera {spec!r} is not a camera spec; {SPEC_HELP}")
    return match.group(1), match.group(2)


def demo_footage() -> Path:
    """The first fetched, verified demo clip; if none is, the first one's path (the replay then reports
    the fault and the fix: fetch the media)."""
    for name in DEMO_CLIPS:
        try:
            return assets.media_path(name)
        except ModelError as err:
            log.debug("demo clip unavailable: %s", err)
    return assets.paths.media_dir() / DEMO_CLIPS[0]


def _auto(settings: CameraSettings) -> Camera:
    cameras = picam.list_cameras()
    if cameras:
        log.info("camera auto: picamera2 (libcamera lists %s)", cameras[0].get("Model", "a camera"))
        return PicameraCamera(settings, 0)
    for index in usb.list_devices():
        if usb.probe(index):
            log.info("camera auto: USB webcam /dev/video%d (no Pi camera listed)", index)
            return UsbCamera(index, settings)
    path = demo_footage()
    log.info("camera auto: demo replay of %s (no Pi camera listed, no /dev/video* webcam opens)", path)
    return ReplayCamera(path, settings)


def open_camera(spec: str | None, settings: CameraSettings | None = None) -> Camera:
    """Build (not start) the camera for ``spec``, or ``settings.source`` when spec is None."""
    settings = settings or CameraSettings()
    kind, arg = parse_spec(spec if spec is not None else settings.source)
    if kind == "auto":
        return _auto(settings)
    if kind == "picamera2":
        return PicameraCamera(settings, 0)
    if kind == "usb":
        assert arg is not None
        return UsbCamera(int(arg), settings)
    assert arg is not None
    return ReplayCamera(Path(arg).expanduser(), settings)

"""USB webcam through V4L2, read with PyAV (already a dependency for video files).

For laptops and cheap kiosks. PyAV's bundled FFmpeg has the ``v4l2`` input; the device is asked for
``analysis_size`` at ``fps`` (a webcam that cannot do it answers with its nearest mode, and frames larger
than the analysis size are scaled down). The read timeout makes a stalled webcam raise instead of
blocking the capture thread forever. The ring buffer holds the analysis frames themselves.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from booth.camera.base import Camera, Grab
from booth.config import CameraSettings
from booth.errors import CameraFault

log = logging.getLogger(__name__)

#: Seconds PyAV may take to open the device.
OPEN_TIMEOUT = 5.0


def device_path(index: int) -> Path:
    return Path(f"/dev/video{index}")


def list_devices(dev: Path = Path("/dev")) -> list[int]:
    """Indices N of the ``/dev/videoN`` nodes, in order (capture or not: see :func:`probe`)."""
    found = (re.fullmatch(r"video(\d+)", p.name) for p in dev.glob("video*"))
    return sorted(int(m.group(1)) for m in found if m)


def probe(index: int) -> bool:
    """True if ``/dev/videoN`` opens as a V4L2 capture device (a Pi's codec and ISP nodes do not)."""
    import av  # deferred: only needed for webcams

    try:
        container = av.open(str(device_path(index)), format="v4l2", timeout=(OPEN_TIMEOUT, OPEN_TIMEOUT))
    except (av.error.FFmpegError, OSError) as err:
        log.debug("/dev/video%d does not open as a webcam: %s", index, err)
        return False
    container.close()
    return True


class UsbCamera(Camera):
    """A V4L2 webcam, ``/dev/videoN``."""

    kind = "usb"

    def __init__(self, index: int, settings: CameraSettings) -> None:
        super().__init__(settings, str(device_path(index)))
        self.index = index
        self._container: Any = None
        self._decoded: Iterator[Any] | None = None

    def _open(self) -> None:
        import av  # deferred: only needed for webcams

        if not device_path(self.index).exists():
            raise CameraFault(
                f"{self.source}: no such device; plug in the webcam or pick another --camera usb:N, retrying"
            )
        width, height = self.settings.analysis_size
        options = {"video_size": f"{width}x{height}", "framerate": f"{self.settings.fps:g}"}
        try:
            timeout = (OPEN_TIMEOUT, self.settings.stall_seconds)
            self._container = av.open(self.source, format="v4l2", options=options, timeout=timeout)
        except (av.error.FFmpegError, OSError) as err:
            raise CameraFault(
                f"{self.source}: cannot open as a V4L2 webcam ({err}); check it is a camera and no other "
                "program holds it, retrying"
            ) from None
        if not self._container.streams.video:
            raise CameraFault(f"{self.source}: has no video stream; choose another --camera usb:N")
        self._decoded = self._container.decode(self._container.streams.video[0])

    def _grab(self, timeout: float) -> Grab:
        import av  # deferred: only needed for webcams

        assert self._decoded is not None
        try:
            frame = next(self._decoded, None)
        except (av.error.FFmpegError, OSError) as err:
            raise CameraFault(f"{self.source}: lost ({err}); check the USB cable, retrying") from None
        if frame is None:
            raise CameraFault(f"{self.source}: the stream ended (unplugged?); check the USB cable, retrying")
        width, height = frame.width, frame.height
        max_w, max_h = self.settings.analysis_size
        if width > max_w or height > max_h:
            scale = min(max_w / width, max_h / height)
            width, height = round(width * scale) // 2 * 2, round(height * scale) // 2 * 2
        return Grab(frame.to_ndarray(format="rgb24", width=width, height=height))

    def _close(self) -> None:
        container, self._container, self._decoded = self._container, None, None
        if container is not None:
            container.close()

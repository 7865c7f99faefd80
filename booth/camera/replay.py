"""Replay camera: a video file or a folder of images, looping, as if a camera were watching it.

Why: the booth must run the same in CI, on a laptop without a webcam and in a demo, and the benchmark
needs frames as fast as they decode. Paced in real time (the clip's own timestamps, or ``settings.fps`` for
an image folder) or, with ``realtime=False``, as fast as possible. A missing or corrupt file is a camera
fault like an unplugged camera: reported, retried with backoff, cleared when the file is fixed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from pathlib import Path

from booth.camera.base import Camera, Grab
from booth.config import CameraSettings
from booth.errors import CameraFault, MediaError
from booth.media import IMAGE_SUFFIXES, Frame, is_video, iter_video, load_image

log = logging.getLogger(__name__)

#: Behind schedule by more than this (slow reader, paused process), replay re-anchors instead of racing.
MAX_LAG_SECONDS = 0.5


class ReplayCamera(Camera):
    """Loops ``path`` forever; the ring buffer holds the replayed frames themselves."""

    kind = "replay"

    def __init__(self, path: Path | str, settings: CameraSettings, realtime: bool | None = None) -> None:
        super().__init__(settings, str(path))
        self.path = Path(path)
        self.realtime = settings.replay_realtime if realtime is None else realtime
        self._max_side = max(settings.analysis_size)
        self._iter: Generator[Frame, None, None] | None = None
        self._pending: Frame | None = None
        self._anchor: tuple[float, float] | None = None  # (monotonic, clip seconds) of the pass's first frame
        self._bad: set[Path] = set()
        self._last_due: float | None = None  # monotonic moment the previous frame was due
        self._last_clip = 0.0  # its clip time
        self._gap = 1.0 / settings.fps  # clip seconds between frames, learnt from the clip
        self.loops = 0

    # -- frame sources -----------------------------------------------------------------------------

    def _images(self) -> list[Path]:
        return sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)

    def _iter_folder(self) -> Generator[Frame, None, None]:
        interval = 1.0 / self.settings.fps
        for index, image in enumerate(self._images()):
            try:
                pixels = load_image(image, max_side=self._max_side)
            except MediaError as err:
                if image not in self._bad:
                    self._bad.add(image)
                    log.warning("replay: skipping %s", err)
                continue
            yield Frame(pixels, index, index * interval)

    def _new_pass(self) -> Generator[Frame, None, None]:
        if self.path.is_dir():
            return self._iter_folder()
        return iter_video(self.path, max_side=self._max_side, threaded=False)  # CPU on this thread

    def _next_of_pass(self) -> Frame | None:
        """Next frame of the current pass, or None at its end; MediaError if nothing decodes."""
        assert self._iter is not None
        return next(self._iter, None)

    # -- Camera hooks ------------------------------------------------------------------------------

    def _open(self) -> None:
        if not self.path.exists():
            raise CameraFault(
                f"replay {self.path}: no such file or folder; fetch the demo clips with `booth models fetch "
                "--media` or give another --camera replay:PATH"
            )
        if not self.path.is_dir() and not is_video(self.path):
            raise CameraFault(f"replay {self.path}: not a video or an image folder; give a video or a folder")
        self._start_pass()

    def _start_pass(self) -> None:
        self._iter = self._new_pass()
        self._anchor = None
        try:
            self._pending = self._next_of_pass()
        except MediaError as err:
            raise CameraFault(f"replay {err}; replace the file or choose another --camera") from None
        if self._pending is None:
            raise CameraFault(f"replay {self.path}: no decodable frame; replace it or pick another --camera")

    def _grab(self, timeout: float) -> Grab | None:
        if self._pending is None:
            self.loops += 1
            self._start_pass()
        frame, self._pending = self._pending, None
        assert frame is not None
        if self.realtime and not self._wait_until_due(frame.timestamp):
            return None
        try:
            self._pending = self._next_of_pass()
        except MediaError as err:
            raise CameraFault(f"replay {err}; replace the file or choose another --camera") from None
        return Grab(frame.pixels)

    def _wait_until_due(self, clip_seconds: float) -> bool:
        """Sleep until the frame's moment in the pass; False if asked to stop meanwhile.

        A new pass starts one frame interval after the previous pass's last frame, so the loop seam is paced
        like any other frame.
        """
        now = time.monotonic()
        if self._anchor is None:
            start = now if self._last_due is None else max(now, self._last_due + self._gap)
            self._anchor = (start, clip_seconds)
        elif clip_seconds > self._last_clip:
            self._gap = clip_seconds - self._last_clip
        self._last_clip = clip_seconds
        due = self._anchor[0] + clip_seconds - self._anchor[1]
        if now - due > MAX_LAG_SECONDS:
            self._anchor = (now, clip_seconds)
            due = now
        self._last_due = due
        return not self._stop.wait(max(0.0, due - now))

    def _close(self) -> None:
        if self._iter is not None:
            self._iter.close()  # closes the video container now, not at garbage collection
        self._iter = None
        self._pending = None

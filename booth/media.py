"""Decoding photos (Pillow) and videos (PyAV) into RGB numpy frames.

Everything that reads a file of pixels goes through here: ``booth analyze``, the replay camera, evaluation
and tests. Errors are one-line :class:`MediaError` naming the file. Very large images are downscaled while
decoding (JPEG draft mode) and then to :data:`MAX_SIDE`, so memory stays bounded whatever the input.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from booth.errors import MediaError
from booth.imaging import MAX_PIXELS

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".ppm", ".pgm", ".bmp", ".webp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm"})
#: Longest side handed to the models; the detector sees 128 px and the landmark crop 256 px, so more
#: resolution only costs memory and time.
MAX_SIDE = 1920


@dataclass(frozen=True)
class Frame:
    """One decoded RGB frame: ``pixels`` is HxWx3 uint8, ``index`` the frame number (None for a still)."""

    pixels: np.ndarray
    index: int | None
    timestamp: float  # seconds from the start of the video, 0.0 for a still


#: FILE@FROM-TO with ASCII digits (str.isdigit would take "²").
_SPAN = re.compile(r"(.+)@([0-9]+)-([0-9]+)")


@dataclass(frozen=True)
class MediaSpan:
    """A photo, or a range of a video's frames, as the command line names it: ``FILE`` or ``FILE@FROM-TO``
    (frame numbers from 0, the range inclusive)."""

    path: Path
    first: int | None = None
    last: int | None = None

    @classmethod
    def parse(cls, text: str) -> MediaSpan:
        """``clip.mp4@120-150`` or ``photo.jpg`` (a path may itself hold an ``@``: ``photo@2x.jpg``).

        Text ending in ``@`` and something that is not a range, after a media file's name, is a one-line
        :class:`MediaError` naming the form, as is a range that runs backwards.
        """
        match = _SPAN.fullmatch(text)
        if match:
            first, last = int(match[2]), int(match[3])
            if first > last:
                raise MediaError(f"{text}: the range runs backwards; name frames as FILE@FROM-TO (inclusive)")
            return cls(Path(match[1]), first, last)
        head, at, _ = text.rpartition("@")
        if at and Path(head).suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
            raise MediaError(f"{text}: name frames as FILE@FROM-TO, e.g. clip.mp4@120-150 (inclusive)")
        return cls(Path(text))

    def covers(self, index: int | None) -> bool:
        """Whether frame ``index`` (None for a still) is in the span; a span without a range is all of it."""
        if self.first is None or self.last is None:
            return True
        return index is not None and self.first <= index <= self.last

    def __str__(self) -> str:
        return str(self.path) if self.first is None else f"{self.path.name}@{self.first}-{self.last}"


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def _fit(image: Image.Image, max_side: int) -> Image.Image:
    if max(image.size) > max_side:
        scale = max_side / max(image.size)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    return image


def load_image(path: Path | str, max_side: int = MAX_SIDE) -> np.ndarray:
    """Decode a photo into an HxWx3 uint8 RGB array no larger than ``max_side`` on its long side."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
        with image:
            if image.width * image.height > MAX_PIXELS:
                raise MediaError(f"{path}: {image.width}x{image.height} is too large to be a photo")
            image.draft("RGB", (max_side, max_side))  # JPEG: decode at reduced scale, bounded memory
            rgb = _fit(image.convert("RGB"), max_side)
            return np.asarray(rgb)
    except FileNotFoundError:
        raise MediaError(f"{path}: no such file") from None
    except UnidentifiedImageError:
        raise MediaError(f"{path}: not an image Pillow can read (empty, corrupt or another format)") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise MediaError(f"{path}: cannot decode image ({err})") from None


def iter_video(
    path: Path | str, every: int = 1, max_side: int = MAX_SIDE, threaded: bool = True
) -> Generator[Frame, None, None]:
    """Yield RGB frames of a video; stops quietly (with a log line) at undecodable trailing frames.

    ``threaded`` lets libavcodec decode, and swscale convert to RGB, on their own worker threads (faster
    for a whole clip, as ``booth eval`` reads them). ``threaded=False`` does both on the calling thread, as
    the replay camera does: the work is then the camera thread's CPU, which the booth's CPU split charges
    to the camera stage (on worker threads it fell to "other", and the threads started and ended with
    every loop of the clip). The frames are the same either way (``tests/test_media.py``).
    """
    import av  # deferred: PyAV is only needed for video

    path = Path(path)
    try:
        container = av.open(str(path))
    except FileNotFoundError:
        raise MediaError(f"{path}: no such file") from None
    except (av.error.FFmpegError, OSError) as err:
        raise MediaError(f"{path}: not a video PyAV can open ({err})") from None
    with container:
        if not container.streams.video:
            raise MediaError(f"{path}: has no video stream")
        stream = container.streams.video[0]
        if threaded:
            stream.thread_type = "AUTO"
        else:
            stream.thread_type = "NONE"
            stream.thread_count = 1
        index = 0
        try:
            for frame in container.decode(stream):
                if index % every == 0:
                    width, height = frame.width, frame.height
                    if max(width, height) > max_side:
                        scale = max_side / max(width, height)
                        width, height = round(width * scale) // 2 * 2, round(height * scale) // 2 * 2
                    pixels = frame.to_ndarray(
                        format="rgb24", width=width, height=height, threads=None if threaded else 1
                    )
                    seconds = float(frame.time) if frame.time is not None else index / 30.0
                    yield Frame(pixels, index, seconds)
                index += 1
        except av.error.FFmpegError as err:
            if index == 0:
                raise MediaError(f"{path}: no decodable frame ({err})") from None
            log.warning("%s: stopped at frame %d, the rest does not decode (%s)", path, index, err)


def iter_frames(path: Path | str, every: int = 1) -> Iterator[Frame]:
    """Frames of any supported file: one for a photo, every ``every``-th for a video."""
    path = Path(path)
    if is_video(path):
        yield from iter_video(path, every=every)
    else:
        yield Frame(load_image(path), None, 0.0)

"""JPEG encoding, in one place for the whole booth.

Why one home: stored originals, export and gallery crops, gallery views, the live preview and its
placeholder are all JPEGs that a person looks at side by side. When each of four places spelled its own
``save(..., "JPEG")``, a change to one (say ``optimize=True`` for smaller downloads, or 4:4:4 chroma for
sharper crops) silently missed the others, and each site had its own idea of which image modes it
accepted. Here the choices are made once:

* **4:2:0 subsampling**, Pillow's and libjpeg's default for photos: the eye barely sees halved chroma, and
  it makes files about a third smaller than 4:4:4, which matters on an SD card and over the booth's Wi-Fi.
* **No Huffman optimisation**: it costs an extra pass over the data (noticeable per preview frame on a
  Pi) for a few percent of size.
* **Quality is the caller's**: it is the one setting that differs by use (stored stills are kept at
  ``storage.jpeg_quality``, the preview at ``web.preview_quality``), so it is the one argument.

These are exactly what every site did before (Pillow's defaults), so the bytes did not change when the
encoders were merged. Only Pillow and numpy are used: no OpenCV on the Pi.

Cutting a crop or a smaller view out of a stored photo has its one home here too (:func:`render_jpeg`,
:func:`open_photo`, :func:`cut_jpeg`): the zip export, the booth's gallery and the cloud delivery each
used to open the photo, crop and encode on their own, and a client compares what they got from each. The
same photo, box, size and quality give the same bytes whichever of them asks, so a delivery retried after
a crash finds its object already in the bucket.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

from booth.crops import Box

#: Quality of a still kept without an explicit setting; ``storage.jpeg_quality`` has the same default.
STILL_QUALITY = 92
#: Modes a JPEG stores as they are; any other (RGBA, P, CMYK, I;16 ...) is converted to RGB first.
_JPEG_MODES = ("RGB", "L")
#: The largest photo opened, in pixels: above any camera a booth uses (a 64 MP sensor is 9152 x 6944),
#: far below what would exhaust a Pi's memory when decoded; ``booth.media`` refuses decoding above it too.
MAX_PIXELS = 150_000_000
#: The resampling of a view: Lanczos in two steps (a cheap reduce first when the view is much smaller).
_RESAMPLE = Image.Resampling.LANCZOS
_REDUCING_GAP = 3.0


def encode_jpeg(image: np.ndarray | Image.Image, quality: int = STILL_QUALITY) -> bytes:
    """``image`` as JPEG bytes at ``quality`` (1-95 useful), with the booth's one set of encoder choices.

    ``image`` is a Pillow image or an array: HxWx3 RGB, HxWx4 RGBA (alpha dropped) or HxW grey. Arrays
    are cast to uint8 and made contiguous only when they are not already (a camera frame is used as is,
    without a copy); Pillow images are never modified.
    """
    if isinstance(image, np.ndarray):
        image = Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8))
    if image.mode not in _JPEG_MODES:
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, subsampling="4:2:0", optimize=False)
    return out.getvalue()


def fit_size(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """``size`` (width, height) scaled so its longer side is at most ``max_side``, keeping its shape.

    Never enlarged. Public because a page that shows a view gives its width and height before the view is
    made (the cloud gallery's ``<img width height>``): both sides then agree to the pixel.
    """
    width, height = size
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side {max_side}; use 1 or more pixels")
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


@contextmanager
def open_photo(path: Path | str) -> Iterator[Image.Image]:
    """The stored photo at ``path``, fully decoded (``load()``: the file is read and closed here, so a
    truncated or corrupt file fails now, as an :class:`OSError`, not later in an encoder).

    Every failure is an :class:`OSError` naming the cause, whatever Pillow raised, so a caller handles
    one family: a missing file, an unreadable one, or a decompression bomb (a file that claims more than
    :data:`MAX_PIXELS`; Pillow's own warning for that is not raised, the bound here replaces it).
    """
    with _opened(path) as image:
        _load(image)
        yield image


def cut_jpeg(
    image: Image.Image, box: Box | None = None, max_side: int | None = None, quality: int = STILL_QUALITY
) -> bytes:
    """``image`` cropped to ``box`` (None: whole), shrunk to ``max_side`` (None: as is), as JPEG bytes.

    ``image`` is never modified, so one opened photo gives several cuts (the zip export's crops).
    """
    if box is not None:
        image = image.crop(box)
    return _encode_fitted(image, fit_size(image.size, max_side), quality)


def render_jpeg(
    path: Path | str, box: Box | None = None, max_side: int | None = None, quality: int = STILL_QUALITY
) -> bytes:
    """The stored photo at ``path``, cropped to ``box`` and shrunk to ``max_side``, as JPEG bytes.

    Raises :class:`OSError` (see :func:`open_photo`) when the photo cannot be read. A whole JPEG shrunk to
    a view is decoded at a reduced scale (1/2, 1/4 or 1/8, still at least :data:`_REDUCING_GAP` times the
    view): less memory and time on a Pi, no visible difference. Its size is still :func:`fit_size` of the
    stored photo's. A crop is cut from the full decode: its box is in the stored photo's pixels.
    """
    with _opened(path) as image:
        if box is not None or max_side is None:
            _load(image)
            return cut_jpeg(image, box, max_side, quality)
        target = fit_size(image.size, max_side)
        if image.format == "JPEG" and target != image.size:
            image.draft(None, (round(target[0] * _REDUCING_GAP), round(target[1] * _REDUCING_GAP)))
        _load(image)
        return _encode_fitted(image, target, quality)


@contextmanager
def _opened(path: Path | str) -> Iterator[Image.Image]:
    """The photo opened (its header read, no pixels yet), refused if it claims too many pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError as err:
        raise OSError(f"{err}; not a photo") from None
    with image:
        if image.width * image.height > MAX_PIXELS:
            raise OSError(f"{image.width}x{image.height} pixels is too large to be a photo")
        yield image


def _load(image: Image.Image) -> None:
    try:
        image.load()
    except (SyntaxError, ValueError) as err:  # Pillow's parsers raise these for some corrupt files
        raise OSError(f"cannot decode ({err})") from None


def _encode_fitted(image: Image.Image, size: tuple[int, int], quality: int) -> bytes:
    if image.size != size:
        image = image.resize(size, _RESAMPLE, reducing_gap=_REDUCING_GAP)
    return encode_jpeg(image, quality)

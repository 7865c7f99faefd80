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
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

#: Quality of a still kept without an explicit setting; ``storage.jpeg_quality`` has the same default.
STILL_QUALITY = 92
#: Modes a JPEG stores as they are; any other (RGBA, P, CMYK, I;16 ...) is converted to RGB first.
_JPEG_MODES = ("RGB", "L")


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

"""A stored session for the gallery tests: real face photos kept through the real Storage.

Three looks: "approachable" with two takes (the second one the best, so the page's order, best first, differs
from the order taken), "confident" with one, and "playful" with one that has no crop boxes (only the
original to offer). Every shot's scores name every look, as the booth's do: that is what the client's zip
must leave out. The photos are enlarged to a camera's size (1600 pixels high), so the page's view images
are as large as a real booth's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from booth.media import load_image
from booth.storage import SessionRecord, ShotRecord, Storage

LOOKS = ("approachable", "confident", "playful")
TAKES = (
    ("approachable", "single_face.jpg", False),
    ("approachable", "grace_hopper.jpg", True),
    ("confident", "0-f15-hao-ph.jpg", True),
    ("playful", "0-f1-su-ph.jpg", True),
)


def centred_crops(width: int, height: int) -> dict[str, tuple[int, int, int, int]]:
    """Exact 4:5 and 1:1 boxes in the middle of a ``width`` x ``height`` photo."""
    side = min(width, height) * 9 // 10 // 5 * 5  # nine tenths of the short side, a multiple of 5
    boxes = {}
    for name, w in (("4x5", side * 4 // 5), ("1x1", side)):
        x0, y0 = (width - w) // 2, (height - side) // 2
        boxes[name] = (x0, y0, x0 + w, y0 + side)
    return boxes


def camera_sized(pixels: np.ndarray, height: int = 1600) -> np.ndarray:
    image = Image.fromarray(pixels)
    return np.asarray(image.resize((image.width * height // image.height, height), Image.Resampling.LANCZOS))


def seed_gallery(storage: Storage, media: Callable[[str], Path]) -> tuple[SessionRecord, list[ShotRecord]]:
    """Store the session of :data:`TAKES` (ended, delivered); return it and its shots in the order taken."""
    record = storage.start_session(list(LOOKS), "ok")
    shots = []
    for look, name, best in TAKES:
        pixels = camera_sized(load_image(media(name)))
        height, width = pixels.shape[:2]
        scores = {other: (0.8 if other == look else 0.1) for other in LOOKS}
        crops = None if look == "playful" else centred_crops(width, height)
        shot = storage.add_shot(record.id, look, pixels, scores=scores, combined=0.7, crops=crops, best=best)
        shots.append(shot)
    storage.end_session(record.id, "delivered")
    return record, shots

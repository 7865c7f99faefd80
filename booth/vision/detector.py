"""BlazeFace short-range face detection: letterbox, anchors, decoding and weighted non-max suppression.

The model predicts, for each of 896 fixed anchors, a box and six keypoints relative to the anchor, plus a
logit. Anchors come from a 16x16 grid (stride 8, two per cell) and an 8x8 grid (stride 16, six per cell);
MediaPipe's SSD anchor options for this model give every anchor a unit size, so offsets are simply divided
by the 128-pixel input size.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

from booth.vision.crop import RotatedRect
from booth.vision.runtime import Model

INPUT_SIZE = 128
MIN_SCORE = 0.5
NMS_IOU = 0.3
#: Keypoint order of the model's output.
KEYPOINTS = ("right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear")


def make_anchors() -> np.ndarray:
    """Anchor centres (896 x 2, normalised x, y) in the model's output order."""
    centres = []
    for grid, per_cell in ((16, 2), (8, 6)):
        ys, xs = np.mgrid[0:grid, 0:grid]
        cells = np.stack([(xs.ravel() + 0.5) / grid, (ys.ravel() + 0.5) / grid], axis=1)
        centres.append(np.repeat(cells, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


ANCHORS = make_anchors()


@dataclass(frozen=True)
class Detection:
    """A detected face in frame pixels: box (x0, y0, x1, y1), keypoints (6 x 2), score."""

    box: tuple[float, float, float, float]
    keypoints: np.ndarray
    score: float

    def roi(self) -> RotatedRect:
        """The landmark model's crop: box centre, rotated so the eyes are level, 1.5x, square."""
        x0, y0, x1, y1 = self.box
        (rx, ry), (lx, ly) = self.keypoints[0], self.keypoints[1]
        angle = math.atan2(ly - ry, lx - rx)
        return RotatedRect((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, angle).scaled(1.5)


def _areas(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intersection of box ``a`` (4,) with each of boxes ``b`` (N, 4), and the areas of ``a`` and of ``b``."""
    ix0, iy0 = np.maximum(a[0], b[:, 0]), np.maximum(a[1], b[:, 1])
    ix1, iy1 = np.minimum(a[2], b[:, 2]), np.minimum(a[3], b[:, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    return inter, (a[2] - a[0]) * (a[3] - a[1]), (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of box ``a`` (4,) against boxes ``b`` (N, 4)."""
    inter, area_a, area_b = _areas(a, b)
    return inter / np.maximum(area_a + area_b - inter, 1e-9)


def overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over the smaller box, of box ``a`` (4,) against boxes ``b`` (N, 4).

    Catches a face part found in a tile inside the whole face found elsewhere, which IoU misses.
    """
    inter, area_a, area_b = _areas(a, b)
    return inter / np.maximum(np.minimum(area_a, area_b), 1e-9)


def weighted_nms(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """MediaPipe's weighted NMS: overlapping candidates are averaged, weighted by score.

    Returns ``(box, keypoints, score)`` tuples, best first.
    """
    order = np.argsort(-scores)
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    remaining = np.ones(len(scores), dtype=bool)
    out = []
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        overlap = remaining & (iou(boxes[i], boxes) > NMS_IOU)
        weights = scores[overlap][:, None]
        total = weights.sum()
        box = (boxes[overlap] * weights).sum(axis=0) / total
        kps = (keypoints[overlap] * weights[:, :, None]).sum(axis=0) / total
        out.append((box, kps, float(scores[i])))
        remaining &= ~overlap
    return out


class FaceDetector:
    """Finds faces in a whole frame: when tracking has nothing to follow, and now and then for new faces.

    Safe to call from several threads: one interpreter serves them one call at a time (the live pipeline's
    periodic look runs on its own thread while a still may be read on the analysis thread).
    """

    def __init__(self, model: Model) -> None:
        if model.input_shape != (1, INPUT_SIZE, INPUT_SIZE, 3):
            raise ValueError(f"{model.path}: not the BlazeFace short-range model")
        self.model = model
        self._lock = threading.Lock()

    def detect(self, image: Image.Image, max_faces: int = 8, min_score: float = MIN_SCORE) -> list[Detection]:
        """Faces in the whole frame, letterboxed to 128 px (the booth's sitter fills much of the frame)."""
        with self._lock:
            boxes, kps, scores = self._candidates(image, min_score)
        return self._merge(boxes, kps, scores, max_faces)

    def detect_tiled(
        self, image: Image.Image, max_faces: int = 8, min_score: float = MIN_SCORE
    ) -> list[Detection]:
        """Also search overlapping tiles a third of the long side wide, for small faces in photos.

        The short-range model needs a face to span roughly a sixth of its input or more; a group photo's faces
        are smaller. Costs about 15 detector runs, so it is for stills, never the live path.
        """
        with self._lock:
            return self._tiled(image, max_faces, min_score)

    def _tiled(self, image: Image.Image, max_faces: int, min_score: float) -> list[Detection]:
        boxes, kps, scores = self._candidates(image, min_score)
        width, height = image.size
        side = max(width, height) / 3
        if side >= 64:
            step = side / 2
            for top in np.arange(0, max(height - side, 0) + 1, step):
                for left in np.arange(0, max(width - side, 0) + 1, step):
                    tile = image.crop((int(left), int(top), int(left + side), int(top + side)))
                    b, k, s = self._candidates(tile, min_score)
                    if len(s):
                        shift = np.array([int(left), int(top)], dtype=np.float32)
                        boxes = np.concatenate([boxes, b + np.tile(shift, 2)])
                        kps = np.concatenate([kps, k + shift])
                        scores = np.concatenate([scores, s])
        return self._merge(boxes, kps, scores, max_faces, contained=True)

    @staticmethod
    def _merge(
        boxes: np.ndarray, kps: np.ndarray, scores: np.ndarray, max_faces: int, contained: bool = False
    ) -> list[Detection]:
        """Weighted NMS; with ``contained``, also drop boxes mostly inside a better one (tile fragments)."""
        out: list[Detection] = []
        for box, points, score in weighted_nms(boxes, kps, scores) if len(scores) else []:
            if contained and out and overlap(box, np.array([d.box for d in out])).max() > 0.5:
                continue
            x0, y0, x1, y1 = (float(v) for v in box)
            out.append(Detection((x0, y0, x1, y1), points.astype(np.float32), score))
        return out[:max_faces]

    def _candidates(self, image: Image.Image, min_score: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decoded boxes (N x 4), keypoints (N x 6 x 2) and scores above ``min_score``, in frame pixels."""
        width, height = image.size
        scale = INPUT_SIZE / max(width, height)
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        pad_x, pad_y = (INPUT_SIZE - new_w) // 2, (INPUT_SIZE - new_h) // 2
        small = np.asarray(image.resize((new_w, new_h), Image.Resampling.BILINEAR))
        tensor = self.model.input
        tensor.fill(-1.0)
        np.multiply(small, np.float32(2 / 255), out=tensor[0, pad_y : pad_y + new_h, pad_x : pad_x + new_w])
        tensor[0, pad_y : pad_y + new_h, pad_x : pad_x + new_w] -= 1.0
        del tensor
        outputs = self.model.run()
        raw = self.model.output_named(outputs, (1, 896, 16))[0]
        logits = self.model.output_named(outputs, (1, 896, 1))[0, :, 0]
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80, 80)))
        keep = scores >= min_score
        if not keep.any():
            return np.empty((0, 4), np.float32), np.empty((0, 6, 2), np.float32), np.empty(0, np.float32)
        raw, anchors, scores = raw[keep], ANCHORS[keep], scores[keep]
        centre = raw[:, 0:2] / INPUT_SIZE + anchors
        half = raw[:, 2:4] / INPUT_SIZE / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        kps = raw[:, 4:16].reshape(-1, 6, 2) / INPUT_SIZE + anchors[:, None, :]
        # From letterboxed 128x128 units back to frame pixels.
        offset = np.array([pad_x, pad_y], dtype=np.float32)
        boxes = ((boxes * INPUT_SIZE).reshape(-1, 2, 2) - offset).reshape(-1, 4) / scale
        kps = (kps * INPUT_SIZE - offset) / scale
        return boxes, kps, scores

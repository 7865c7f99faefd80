"""Headshot crop boxes from the 478 FaceMesh landmarks: 4:5 and 1:1, eyes on the upper third line.

Why boxes, not pixels: originals are always kept untouched; a crop is a derived file cut from the original
whenever it is needed (export, gallery), so a better crop rule later re-crops every photo ever taken.

The rule, in the photographer's terms:

* the eye line (mean y of the two eye centres) sits on the upper third line of the crop;
* the face (forehead landmark 10 to chin landmark 152) fills ``face_fraction`` of the crop height, which
  leaves room for hair above and neck and shoulders below;
* horizontally the crop is centred between the eye midpoint and the chin (so a turned head keeps its face
  centred, not just its eyes);
* clamped to the image: first the box is shrunk (about the same eye point, same aspect) if it is larger
  than the image, then shifted inside it. After a shift the eyes may leave the third line; that is the least
  bad crop of a face at the edge of the frame.

Eye centres are the means of the iris points (468..472 and 473..477); with a 468-point mesh (no irises) the
mean of the eye corners 33/133 and 263/362. Boxes are ``(x0, y0, x1, y1)`` integer pixels, ``x1``/``y1``
exclusive, with exactly the requested aspect ratio.
"""

from __future__ import annotations

import logging
import math

import numpy as np

log = logging.getLogger(__name__)

#: Crop name -> (width, height) ratio.
ASPECTS: dict[str, tuple[int, int]] = {"4x5": (4, 5), "1x1": (1, 1)}

RIGHT_IRIS = slice(468, 473)  # the sitter's right eye (image left)
LEFT_IRIS = slice(473, 478)
RIGHT_CORNERS = (33, 133)
LEFT_CORNERS = (263, 362)
CHIN = 152
FOREHEAD = 10

Box = tuple[int, int, int, int]


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) eye centres (sitter's own left/right) as x, y pixels."""
    lm = np.asarray(landmarks, dtype=np.float64)[:, :2]
    if len(lm) >= 478:
        return lm[LEFT_IRIS].mean(axis=0), lm[RIGHT_IRIS].mean(axis=0)
    return lm[list(LEFT_CORNERS)].mean(axis=0), lm[list(RIGHT_CORNERS)].mean(axis=0)


def headshot_box(
    landmarks: np.ndarray,
    image_size: tuple[int, int],
    aspect: tuple[int, int] = (4, 5),
    face_fraction: float = 0.5,
) -> Box:
    """The crop box of one aspect for a face in an image of ``image_size`` (width, height) pixels."""
    if not 0 < face_fraction <= 1:
        raise ValueError(f"face_fraction {face_fraction} must be in (0, 1]")
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim != 2 or lm.shape[0] < 468 or lm.shape[1] < 2:
        raise ValueError(f"landmarks of shape {lm.shape}; expected 478 x 3 (or 468 x 3) FaceMesh points")
    width, height = image_size
    left, right = eye_centres(lm)
    eye_x, eye_y = (left + right) / 2
    face_h = float(np.hypot(*(lm[CHIN, :2] - lm[FOREHEAD, :2])))
    face_h = max(face_h, 2.0 * float(np.hypot(*(left - right))), 1.0)  # degenerate mesh: use the eye spacing
    centre_x = (eye_x + lm[CHIN, 0]) / 2

    aw, ah = aspect
    unit = face_h / face_fraction / ah  # crop height = ah * unit
    unit = min(unit, width / aw, height / ah)  # shrink to fit, keeping the aspect
    k = max(1, math.floor(unit))  # integer units keep the ratio exact
    w, h = aw * k, ah * k

    x0 = round(centre_x - w / 2)
    y0 = round(eye_y - h / 3)
    x0 = min(max(x0, 0), width - w)
    y0 = min(max(y0, 0), height - h)
    return (int(x0), int(y0), int(x0 + w), int(y0 + h))


def headshot_crops(
    landmarks: np.ndarray,
    image_size: tuple[int, int],
    landmark_size: tuple[int, int] | None = None,
    face_fraction: float = 0.5,
) -> dict[str, Box]:
    """Boxes for every aspect in :data:`ASPECTS`, in the pixels of ``image_size``.

    ``landmark_size`` is the (width, height) of the frame the landmarks were measured on, when that differs
    from the image being cropped (landmarks from the 640x480 analysis stream, crop on the full-size still).
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if landmark_size is not None and tuple(landmark_size) != tuple(image_size):
        lm = lm.copy()
        lm[:, 0] *= image_size[0] / landmark_size[0]
        lm[:, 1] *= image_size[1] / landmark_size[1]
    return {name: headshot_box(lm, image_size, aspect, face_fraction) for name, aspect in ASPECTS.items()}

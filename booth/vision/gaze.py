"""Where the eyes point: eye-in-head in the head's own frame, a blendshape vote, and the gaze from the lens.

The geometry is written down in ``booth/vision/README.md`` ("Gaze"). In short:

1. The landmarks are carried into the head's own frame by undoing the Procrustes pose (rotation, roll
   included, scale and translation). There the eye corners and the iris no longer move when the head rolls,
   turns or nods; only the eye's own rotation moves the iris.
2. Each iris centre is the centre of the circle through its four ring landmarks (469-472, 474-477), fitted
   in that frame. The ring is the model's estimate of the whole iris, lid-covered part included, so the
   centre does not drop when the upper lid covers the top of an iris raised toward the brow.
3. The eyeball centre sits at a fixed place behind the eye corners (:data:`EYEBALL_RAISE_CM` above their
   midpoint); the iris's offset from it, over the eyeball radius, is the sine of the eye's rotation in the
   head. Depth cancels in this frame, so no eyeball depth is needed.
4. The eight ``eyeLook*`` blendshapes vote on the same eye-in-head angles from the whole mesh; the two are
   fused with fixed weights per axis (:data:`GEOMETRY_WEIGHT`).
5. The fused eye-in-head direction is turned back by the head rotation into the camera's frame, and the gaze
   is its angle from the direction of the lens (weak perspective: the head pose is read from the face's
   appearance, which is already relative to the line from the face to the lens).

A per-sitter lens calibration (:mod:`booth.looks.calibration`) subtracts that sitter's own eye-in-head
offset at step 4 before composing; this module only measures.
"""

from __future__ import annotations

import math

import numpy as np

from booth.vision.geometry import FLIP, Pose
from booth.vision.reading import Gaze

#: Per eye (sitter's right, sitter's left): iris ring landmarks, and the (outer, inner) eye corners.
IRIS_RINGS = np.array([[469, 470, 471, 472], [474, 475, 476, 477]])
EYE_CORNERS = np.array([[33, 133], [263, 362]])
#: Eyeball radius in the canonical face's centimetres (an adult eye is ~24 mm across).
EYEBALL_RADIUS_CM = 1.2
#: How far the eyeball centre sits above the midpoint of the eye corners, head frame, centimetres: with the
#: eyes on the lens, the iris centre sits about this much above the corner midpoint on the frontal lens
#: frames of the dev set (single_face.mp4, grace_hopper.jpg, astronaut.png: 0.19-0.29 cm).
EYEBALL_RAISE_CM = 0.22
#: Largest sine of an eye rotation taken from the geometry (~70 degrees); beyond it the landmarks are noise.
MAX_SINE = 0.94

#: Blendshape vote: degrees of eye-in-head rotation per unit of (look out/in difference) horizontally and of
#: (look up - look down) vertically, and the vertical score of an eye at rest in the head. Fitted by least
#: squares of the geometric angles on the blendshape scores over every open-eyed frame of the dev clips
#: (a scale between two measurements; no labels used): see booth/vision/README.md.
BLEND_GAIN = (30.3, 24.8)
BLEND_REST = (-0.097, -0.136)
#: Fusion: the geometric angle's weight per axis (x, y); the blendshape vote gets the rest. Horizontally the
#: two agree closely (r = 0.99 over the dev clips), so the iris circles alone decide; vertically, where the
#: lids cover the iris, the votes differ (r = 0.77) and an even split separated lens from away frames best
#: at the default tolerance on the labelled frames (tests/data/gaze_labels.json; README, "Gaze").
GEOMETRY_WEIGHT = (1.0, 0.5)


def to_head(points: np.ndarray, pose: Pose) -> np.ndarray:
    """Landmarks (N x 3, image pixels, y down) into the head's own frame (canonical centimetres, y up)."""
    return ((points.astype(np.float64) * FLIP - pose.translation) @ pose.rotation) / pose.scale


def circle_fit(points: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Least-squares (algebraic, Kasa) circle through 2-D points: centre x, centre y, radius.

    Minimises ``sum (|p - c|^2 - r^2)^2``. With the points taken relative to their mean (u, v), the centre
    solves ``[Suu Suv; Suv Svv] c = (Suuu + Suvv, Svvv + Svuu) / 2``, in closed form. Plain floats: for four
    points, per frame, numpy's per-call overhead would cost ten times the arithmetic.
    """
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    suu = svv = suv = bu = bv = 0.0
    for x, y in points:
        u, v = x - mx, y - my
        uu, vv = u * u, v * v
        suu, svv, suv = suu + uu, svv + vv, suv + u * v
        bu, bv = bu + (uu + vv) * u / 2, bv + (uu + vv) * v / 2
    det = suu * svv - suv * suv
    if abs(det) < 1e-12:
        return mx, my, 0.0
    cu, cv = (bu * svv - bv * suv) / det, (bv * suu - bu * suv) / det
    return mx + cu, my + cv, math.sqrt(cu * cu + cv * cv + (suu + svv) / n)


def _angles(sx: float, sy: float) -> tuple[float, float]:
    """The eye's direction from the image-plane components of its unit vector (sines, clamped to
    :data:`MAX_SINE` in length) to angles, degrees: each the angle of that component against the depth
    axis, the same convention as the gaze (so :func:`compose` at a frontal head changes nothing)."""
    norm = math.hypot(sx, sy)
    if norm > MAX_SINE:
        sx, sy = sx * MAX_SINE / norm, sy * MAX_SINE / norm
    depth = math.sqrt(max(1e-9, 1.0 - sx * sx - sy * sy))
    return math.degrees(math.atan2(sx, depth)), math.degrees(math.atan2(sy, depth))


#: The landmarks the geometric vote reads, in this order: each eye's iris ring (4) then its corners (2),
#: the sitter's right eye first. Only these 12 are carried into the head's frame, every frame.
EYE_POINTS = np.concatenate([IRIS_RINGS[0], EYE_CORNERS[0], IRIS_RINGS[1], EYE_CORNERS[1]])


def geometric_eye_in_head(
    head_points: np.ndarray, weights: tuple[float, float]
) -> tuple[tuple[float, float], tuple[tuple[float, float], tuple[float, float]]]:
    """The eyes' rotation in the head from the iris circles, averaged over the eyes by ``weights``.

    ``head_points`` are the :data:`EYE_POINTS` landmarks in the head's frame (right eye, then left).
    Returns the angles (x toward the sitter's left, y downward, degrees) and each eye's offset over the
    eyeball radius as (left, right), in the image's sense of y (down positive).
    """
    xy = head_points[:, :2].tolist()
    offsets = []
    for eye in (xy[:6], xy[6:]):
        cx, cy, _ = circle_fit(eye[:4])
        mx, my = (eye[4][0] + eye[5][0]) / 2, (eye[4][1] + eye[5][1]) / 2
        # Head y is up; report down-positive like the image.
        offsets.append(((cx - mx) / EYEBALL_RADIUS_CM, -(cy - my - EYEBALL_RAISE_CM) / EYEBALL_RADIUS_CM))
    (rx, ry), (lx, ly) = offsets
    wr, wl = weights[0] + 1e-6, weights[1] + 1e-6
    angles = _angles((rx * wr + lx * wl) / (wr + wl), (ry * wr + ly * wl) / (wr + wl))
    return angles, ((lx, ly), (rx, ry))


def blendshape_eye_in_head(blendshapes: dict[str, float]) -> tuple[float, float]:
    """The eyes' rotation in the head voted by the eight ``eyeLook*`` blendshapes (degrees, as above).

    Toward the sitter's left is the left eye looking out and the right eye looking in; down is positive.
    """
    b = blendshapes
    across = (b["eyeLookOutLeft"] + b["eyeLookInRight"] - b["eyeLookInLeft"] - b["eyeLookOutRight"]) / 2
    vertical = (b["eyeLookDownLeft"] + b["eyeLookDownRight"] - b["eyeLookUpLeft"] - b["eyeLookUpRight"]) / 2
    return BLEND_GAIN[0] * (across + BLEND_REST[0]), BLEND_GAIN[1] * (vertical + BLEND_REST[1])


def fuse(geometric: tuple[float, float], blendshape: tuple[float, float]) -> tuple[float, float]:
    """Weighted mean of the two votes, per axis (:data:`GEOMETRY_WEIGHT`)."""
    wx, wy = GEOMETRY_WEIGHT
    return (
        wx * geometric[0] + (1 - wx) * blendshape[0],
        wy * geometric[1] + (1 - wy) * blendshape[1],
    )


def compose(rotation: np.ndarray, eye_in_head: tuple[float, float]) -> tuple[float, float]:
    """Gaze off the lens direction (degrees, x right, y down) of an eye rotated ``eye_in_head`` in a head
    rotated by ``rotation``: the eye's direction in the head, turned into the camera's frame."""
    # Each angle is a component against the depth axis, so the direction is (tan x, -tan y, 1) (y up).
    in_head = np.array([math.tan(math.radians(eye_in_head[0])), -math.tan(math.radians(eye_in_head[1])), 1.0])
    gx, gy, gz = rotation @ in_head
    gz = max(gz, 1e-6)
    return math.degrees(math.atan2(gx, gz)), math.degrees(math.atan2(-gy, gz))


def toward_lens(rotation: np.ndarray) -> tuple[float, float]:
    """The eye-in-head angles that point at the lens for a head rotated by ``rotation`` (the inverse of
    :func:`compose` at gaze (0, 0)): what a sitter's eyes would read if they met the lens exactly."""
    x, y, z = rotation.T @ np.array([0.0, 0.0, 1.0])
    z = max(z, 1e-6)
    return math.degrees(math.atan2(x, z)), math.degrees(math.atan2(-y, z))


def measure(points: np.ndarray, pose: Pose, blendshapes: dict[str, float]) -> Gaze:
    """The whole gaze of one face: both votes, their fusion, and the gaze off the lens direction.

    The eyes are weighted by how wide each appears in the image: the far eye of a turned head is the
    less reliable.
    """
    eye = points[EYE_POINTS]
    widths = (math.dist(eye[4, :2], eye[5, :2]), math.dist(eye[10, :2], eye[11, :2]))  # right, left
    geometric, offsets = geometric_eye_in_head(to_head(eye, pose), widths)
    blend = blendshape_eye_in_head(blendshapes)
    eye_in_head = fuse(geometric, blend)
    return Gaze(compose(pose.rotation, eye_in_head), eye_in_head, geometric, blend, pose.rotation, offsets)

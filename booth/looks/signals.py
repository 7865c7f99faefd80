"""Named signals a look recipe can use, read off one :class:`~booth.vision.FaceReading`.

Every blendshape is a signal under its own name (``mouthSmileLeft``), every emotion as ``emotion.<name>``,
and these derived ones (all 0..1 unless stated):

* ``smile`` mean of mouthSmileLeft/Right; ``smile_asymmetry`` their absolute difference
* ``warm_smile`` the smile, discounted unless the emotion model also reads happy (a crying grimace lifts
  the mouth corners too: on the test clip it reads smile 0.6-0.9 with happy under 0.05)
* ``squint`` mean eyeSquint; ``cheek_squint`` mean cheekSquint; ``eye_wide`` mean eyeWide;
  ``blink`` max eyeBlink
* ``brow_down`` mean browDown; ``brow_inner_up`` browInnerUp; ``brow_outer_up`` mean browOuterUp;
  ``brow_raise`` mean of browInnerUp and browOuterUp
* ``mouth_press`` mean mouthPress; ``jaw_open`` jawOpen; ``mouth_soft`` lips slightly parted, not pressed
  (peaks at jawOpen about 0.1)
* ``smiling`` 1 when the booth's smile call (:mod:`booth.looks.smile`) says smiling, else 0: a soft
  closed-lip smile counts, a crying mouth or a grimace does not
* ``activity`` how much the lower face and cheeks are doing (max of smile, jawOpen, mouthPress,
  cheekSquint, mouthFunnel, mouthPucker)
* ``head.yaw``, ``head.pitch``, ``head.roll`` degrees; ``head.tilt`` abs(roll) degrees; ``head.level`` 1 when
  pitch is within 5 degrees of the sitter's rest, falling to 0 at 20
* ``eyes.openness`` the less open eye, 0..1; ``gaze.offset`` degrees off the lens (the sitter's calibrated
  gaze when the scorer has a lens calibration, as the verdict judges it)
* ``iris.x``, ``iris.y`` mean iris offset from the eyeball centre in the head's own frame, over the eyeball
  radius (the sine of the eye's turn in the head; x toward the sitter's left, y down)
"""

from __future__ import annotations

import math

from booth.looks import smile as smile_call
from booth.vision.emotion import NAMES as EMOTIONS
from booth.vision.reading import FaceReading

#: Signals that are expression intensities (0..1): the baseline subtracts the sitter's resting level.
EXPRESSION_DERIVED = (
    "smile", "warm_smile", "smile_asymmetry", "squint", "cheek_squint", "eye_wide", "blink", "brow_down",
    "brow_inner_up", "brow_outer_up", "brow_raise", "mouth_press", "jaw_open", "activity",
)  # fmt: skip
GEOMETRY = (
    "head.yaw", "head.pitch", "head.roll", "head.tilt", "head.level", "eyes.openness", "gaze.offset",
    "iris.x", "iris.y", "mouth_soft",
)  # fmt: skip
#: Yes/no calls (0 or 1), made on the raw reading and never rescaled by the baseline.
CALLS = ("smiling",)
#: Derived signals that read the emotion model's scores (the smile call's crying check reads sad and happy).
FROM_EMOTIONS = frozenset({"warm_smile", "smiling"})
#: The range each non-0..1 signal can take, for :func:`signal_range`.
_RANGES = {
    "head.yaw": (-90.0, 90.0), "head.pitch": (-90.0, 90.0), "head.roll": (-90.0, 90.0),
    "head.tilt": (0.0, 90.0), "gaze.offset": (0.0, 90.0), "iris.x": (-1.0, 1.0), "iris.y": (-1.0, 1.0),
}  # fmt: skip


def _mean(b: dict[str, float], left: str, right: str) -> float:
    return (b[left] + b[right]) / 2


def extract(
    reading: FaceReading, rest_pitch: float = 0.0, gaze: tuple[float, float] | None = None
) -> dict[str, float]:
    """All signals of one reading. ``rest_pitch`` is the sitter's resting head pitch (from the baseline),
    ``gaze`` their calibrated gaze off the lens (default: the reading's population gaze)."""
    b = reading.blendshapes
    smile = _mean(b, "mouthSmileLeft", "mouthSmileRight")
    jaw = b["jawOpen"]
    press = _mean(b, "mouthPressLeft", "mouthPressRight")
    cheek = _mean(b, "cheekSquintLeft", "cheekSquintRight")
    signals = dict(b)
    signals.update({f"emotion.{name}": reading.emotions.get(name, 0.0) for name in EMOTIONS})
    pitch = reading.head_pose.pitch
    signals.update(
        smile=smile,
        warm_smile=smile * min(1.0, reading.emotions.get("happy", 1.0) / 0.3),
        smile_asymmetry=abs(b["mouthSmileLeft"] - b["mouthSmileRight"]),
        squint=_mean(b, "eyeSquintLeft", "eyeSquintRight"),
        cheek_squint=cheek,
        eye_wide=_mean(b, "eyeWideLeft", "eyeWideRight"),
        blink=max(b["eyeBlinkLeft"], b["eyeBlinkRight"]),
        brow_down=_mean(b, "browDownLeft", "browDownRight"),
        brow_inner_up=b["browInnerUp"],
        brow_outer_up=_mean(b, "browOuterUpLeft", "browOuterUpRight"),
        brow_raise=(b["browInnerUp"] + _mean(b, "browOuterUpLeft", "browOuterUpRight")) / 2,
        mouth_press=press,
        jaw_open=jaw,
        mouth_soft=max(0.0, 1.0 - abs(jaw - 0.1) / 0.15) * (1.0 - min(1.0, press * 2)),
        activity=max(smile, jaw, press, cheek, b["mouthFunnel"], b["mouthPucker"]),
        smiling=1.0 if smile_call.call(b, reading.emotions).smiling else 0.0,
        **{
            "head.yaw": reading.head_pose.yaw,
            "head.pitch": pitch,
            "head.roll": reading.head_pose.roll,
            "head.tilt": abs(reading.head_pose.roll),
            "head.level": min(1.0, max(0.0, (20.0 - abs(pitch - rest_pitch)) / 15.0)),
            "eyes.openness": min(reading.eye_openness),
            "gaze.offset": math.hypot(*(reading.gaze if gaze is None else gaze)),
            "iris.x": (reading.iris_offset[0][0] + reading.iris_offset[1][0]) / 2,
            "iris.y": (reading.iris_offset[0][1] + reading.iris_offset[1][1]) / 2,
        },
    )
    return signals


def known_signals() -> frozenset[str]:
    """Every signal name a recipe may use."""
    from booth.vision.blendshapes import NAMES as BLENDSHAPES

    return (
        frozenset(BLENDSHAPES)
        | {f"emotion.{n}" for n in EMOTIONS}
        | set(EXPRESSION_DERIVED)
        | set(GEOMETRY)
        | set(CALLS)
    )


def signal_range(name: str) -> tuple[float, float]:
    """The values ``name`` can take: degrees for the head and gaze angles, -1..1 for the iris, else 0..1."""
    return _RANGES.get(name, (0.0, 1.0))


def is_expression(name: str) -> bool:
    """True for 0..1 expression intensities, which the sitter's baseline is subtracted from."""
    return name not in GEOMETRY and name not in CALLS and not name.startswith("_")

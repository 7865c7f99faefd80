"""Standby: an empty booth between sitters analyses a few frames a second, not every frame.

Why: studios leave booths running all day, mostly with nobody in front of them. With no face the analysis
is the face detector alone (3.4 ms a frame here against 9.1 with a face, on ``face_noface.mov``), which
by the README's scaling is 17-68 ms on a Pi 4: a core or more kept busy, and warm, at 30 frames a second
for an empty room. A warm Pi throttles its clock, and the sitter who walks in then gets a slower booth.

So while no session is under way (idle, or an end screen) and no face has been seen for ``after_s`` seconds
(the ``[standby]`` settings), only one frame in ``1 / fps`` seconds is analysed. The first analysed frame that
finds a face has every frame after it analysed again: a sitter is seen at most ``1 / fps`` later (0.2 s at the
default 5), before they can reach the Start button. A face counts as someone there only once :data:`CONFIRM`
analysed frames in a row hold one; a face on one frame alone sends the booth back to rest at once, and does
not put off standby either. Why: the detector's false faces come one frame at a time (``no_face.mp4``'s
skin-coloured title letters read as a face on one frame of its 95, once every loop of the clip, which would
otherwise keep the booth awake for good), where a real sitter is tracked frame after frame. Never during a
session, nor while the teach desk records a take. The camera keeps its pace throughout (the preview is its
own), and the watchdog still sees analysed frames advance. The service also puts the camera at rest meanwhile
(:attr:`booth.camera.Camera.resting`: only the frames read are converted, and no stills are kept, since
none can be asked for outside a session).

Pure: the service passes the clock's readings, the session's state and each analysed frame's faces in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

#: A frame that comes this much before its turn still counts: camera frames arrive with jitter, and without
#: it a 30 frames/s camera would give standby 4.3 frames a second where 5 are asked for.
EARLY_S = 0.008
#: Analysed frames in a row with a face before someone counts as there (a tenth of a second at 30 frames/s).
CONFIRM = 3


class StandbySource(Protocol):
    """The settings it reads (``booth.config.StandbySettings``, the ``[standby]`` section)."""

    after_s: float
    fps: float


@dataclass(frozen=True)
class StandbyParams:
    """``after_s``: seconds without a face before standby (0: never); ``fps``: frames analysed a second
    in standby."""

    after_s: float
    fps: float

    @classmethod
    def from_settings(cls, s: StandbySource) -> StandbyParams:
        return cls(after_s=s.after_s, fps=s.fps)


class Standby:
    """Decides, frame by frame, whether the analysis runs; the analysis thread owns it, and other threads
    read only :attr:`resting` (one bool, replaced whole)."""

    def __init__(self, params: StandbyParams, now: float) -> None:
        self.params = params
        #: True while in standby: what the status and the fleet show beside the low frame rate.
        self.resting = False
        self._face_at = now  # the last confirmed face, or when resting became possible
        self._analysed_at: float | None = None
        self._streak = 0  # analysed frames in a row with a face

    def wants(self, now: float, *, may_rest: bool) -> bool:
        """Whether to analyse a frame arriving at ``now``. ``may_rest`` is False during a session or a
        take, which keeps every frame analysed and starts the wait for standby again afterwards."""
        after = self.params.after_s
        if not may_rest or after <= 0:
            self.resting = False
            self._face_at = now
            return True
        checking = 0 < self._streak < CONFIRM  # a face just seen: every frame until it holds or goes
        self.resting = now - self._face_at >= after and not checking
        if not self.resting or self._analysed_at is None:
            return True
        return now - self._analysed_at >= 1.0 / self.params.fps - EARLY_S

    def analysed(self, now: float, faces: int) -> None:
        """A frame was analysed at ``now`` and found ``faces`` faces: a face wakes the booth at once, and
        once it has held for :data:`CONFIRM` frames it keeps the booth awake."""
        self._analysed_at = now
        self._streak = self._streak + 1 if faces else 0
        if self._streak:
            self.resting = False
        if self._streak >= CONFIRM:
            self._face_at = now

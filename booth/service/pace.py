"""Does the analysis keep the camera's pace? The analysed frame rate, and the operator's warning when it
falls short.

Why a warning: on a Pi 4 the analysis costs 5-20 times what it does on the development machine (README,
"Measured"), and a booth that analyses 8 frames a second still works, only worse: the decision comes late
and a brief expression is missed. Nothing else tells the operator, who sees the sitter and the photos but
not the rate. The budget is :data:`BUDGET_FPS` (the product's floor, 15 frames a second), or nine tenths of
the configured camera rate when that is lower.

Judged over :data:`WINDOW_S` seconds, so a settings change's reload or a still's pause is no alarm, with a
band above the target before the warning clears, so a booth at the edge does not flicker. Only time the
analysis could run counts: while the camera is down or the models are loading, the camera's fault or the
runner's says why, and the window starts again afterwards.

Pure: the service passes the clock's readings in.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

#: The analysed frames per second the trigger is built for (the brief's budget on a Pi 5: 15-30).
BUDGET_FPS = 15.0
#: A camera set slower than the budget is kept to this share of its own rate instead.
KEEP_UP = 0.9
#: Seconds of analysis the warning judges.
WINDOW_S = 30.0
#: The warning clears once the window's rate is this much above the target.
CLEAR_ABOVE = 1.05
#: The shown frame rate is over this many seconds (the operator page's "fps").
SHOWN_S = 1.0

#: What to check when the CPU is the cause (the doctor's words for a slow model too).
CPU_FIX = (
    "check for thermal throttling (vcgencmd get_throttled), a CPU governor stuck at powersave or another "
    'process hogging the CPU; on a Pi 4, vision.tracking = "light" reads faster but less exactly '
    "(README, Measured)"
)
#: What to check when the camera itself delivers too few frames.
CAMERA_FIX = (
    "light the sitter more (long exposures cap the camera's frame rate) or check camera.fps and the "
    "camera's cable"
)


@dataclass(frozen=True)
class Pace:
    """What the status shows: frames analysed per second (the last second) and the warning, if any."""

    fps: float
    warning: str | None


def target_fps(camera_fps: float) -> float:
    """The rate the analysis should keep for a camera configured at ``camera_fps``."""
    return min(BUDGET_FPS, KEEP_UP * camera_fps)


class AnalysisPace:
    """Counts analysed frames; :meth:`tick` turns them into the shown rate and the warning.

    The analysis thread owns it (it analyses the frames and publishes the status); other threads only read
    :attr:`frames` and :attr:`pace`, each one value replaced whole.
    """

    def __init__(self, now: float, window_s: float = WINDOW_S) -> None:
        self.window_s = window_s
        #: Every frame analysed since the start: what /healthz and the watchdog see advance.
        self.frames = 0
        self._shown = Pace(0.0, None)
        self._frames = 0  # analysed since the last second began
        self._second_start = now
        self._held = False  # standby at some turn of the current second
        self._seconds: deque[tuple[float, int, float]] = deque()  # (length, analysed, camera fps)

    @property
    def pace(self) -> Pace:
        return self._shown

    def analysed(self) -> None:
        """One frame through the analysis."""
        self.frames += 1
        self._frames += 1

    def tick(
        self, now: float, camera_fps: float, configured_fps: float, judged: bool = True, held: bool = False
    ) -> Pace:
        """Call on every turn of the loop, frames or not (a stalled analysis must read as 0 frames/s).

        ``camera_fps`` is the rate the camera delivers now, ``configured_fps`` the one it is set to
        (``camera.fps``); ``judged`` is False while the analysis could not run (camera down, models
        loading), which empties the window. ``held`` is True while the booth analyses fewer frames on
        purpose (:mod:`booth.service.standby`): those seconds are left out of the window, and the warning
        stands as it was, so a booth too slow for its sitters keeps saying so while the room is empty.
        """
        self._held = self._held or held  # a second held at any turn is left out whole (it mixes rates)
        length = now - self._second_start
        if length < SHOWN_S:
            return self._shown
        frames, fps = self._frames, self._frames / length
        self._frames, self._second_start = 0, now
        held, self._held = self._held, False
        if not judged:
            self._seconds.clear()
            self._shown = Pace(fps, None)
            return self._shown
        if held:
            self._shown = Pace(fps, self._shown.warning)
            return self._shown
        self._seconds.append((length, frames, camera_fps))
        span = sum(s[0] for s in self._seconds)
        while self._seconds and span - self._seconds[0][0] >= self.window_s:
            span -= self._seconds.popleft()[0]
        warning = self._shown.warning
        if span >= self.window_s:
            warning = self._judge(span, target_fps(configured_fps))
        self._shown = Pace(fps, warning)
        return self._shown

    def _judge(self, span: float, target: float) -> str | None:
        """The warning over the window: kept until the rate is well clear of the target (no flicker)."""
        analysed = sum(s[1] for s in self._seconds) / span
        camera = sum(s[0] * s[2] for s in self._seconds) / span
        if analysed >= target * (CLEAR_ABOVE if self._shown.warning else 1.0):
            return None
        if analysed >= target:
            return self._shown.warning  # within the band: as it was
        head = f"the analysis keeps {analysed:.1f} frames/s over the last {span:.0f} s, under the {target:g}"
        head += " the trigger is built for, so expressions are judged late or missed"
        if camera < target and analysed >= KEEP_UP * camera:  # it analyses what the camera gives
            return f"{head}: the camera delivers only {camera:.1f} frames/s; {CAMERA_FIX}"
        return f"{head}, while the camera gives {camera:.1f}: {CPU_FIX}"

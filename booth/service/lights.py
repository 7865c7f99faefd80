"""Which pattern the status light shows, chosen at the service seam.

Why here and not in :mod:`booth.hardware`: the light only knows how to show a pattern; what a trigger
state means to a sitter across the room is the booth's decision, and the hardware layer must not depend on
the policy. Outside a session the light is off (IDLE), whatever the live view judges.
"""

from __future__ import annotations

from booth.hardware import LightPattern
from booth.policy import TriggerState

PATTERN_FOR_TRIGGER: dict[TriggerState, LightPattern] = {
    TriggerState.NO_FACE: LightPattern.TRACKING,
    TriggerState.MULTIPLE_FACES: LightPattern.TRACKING,
    TriggerState.NOT_ENGAGED: LightPattern.TRACKING,
    TriggerState.DEAD_GAZE: LightPattern.TRACKING,
    TriggerState.NOT_THE_LOOK: LightPattern.TRACKING,
    TriggerState.ALMOST: LightPattern.READY,
    TriggerState.FIRING: LightPattern.FIRING,
    TriggerState.COOLDOWN: LightPattern.TRACKING,
}


def pattern_for(state: TriggerState, shooting: bool, calibrating: bool = False) -> LightPattern:
    """The light for a policy state: its pattern while the session shoots, steady on during the baseline
    step (the sitter is asked to look at it: it is mounted beside the lens), else off (idle)."""
    if calibrating:
        return LightPattern.LOOK_HERE
    return PATTERN_FOR_TRIGGER[state] if shooting else LightPattern.IDLE

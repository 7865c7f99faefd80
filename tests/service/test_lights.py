"""booth.service.lights: the light's pattern is chosen at the service seam, from the trigger state."""

from __future__ import annotations

import pytest

from booth.hardware import LightPattern
from booth.policy import TriggerState
from booth.service.lights import pattern_for


@pytest.mark.parametrize("state", list(TriggerState))
def test_every_trigger_state_has_a_pattern_and_none_shows_outside_a_session(state):
    assert isinstance(pattern_for(state, shooting=True), LightPattern)
    assert pattern_for(state, shooting=False) is LightPattern.IDLE


def test_the_sitter_sees_ready_when_the_look_is_held_and_flashes_on_the_shot():
    assert pattern_for(TriggerState.ALMOST, shooting=True) is LightPattern.READY
    assert pattern_for(TriggerState.FIRING, shooting=True) is LightPattern.FIRING
    assert pattern_for(TriggerState.NOT_ENGAGED, shooting=True) is LightPattern.TRACKING


@pytest.mark.parametrize("state", list(TriggerState))
def test_the_baseline_step_lights_the_fixation_point_whatever_the_trigger_says(state):
    """During the baseline step the sitter is asked to look at the light by the lens: it is steady on."""
    assert pattern_for(state, shooting=False, calibrating=True) is LightPattern.LOOK_HERE

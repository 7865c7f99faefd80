"""booth/hardware/light.py: the status light's patterns, timed on gpiozero's mock pins."""

from __future__ import annotations

import time

import pytest

from booth.hardware.light import BLINKS, LightPattern, StatusLight


def test_led_steady_patterns(factory):
    light = StatusLight(18, pwm=False, pin_factory=factory)
    pin = factory.pin(18)
    light.show(LightPattern.READY)
    assert pin.state
    light.show(LightPattern.IDLE)
    assert not pin.state
    light.close()


def test_led_firing_flashes_then_goes_dark(factory):
    light = StatusLight(18, pwm=False, pin_factory=factory)
    pin = factory.pin(18)
    pin.clear_states()
    light.show(LightPattern.FIRING)
    light.show(LightPattern.TRACKING)  # the next frame's state must not cut the flashes short
    assert light.pattern is LightPattern.FIRING
    blink = BLINKS[LightPattern.FIRING]
    time.sleep(blink.n * (blink.on_s + blink.off_s) + 0.2)
    on, off = blink.on_s, blink.off_s
    pin.assert_states_and_times(
        [(0.0, False), (0.0, True), (on, False), (off, True), (on, False), (off, True), (on, False)]
    )
    assert len(pin.states) == 1 + 2 * blink.n
    light.show(LightPattern.READY)  # flashes done: the booth's state shows again
    assert light.pattern is LightPattern.READY and pin.state
    light.close()


def test_fault_interrupts_the_firing_flashes(factory):
    light = StatusLight(18, pwm=False, pin_factory=factory)
    light.show(LightPattern.FIRING)
    light.show(LightPattern.FAULT)
    assert light.pattern is LightPattern.FAULT
    light.show(LightPattern.IDLE)
    assert light.pattern is LightPattern.IDLE and not factory.pin(18).state
    light.close()


def test_led_fault_blinks_until_changed_and_same_pattern_is_not_restarted(factory):
    light = StatusLight(18, pwm=False, pin_factory=factory)
    pin = factory.pin(18)
    pin.clear_states()
    light.show(LightPattern.FAULT)
    time.sleep(0.05)
    light.show(LightPattern.FAULT)  # every frame may call show(): must not restart the blink
    time.sleep(0.4)
    light.show(LightPattern.READY)
    states = list(pin.states)
    pin.assert_states_and_times([(0.0, False), (0.0, True), (0.1, False), (0.1, True), (0.1, False)])
    assert len(states) >= 5
    assert states[-1].state == 1  # READY: steady on
    time.sleep(0.25)
    assert len(pin.states) == len(states)  # the blink stopped
    light.close()


def test_pwm_light_fades_when_tracking_and_is_full_when_ready(factory):
    light = StatusLight(18, pwm=True, pin_factory=factory)
    pin = factory.pin(18)
    light.show(LightPattern.READY)
    assert pin.state == 1.0
    pin.clear_states()
    light.show(LightPattern.TRACKING)
    time.sleep(0.4)
    levels = [s.state for s in pin.states]
    assert any(0.0 < level < 1.0 for level in levels)  # fading, not switching
    assert max(levels) == pytest.approx(1.0)
    light.show(LightPattern.IDLE)
    assert pin.state == 0.0
    light.close()


def test_active_low_light(factory):
    light = StatusLight(18, pwm=False, active_high=False, pin_factory=factory)
    pin = factory.pin(18)
    light.show(LightPattern.READY)
    assert not pin.state
    light.show(LightPattern.IDLE)
    assert pin.state
    light.close()


def test_every_pattern_but_the_steady_ones_has_a_blink():
    """show() looks up BLINKS for every pattern that is neither off (IDLE) nor on (READY, LOOK_HERE)."""
    steady = {LightPattern.IDLE, LightPattern.READY, LightPattern.LOOK_HERE}
    assert set(BLINKS) == set(LightPattern) - steady


def test_the_baseline_step_holds_the_light_steady_for_the_sitter_to_look_at(factory):
    """The light beside the lens is the fixation point of "Look at the light by the lens": steady on."""
    light = StatusLight(18, pwm=False, pin_factory=factory)
    pin = factory.pin(18)
    light.show(LightPattern.LOOK_HERE)
    assert pin.state and light.pattern is LightPattern.LOOK_HERE
    light.close()

"""The focus and shutter lines between runs: inputs pulled toward their inactive level, never floating.

gpiozero 2.0.1's lgpio pins claim a line as an input with its pull *disabled* both when the pin is made and
when it is closed, so a stopped booth used to leave GPIO 23/24 floating until the next reboot.
:func:`park_remote_lines` gives the factory a pin class (:func:`parking_pin_class`) that re-applies the pull
toward the inactive level (down for active-high wiring, up for active-low) right after each of those claims,
including the second close the factory gives every pin. After a clean stop the lines are inputs with that
pull. After a crash (SIGKILL, the systemd watchdog) the kernel frees the lines without the booth: they keep
the pull programmed when the pin was made and, with ``dtparam=strict_gpiod`` (firmware/config.txt), return
to inputs; without it a Raspberry Pi OS kernel keeps a freed output at its last level. firmware/PINS.md has
the whole timeline.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from gpiozero.pins import Factory, Pin

from booth.hardware.pins import one_line

log = logging.getLogger(__name__)


def release_pull(active_high: bool) -> str:
    """The pull that holds a remote line inactive while nothing drives it (gpiozero's name for it).

    Active-high wiring (GPIO -- LED -- GND) lights when the line is high, so it rests pulled down;
    active-low wiring (3V3 -- LED -- GPIO) lights when the line is low, so it rests pulled up.
    """
    return "down" if active_high else "up"


def parking_pin_class(base: type[Pin], pulls: Mapping[str, str]) -> type[Pin]:
    """A subclass of the gpiozero pin class ``base`` that parks the lines named in ``pulls``.

    ``pulls`` maps a pin's name (``pin.info.name``, e.g. ``"GPIO23"``) to the pull it rests at. Such a line is
    made an input with that pull right after the pin is made and after every ``close()``; other lines behave
    exactly as ``base``.

    Why the pin's own ``close``: gpiozero 2.0.1's ``LGPIOPin.__init__`` and ``LGPIOPin.close`` both call
    ``lgpio.gpio_claim_input(handle, n, lgpio.SET_PULL_NONE)`` (input, bias disabled), and
    ``PiFactory.close()`` calls ``close()`` on every pin it made once more, after the devices closed theirs.
    (lgpio's C library happens to skip a claim as input of a line that already is one, lgGpio.c
    ``xSetAsInput``; gpiozero promises nothing of the kind, and other pin classes differ.) The pin's own
    ``close`` is the one place that runs after every such claim, so the park is re-applied there, and is
    idempotent. It goes through the Pin API (``input_with_pull``; ``LGPIOPin._set_pull`` frees the line and
    claims it again with ``SET_PULL_DOWN``/``SET_PULL_UP``), so gpiozero's mock pins park the same way.

    Why also when the pin is made: a killed booth never runs ``close()``. The kernel then frees its lines
    and keeps the pull last programmed, and the output claim that follows the pin's creation
    (``gpio_claim_output`` without bias flags) leaves that pull as it is, so parking before it leaves the
    safe pull under the driven output for the kernel to keep.
    """
    base = getattr(base, "_parking_base", base)  # parking a factory again replaces the mapping, never nests
    resting = dict(pulls)

    class ParkingPin(base):
        _parking_base = base
        parking_pulls = resting

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            pull = self.parking_pulls.get(self.info.name)
            if pull is not None:  # a line that cannot rest at its safe pull is refused, not driven
                self.input_with_pull(pull)

        def close(self) -> None:
            super().close()
            # Once its factory was closed or reset the pin is stale (lgpio: the chip handle is closed, the
            # kernel has freed the line): nothing left to park.
            pins = getattr(self.factory, "pins", None)
            if pins is not None and pins.get(self.info) is not self:
                return
            pull = self.parking_pulls.get(self.info.name)
            if pull is None:
                return
            try:
                self.input_with_pull(pull)
            except Exception as err:  # closing must go on; say the line may float instead
                log.warning(
                    "GPIO: %s not left pulled %s on release (%s)", self.info.name, pull, one_line(err)
                )

    ParkingPin.__name__ = ParkingPin.__qualname__ = f"Parking{base.__name__}"
    return ParkingPin


def park_remote_lines(factory: Factory, pulls: Mapping[int, str]) -> None:
    """Make ``factory`` park the BCM lines in ``pulls`` (pin -> ``"down"``/``"up"``) whenever they are free.

    Installs :func:`parking_pin_class` as the factory's ``pin_class``, gpiozero's own extension point, so it
    must run before any device on those lines is made: a pin the factory already made keeps its class (and
    is reported). A second call replaces the first one's lines rather than adding to them: a line that
    rested pulled the wrong way for its new use (say, pulled up under an active-high LED) would push tens of
    microamps through the LED.
    """
    base = getattr(factory, "pin_class", None)
    if not isinstance(base, type):
        log.warning("GPIO: %s has no pin class; the remote lines are not parked", type(factory).__name__)
        return
    named = {f"GPIO{pin}": pull for pin, pull in pulls.items()}
    factory.pin_class = parking_pin_class(base, named)
    for info, pin in list(getattr(factory, "pins", {}).items()):
        if info.name in named and getattr(pin, "parking_pulls", {}).get(info.name) != named[info.name]:
            log.warning("GPIO: %s was opened before the booth; it is not parked when released", info.name)

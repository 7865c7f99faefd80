"""The booth's one button: a short press starts a session, a hold cancels one.

One button keeps the booth usable by a sitter who has never seen it; the hold is the operator's way out of
a session that should not go on, without walking to the operator page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gpiozero import Button
from gpiozero.pins import Factory

from booth.hardware.pins import open_device

log = logging.getLogger(__name__)


class StartButton:
    """The booth's one button: a short press starts a session, holding it for ``hold_s`` cancels one.

    Start is decided on *release* (if the press was not a hold), so a hold never starts a session first.
    Callbacks run in gpiozero's event thread; hand work to the booth's own thread rather than block it.
    """

    def __init__(
        self,
        pin: int,
        *,
        pull_up: bool = True,
        bounce_ms: float = 30.0,
        hold_s: float = 2.0,
        on_start: Callable[[], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
        pin_factory: Factory | None = None,
    ) -> None:
        self.on_start = on_start
        self.on_cancel = on_cancel
        self._held = False
        self._button = open_device(
            "button",
            pin,
            lambda: Button(
                pin,
                pull_up=pull_up,
                bounce_time=bounce_ms / 1000.0 or None,
                hold_time=hold_s,
                pin_factory=pin_factory,
            ),
        )
        self._button.when_pressed = self._pressed
        self._button.when_held = self._hold
        self._button.when_released = self._released

    @property
    def is_pressed(self) -> bool:
        """Whether the button is down now (the wiring's pull decides which level that is)."""
        return bool(self._button.is_pressed)

    def connect(
        self, on_start: Callable[[], None] | None = None, on_cancel: Callable[[], None] | None = None
    ) -> None:
        """Set the callbacks of a press and a hold; None keeps the one already set.

        So the owner of the session (the service) can attach itself to a button made before it, and a
        caller that only cares about one gesture does not clear the other.
        """
        if on_start is not None:
            self.on_start = on_start
        if on_cancel is not None:
            self.on_cancel = on_cancel

    def _pressed(self) -> None:
        self._held = False

    def _hold(self) -> None:
        self._held = True
        log.info("button held: cancel session")
        self._call(self.on_cancel, "on_cancel")

    def _released(self) -> None:
        if not self._held:
            log.info("button pressed: start session")
            self._call(self.on_start, "on_start")

    @staticmethod
    def _call(callback: Callable[[], None] | None, name: str) -> None:
        if callback is None:
            return
        try:
            callback()
        except Exception:  # a failing callback must not kill gpiozero's event thread
            log.exception("button %s callback failed", name)

    def close(self) -> None:
        """Release the button's pin; no callback runs after this."""
        self._button.close()

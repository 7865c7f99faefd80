"""Which gpiozero pin library drives the pins, and opening one device on a pin.

Pin library: on a Raspberry Pi, gpiozero's default lgpio (the only one that works on the Pi 5; it needs a
writable ``LG_WD`` directory for its notification pipes, set here if unset). Off a Pi, mock pins are chosen
explicitly with a warning, so the page can say so and show the pulses. On a Pi there is *no* silent
fallback to mock pins: a pin library or pin that fails is a one-line error, because a booth whose shutter is
quietly disconnected looks like it works and takes no pictures.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from gpiozero.pins import Factory
from gpiozero.pins.mock import MockFactory, MockPWMPin

from booth.errors import BoothError, PinFactoryError, PinOpenError

log = logging.getLogger(__name__)

MODEL_PATH = Path("/proc/device-tree/model")
DEFAULT_REAL_FACTORY = "lgpio"


def mock_pin_factory() -> Factory:
    """gpiozero's mock pins (PWM-capable), for ``booth simulate``, the benchmark and machines without GPIO."""
    return MockFactory(pin_class=MockPWMPin)


def pi_model(model_path: Path = MODEL_PATH) -> str | None:
    """The Raspberry Pi model string (e.g. "Raspberry Pi 5 Model B Rev 1.0"), or None when not on a Pi."""
    try:
        raw = Path(model_path).read_bytes()
    except OSError:
        return None
    text = raw.decode("utf-8", "replace").replace("\x00", "").strip()
    return text if "Raspberry Pi" in text else None


@dataclass(frozen=True)
class PinFactoryChoice:
    """The pin factory in use and why: the page shows ``is_mock`` and ``board``."""

    factory: Factory
    name: str
    is_mock: bool
    board: str | None

    @classmethod
    def given(cls, factory: Factory) -> PinFactoryChoice:
        """A factory the caller made (tests, ``booth simulate``): mock if it is gpiozero's MockFactory."""
        mock = isinstance(factory, MockFactory)
        return cls(factory, "mock" if mock else type(factory).__name__, mock, None)


def one_line(err: BaseException) -> str:
    """An exception as ``Type: message`` on one line, for errors and logs an operator reads."""
    return f"{type(err).__name__}: {' '.join(str(err).split())}"


def _lgpio_workdir() -> str:
    """A writable directory for lgpio's notification files (its default, the cwd, may be read-only)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.access(runtime, os.W_OK):
        return runtime
    return tempfile.gettempdir()


def load_real_factory(name: str, env: MutableMapping[str, str]) -> Factory:
    """Construct gpiozero's pin factory ``name`` (an entry point such as lgpio, rpigpio, pigpio, native)."""
    if name == "lgpio" and not env.get("LG_WD"):
        env["LG_WD"] = _lgpio_workdir()
        log.debug("LG_WD=%s", env["LG_WD"])
    factories = {ep.name.lower(): ep for ep in entry_points(group="gpiozero_pin_factories")}
    entry = factories.get(name.lower())
    if entry is None or name.lower() == "mock":
        known = ", ".join(sorted(n for n in factories if n != "mock"))
        raise PinFactoryError(
            f"unknown GPIO pin library {name!r}; set GPIOZERO_PIN_FACTORY to one of: {known}"
        )
    return entry.load()()


def select_pin_factory(
    choice: str = "auto",
    *,
    model_path: Path = MODEL_PATH,
    env: MutableMapping[str, str] | None = None,
    load_real: Callable[[str, MutableMapping[str, str]], Factory] = load_real_factory,
) -> PinFactoryChoice:
    """Pick the pin factory from ``pins.factory`` and ``GPIOZERO_PIN_FACTORY``.

    ``"mock"`` (config or environment) gives mock pins, logged as a warning. ``"real"`` gives the library
    the environment names (default lgpio). ``"auto"`` gives real pins on a Raspberry Pi and mock pins
    elsewhere. Real pins that fail raise :class:`PinFactoryError`; they never fall back to mock pins.
    """
    env = os.environ if env is None else env
    board = pi_model(model_path)
    wanted = (env.get("GPIOZERO_PIN_FACTORY") or "").strip().lower() or None
    if choice == "real" and wanted == "mock":
        raise PinFactoryError(
            "pins.factory is 'real' but GPIOZERO_PIN_FACTORY=mock; "
            "unset the variable or use pins.factory = 'mock'"
        )
    if choice == "mock" or wanted == "mock" or (choice == "auto" and wanted is None and board is None):
        why = "as configured" if choice == "mock" or wanted == "mock" else "not a Raspberry Pi"
        log.warning("GPIO: using MOCK pins (%s): nothing is wired; pulses are only logged", why)
        return PinFactoryChoice(mock_pin_factory(), "mock", True, board)
    name = wanted or DEFAULT_REAL_FACTORY
    try:
        factory = load_real(name, env)
    except BoothError:
        raise
    except Exception as err:  # any failure of the pin library is reported the same way
        where = board or "this machine (not a Raspberry Pi)"
        raise PinFactoryError(
            f"GPIO pin library {name!r} failed on {where} ({one_line(err)}); on Raspberry Pi OS install "
            "python3-lgpio and add the user to group gpio, or set pins.factory = 'mock' to run without wiring"
        ) from err
    log.info("GPIO: %s pins on %s", name, board or "a non-Pi machine")
    return PinFactoryChoice(factory, name, False, board)


def open_device(role: str, pin: int, make: Callable[[], Any]) -> Any:
    """Construct one gpiozero device; a failure becomes a one-line :class:`PinOpenError` naming the pin.

    ``role`` is the device's key in ``[pins]``, so the message names the setting that picks another pin.
    """
    try:
        return make()
    except Exception as err:  # gpiozero, lgpio and OS errors all mean "this pin cannot be used"
        raise PinOpenError(
            f"GPIO{pin} ({role}) could not be opened ({one_line(err)}); free it (another booth running? "
            f"`gpioinfo` shows the owner) or choose another pin in pins.{role}"
        ) from err

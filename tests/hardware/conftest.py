"""Fixtures of the unit tests of booth/hardware/ in this folder (test_pins.py, test_shutter.py, ...).

Those run everywhere against gpiozero's mock pins. The on-the-Pi checks beside them (test_on_the_pi.py,
test_gpio_on_the_pi.py) are marked ``hardware``, so they are off by default and are all that
``pytest -m hardware tests/hardware`` runs; they use none of these fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gpio_fakes import PI5, LGPIOLikePin
from gpiozero.pins.mock import MockFactory, MockPWMPin


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    """PWM-capable mock pins, reset after the test so the next one may claim the same lines."""
    f = MockFactory(pin_class=MockPWMPin)
    yield f
    f.reset()


@pytest.fixture
def lgpio_like() -> Iterator[MockFactory]:
    """Mock pins that drop the pull on every claim and close, as gpiozero 2.0.1's lgpio pins do."""
    f = MockFactory(pin_class=LGPIOLikePin)
    yield f
    f.reset()


@pytest.fixture
def pi_file(tmp_path: Path) -> Path:
    """A /proc/device-tree/model that says Raspberry Pi 5 (NUL-terminated, as the kernel writes it)."""
    path = tmp_path / "model"
    path.write_bytes(PI5.encode() + b"\x00")
    return path


@pytest.fixture
def not_pi(tmp_path: Path) -> Path:
    """Where the model file would be on a machine without a device tree: absent."""
    return tmp_path / "no-device-tree" / "model"

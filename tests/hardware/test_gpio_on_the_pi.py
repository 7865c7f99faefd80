"""Final check on a provisioned Raspberry Pi: the focus and shutter lines rest pulled down between runs.

Part of the hardware checks (``sudo systemctl stop booth && .venv/bin/python -m pytest -m hardware
tests/hardware``): off by default and skipped off a Pi, like tests/hardware/test_on_the_pi.py. Stop the booth
first (it holds the lines) and unplug the camera's remote cable: the lines are pulsed, and one test holds
them active until it kills the process driving them.

The line state is read back with Raspberry Pi OS's ``pinctrl`` (raspberrypi/utils), which reads the GPIO
registers themselves, not what a library believes: ``pinctrl get 23`` prints
``23: ip    pd | lo // GPIO23 = input`` (function, drive level for an output, pull, level). The tests skip
when ``pinctrl`` is missing, and when the pulls cannot be read back (they are write-only on the BCM2835/6/7
of a Pi 3 and older; a Pi 4 and 5 report them).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass

import pytest

from booth.config import PinSettings
from booth.hardware import Hardware, pi_model

pytestmark = [
    pytest.mark.hardware,
    pytest.mark.skipif(pi_model() is None, reason="not a Raspberry Pi"),
]

REMOTE = (PinSettings().focus, PinSettings().shutter)  # BCM 23 and 24, active high: they rest pulled down
PULLS = ("pu", "pd", "pn")
PINCTRL_LINE = re.compile(r"^\s*(\d+):\s+(\S+)\s+(.*?)\s*\|\s*(\S+)")


@dataclass(frozen=True)
class Line:
    """One ``pinctrl get`` line: function ("ip", "op", "a0".., "no"), pull ("pu"/"pd"/"pn"), level."""

    function: str
    pull: str
    level: str


@pytest.fixture
def pinctrl() -> str:
    tool = shutil.which("pinctrl")
    if tool is None:
        pytest.skip("pinctrl is not installed: it is part of Raspberry Pi OS (raspberrypi/utils)")
    return tool


@pytest.fixture
def real_pins(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment a booth on lgpio runs with (tests/conftest.py defaults gpiozero to mock pins)."""
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "lgpio")
    return dict(os.environ)


def read_line(pinctrl: str, pin: int) -> Line:
    proc = subprocess.run([pinctrl, "get", str(pin)], capture_output=True, text=True, timeout=10)
    said = (proc.stdout + proc.stderr).strip()
    match = PINCTRL_LINE.match(proc.stdout)
    if proc.returncode != 0 or match is None or int(match[1]) != pin:
        pytest.fail(
            f"`pinctrl get {pin}` did not report the line (exit {proc.returncode}: {said!r}); try sudo"
        )
    pull = match[3].split()[-1] if match[3].split() else ""
    if pull not in PULLS:
        pytest.skip(f"this SoC's pulls cannot be read back (`pinctrl get {pin}`: {said!r})")
    return Line(match[2], pull, match[4])


def test_a_stopped_booth_leaves_the_remote_lines_inputs_pulled_down(pinctrl, real_pins):
    with Hardware(PinSettings(factory="real")) as hardware:
        assert not hardware.is_mock
        hardware.fire(block=True)
        for pin in REMOTE:
            # Running: driven low, the pull-down programmed underneath (what a crash would leave behind).
            assert read_line(pinctrl, pin) == Line("op", "pd", "lo"), f"GPIO{pin} while the booth runs"
    for pin in REMOTE:
        assert read_line(pinctrl, pin) == Line("ip", "pd", "lo"), f"GPIO{pin} after Hardware.close()"


KILLED_BOOTH = textwrap.dedent(
    """
    import time
    from booth.config import PinSettings
    from booth.hardware import Hardware

    hardware = Hardware(PinSettings(factory="real", focus_lead_ms=0, shutter_pulse_ms=3000))
    hardware.fire()
    print("firing", flush=True)
    time.sleep(30)
    """
)


def test_a_booth_killed_mid_pulse_leaves_the_remote_lines_inputs_pulled_down(pinctrl, real_pins):
    """SIGKILL while both lines are active: no ``close()`` runs, the kernel frees the lines.

    Passing needs both halves of the design: ``dtparam=strict_gpiod`` (firmware/config.txt) so the kernel
    returns a freed output to an input instead of keeping it high, and the pull-down the booth programmed
    when it made the pin, which that input then rests on.
    """
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_BOOTH],
        env=real_pins,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stderr is not None
        if child.stdout.readline().strip() != "firing":
            child.kill()
            child.wait(10)
            pytest.fail(f"the booth process did not start firing: {child.stderr.read().strip()[-800:]}")
        deadline = time.monotonic() + 2.0
        while read_line(pinctrl, REMOTE[1]).level != "hi":  # the shutter pulse has begun
            assert time.monotonic() < deadline, "the shutter line never went active"
            time.sleep(0.02)
        assert read_line(pinctrl, REMOTE[0]).level == "hi"  # focus is held through the pulse
    finally:
        child.kill()  # SIGKILL: the booth's close() never runs
        child.wait(10)
    for pin in REMOTE:
        line = read_line(pinctrl, pin)
        assert line == Line("ip", "pd", "lo"), (
            f"GPIO{pin} after the booth was killed: {line}. 'op' and 'hi': the kernel kept the output "
            "(is dtparam=strict_gpiod in /boot/firmware/config.txt, and was the Pi rebooted since?); "
            "'pn': the booth did not program the pull-down when it made the pin"
        )

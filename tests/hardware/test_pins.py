"""booth/hardware/pins.py: which pin library, and no silent fallback to mock pins on a Pi.

"Am I on a Raspberry Pi" reads an injected model file (fixtures ``pi_file``/``not_pi``), and the real pin
library is an injected loader, so these run on any machine.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import pytest
from gpio_fakes import PI5
from gpiozero.pins.mock import MockFactory

from booth.errors import PinFactoryError
from booth.hardware.pins import PinFactoryChoice, load_real_factory, pi_model, select_pin_factory


def test_pi_model_detection(pi_file, not_pi, tmp_path):
    assert pi_model(pi_file) == PI5
    assert pi_model(not_pi) is None
    other = tmp_path / "other"
    other.write_bytes(b"Pine64 RockPro64\x00")
    assert pi_model(other) is None


def test_auto_off_a_pi_uses_mock_pins_with_a_warning(not_pi, caplog):
    with caplog.at_level(logging.WARNING, logger="booth.hardware"):
        choice = select_pin_factory("auto", model_path=not_pi, env={})
    assert choice.is_mock and isinstance(choice.factory, MockFactory) and choice.board is None
    assert "MOCK pins" in caplog.text and "not a Raspberry Pi" in caplog.text


def test_auto_on_a_pi_never_falls_back_to_mock(pi_file):
    calls = []

    def failing_lgpio(name, env):
        calls.append(name)
        raise OSError("can not open gpiochip")

    with pytest.raises(PinFactoryError) as info:
        select_pin_factory("auto", model_path=pi_file, env={}, load_real=failing_lgpio)
    assert calls == ["lgpio"]
    message = str(info.value)
    assert PI5 in message and "lgpio" in message and "can not open gpiochip" in message
    assert "pins.factory = 'mock'" in message and "\n" not in message


def test_auto_on_a_pi_uses_the_real_library(pi_file):
    sentinel = MockFactory()  # stands in for the LGPIOFactory a Pi would return

    choice = select_pin_factory("auto", model_path=pi_file, env={}, load_real=lambda name, env: sentinel)
    assert (
        choice.factory is sentinel and not choice.is_mock and choice.name == "lgpio" and choice.board == PI5
    )


def test_environment_names_the_factory(pi_file, not_pi):
    assert select_pin_factory("auto", model_path=pi_file, env={"GPIOZERO_PIN_FACTORY": "mock"}).is_mock
    names = []
    select_pin_factory(
        "auto",
        model_path=not_pi,
        env={"GPIOZERO_PIN_FACTORY": "rpigpio"},
        load_real=lambda name, env: names.append(name) or MockFactory(),
    )
    assert names == ["rpigpio"]  # explicitly asked for: real pins even off a Pi
    with pytest.raises(PinFactoryError, match="GPIOZERO_PIN_FACTORY=mock"):
        select_pin_factory("real", model_path=pi_file, env={"GPIOZERO_PIN_FACTORY": "mock"})
    assert select_pin_factory("mock", model_path=pi_file, env={}).is_mock


def test_real_off_a_pi_fails_loudly(not_pi):
    with pytest.raises(PinFactoryError, match="not a Raspberry Pi"):
        select_pin_factory("real", model_path=not_pi, env={"GPIOZERO_PIN_FACTORY": "native"})


def test_unknown_pin_library():
    with pytest.raises(PinFactoryError, match="unknown GPIO pin library 'gpiofoo'"):
        load_real_factory("gpiofoo", {})


def test_lgpio_gets_a_writable_work_directory():
    env: dict[str, str] = {}
    with contextlib.suppress(Exception):  # no lgpio or no gpiochip here: only the directory matters
        load_real_factory("lgpio", env).close()
    assert Path(env["LG_WD"]).is_dir()
    kept = {"LG_WD": "/srv/booth"}
    with contextlib.suppress(Exception):
        load_real_factory("lgpio", kept).close()
    assert kept["LG_WD"] == "/srv/booth"


def test_a_given_factory_is_mock_only_if_it_is_gpiozeros_mock_factory(factory):
    mock = PinFactoryChoice.given(factory)
    assert (mock.factory, mock.name, mock.is_mock, mock.board) == (factory, "mock", True, None)

    class LabFactory:  # a real library the caller made itself, named by its class
        pass

    lab = LabFactory()
    assert PinFactoryChoice.given(lab) == PinFactoryChoice(lab, "LabFactory", False, None)

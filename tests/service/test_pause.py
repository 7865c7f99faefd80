"""Pausing the booth (the operator page or the fleet): no session starts until it resumes, whoever asks.

The real service on the replayed clip; mocked only at the hardware boundary (gpiozero MockFactory pins).
"""

from __future__ import annotations

import time

import pytest
import support
from support import wait_until

from booth import config
from booth.errors import BoothError, SessionBusy


def test_a_paused_booth_starts_no_session_from_the_page_or_the_button(make_service) -> None:
    service = make_service(config.validate({**support.QUICK, "pins": {"bounce_ms": 0}}))
    status = service.pause("lunch break").to_json()
    assert status["paused"] == "lunch break" and status["state"] == "idle"
    with pytest.raises(SessionBusy, match=r"paused \(lunch break\); resume it"):
        service.start_session()
    button = service.pin_factory.pin(service.settings.pins.button)
    button.drive_low()  # pressed (wired to ground, pull-up)
    button.drive_high()
    time.sleep(1.5)  # unpaused, the same press starts a session well within this (see test_booth_service)
    assert service.status().to_json()["state"] == "idle"  # the button's start was refused too
    assert service.resume().to_json()["paused"] is None
    assert service.start_session().to_json()["state"] == "welcome"


def test_pausing_mid_session_lets_that_session_run_to_its_end(make_service) -> None:
    service = make_service(config.validate(support.QUICK))
    service.start_session()
    service.consent()
    service.pause("closing")
    assert service.status().to_json()["state"] not in ("idle", "aborted")
    service.cancel_session()
    wait_until(lambda: service.status().to_json()["state"] in ("idle", "aborted"), 10, "session over")
    with pytest.raises(SessionBusy):
        service.start_session()


def test_reload_looks_now_reads_the_file_again_and_a_bad_one_is_one_line(make_service, tmp_path) -> None:
    looks = tmp_path / "looks.toml"
    looks.write_text(
        '[look.calm]\ntitle = "Calm"\nscenario = "Think of a quiet lake."\n'
        'term = [{ signal = "smile", weight = -1.0, low = 0.1, high = 0.5 }]\n'
    )
    settings = config.validate({**support.QUICK, "looks": {"file": str(looks)}})
    service = make_service(settings)
    assert "calm" in [look["name"] for look in service.looks()]
    looks.write_text(looks.read_text().replace("[look.calm]", "[look.serene]"))
    service.reload_looks_now()
    assert "serene" in [look["name"] for look in service.looks()]
    looks.write_text("[look.calm\n")
    with pytest.raises(BoothError, match=r"looks\.toml"):
        service.reload_looks_now()
    assert "serene" in [look["name"] for look in service.looks()]  # the booth runs on with the looks it had

"""Where ``booth run`` and ``booth retention`` read settings and where the operator's changes go.

The studio's base file (``--config``, ``$BOOTH_CONFIG`` or ``/etc/booth/booth.toml``) is read-only to the
booth on the appliance; the page's changes live in ``<data>/booth.toml`` and are laid over it. Real files,
the real CLI, and one real BoothService on the replay camera with gpiozero mock pins (the hardware boundary).
"""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from booth import cli, config
from booth.commands import config as config_command
from booth.commands.run import LOCAL_CONFIG, load_settings, settings_files
from booth.hardware import Hardware
from booth.storage import LOCK_NAME, Storage

BASE = """\
[policy]
min_frames = 4

[policy.thresholds]
confident = 0.6
playful = 0.55

[session]
custom_shot_lists = { demo = ["approachable"] }

[storage]
retention_days = 100.0
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    base = tmp_path / "etc" / "booth.toml"
    base.parent.mkdir()
    base.write_text(BASE)
    data = tmp_path / "data"
    data.mkdir()
    return base, data


def test_the_page_changes_are_deep_merged_over_the_base(files) -> None:
    base, data = files
    (data / LOCAL_CONFIG).write_text(
        "[policy.thresholds]\nconfident = 0.7\n\n[storage]\nretention_days = 5\n"
    )
    settings = load_settings(*settings_files(base, data), pins="mock")
    assert settings.policy.thresholds == {"confident": 0.7, "playful": 0.55}  # one key changed, one kept
    assert settings.policy.min_frames == 4 and settings.storage.retention_days == 5
    assert settings.pins.factory == "mock"


def test_without_a_changes_file_the_base_alone_applies(files) -> None:
    base, data = files
    assert load_settings(*settings_files(base, data)) == config.load(base)


def test_base_is_found_like_run_and_doctor_find_it(files, monkeypatch) -> None:
    base, data = files
    monkeypatch.setenv("BOOTH_CONFIG", str(base))
    assert settings_files(None, data) == (base, data / LOCAL_CONFIG)
    monkeypatch.delenv("BOOTH_CONFIG")
    monkeypatch.setattr(config_command, "APPLIANCE_CONFIG", base.parent / "absent.toml")
    assert settings_files(None, data) == (None, data / LOCAL_CONFIG)  # development: defaults + changes


def test_a_bad_key_in_the_changes_file_names_that_file(files) -> None:
    base, data = files
    changes = data / LOCAL_CONFIG
    changes.write_text("[policy]\nmin_frame = 3\n")
    with pytest.raises(config.ConfigError) as err:
        load_settings(base, changes)
    assert str(err.value).startswith(f"{changes} (over {base}): unknown key") and "min_frames" in str(
        err.value
    )


def test_the_changes_may_name_a_shot_list_only_the_base_defines(files) -> None:
    """What the operator page saves when a custom list of the base is chosen: valid over the base only."""
    base, data = files
    base.write_text('[session]\ncustom_shot_lists = { demo = ["approachable"] }\n')
    changes = data / LOCAL_CONFIG
    changes.write_text('[session]\nshot_list = "demo"\n')
    assert load_settings(base, changes).session.shot_list == "demo"
    changes.write_text('[session\nshot_list = "demo"\n')
    with pytest.raises(config.ConfigError, match=f"{changes}: not valid TOML"):
        load_settings(base, changes)


def test_the_same_file_as_base_and_changes_is_read_once(tmp_path) -> None:
    """``booth run --config var/booth.toml --data var`` (a checkout): one file, both roles."""
    path = tmp_path / LOCAL_CONFIG
    path.write_text("[policy]\nmin_frames = 7\n")
    assert load_settings(path, tmp_path / "." / LOCAL_CONFIG).policy.min_frames == 7


def test_retention_honours_booth_config_and_the_page_changes(files, monkeypatch, capsys) -> None:
    base, data = files
    monkeypatch.setenv("BOOTH_CONFIG", str(base))
    day = 86400.0
    with Storage(data, clock=lambda: time.time() - 20 * day) as s:
        sid = s.start_session().id
        s.end_session(sid, "delivered")
    assert cli.main(["retention", "--data", str(data)]) == 0  # the base keeps 100 days
    assert "0 session(s) older than 100 days" in capsys.readouterr().out
    (data / LOCAL_CONFIG).write_text("[storage]\nretention_days = 10\n")  # changed on the page
    assert cli.main(["retention", "--data", str(data)]) == 0
    assert "1 session(s) older than 10 days" in capsys.readouterr().out
    assert Storage(data).session(sid) is None


def test_a_second_booth_run_on_the_same_data_fails_with_one_line(files, capsys) -> None:
    """Refused before the camera, models or pins are touched: the lock is checked first."""
    base, data = files
    with Storage(data):
        code = cli.main(["run", "--config", str(base), "--data", str(data), "--pins", "mock", "--port", "0"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and LOCK_NAME in err and "systemctl stop booth" in err


def test_operator_changes_reach_only_the_data_files_and_survive_a_restart(files, models, media) -> None:
    base, data = files
    before = base.read_bytes()
    base_file, changes = settings_files(base, data)
    settings = load_settings(base_file, changes, pins="mock")
    hardware = Hardware(settings.pins, pin_factory=MockFactory(pin_class=MockPWMPin))
    from booth.service import BoothService

    service = BoothService(
        settings,
        data,
        config_path=changes,
        base_config_path=base_file,
        hardware=hardware,
        models=models,
        camera_spec=f"replay:{media('single_face.mp4')}",
    )
    service.start()
    try:
        service.update_settings({"policy": {"thresholds": {"intense": 0.5}}})
        service.update_settings({"session": {"shot_list": "demo"}})  # a list only the base defines
    finally:
        service.stop()
    assert base.read_bytes() == before  # the studio's file is never written
    assert tomllib.loads(changes.read_text()) == {
        "policy": {"thresholds": {"intense": 0.5}},
        "session": {"shot_list": "demo"},
    }
    restarted = load_settings(*settings_files(base, data))
    assert restarted.policy.thresholds == {"confident": 0.6, "playful": 0.55, "intense": 0.5}
    assert restarted.policy.min_frames == 4 and restarted.pins.factory == "auto"
    assert restarted.session.shot_list == "demo"

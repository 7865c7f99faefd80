"""Credentials from a 0600 NAME=value file or the environment, with one-line errors naming the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from booth.errors import ConfigError
from booth.secrets_file import credentials, read_env_file


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_reads_the_lines_systemd_would(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "s3.env",
        '# the studio\'s keys\n\nexport AWS_ACCESS_KEY_ID=AK123\nAWS_SECRET_ACCESS_KEY = "se=cr et"\n',
    )
    assert read_env_file(path) == {"AWS_ACCESS_KEY_ID": "AK123", "AWS_SECRET_ACCESS_KEY": "se=cr et"}


def test_a_file_others_can_read_is_refused_with_the_chmod_that_fixes_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "s3.env", "AWS_ACCESS_KEY_ID=AK\n", mode=0o644)
    with pytest.raises(ConfigError, match=r"mode 644\); run chmod 600 .*s3.env"):
        read_env_file(path)


def test_a_missing_file_and_a_bad_line_are_one_line_each(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="credentials file not found"):
        read_env_file(tmp_path / "nope.env")
    path = _write(tmp_path / "bad.env", "AWS_ACCESS_KEY_ID\n")
    with pytest.raises(ConfigError, match=r"bad.env:1: expected NAME=value"):
        read_env_file(path)


def test_missing_names_say_where_to_put_them(tmp_path: Path) -> None:
    path = _write(tmp_path / "s3.env", "AWS_ACCESS_KEY_ID=AK\n")
    with pytest.raises(ConfigError, match=r"AWS_SECRET_ACCESS_KEY not set in .*s3\.env"):
        credentials(path, ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
    found = credentials(
        None, ["MQTT_USERNAME", "MQTT_PASSWORD"], environ={"MQTT_USERNAME": "b1"}, required=False
    )
    assert found == {"MQTT_USERNAME": "b1"}
    with pytest.raises(ConfigError, match="MQTT_PASSWORD not set in the environment"):
        credentials(None, ["MQTT_PASSWORD"], environ={})


def test_config_check_names_the_secret_files_of_the_parts_turned_on(tmp_path: Path) -> None:
    from booth import config, settings_check

    cfg = tmp_path / "booth.toml"
    loose = _write(tmp_path / "s3.env", "AWS_ACCESS_KEY_ID=AK\nAWS_SECRET_ACCESS_KEY=S\n", mode=0o640)
    cfg.write_text(
        f'[delivery]\nenabled = true\nbucket = "photos"\ncredentials_file = "{loose}"\n'
        f'[hotspot]\nenabled = true\npassword_file = "{tmp_path / "none.psk"}"\n'
    )
    errors = settings_check.report(cfg).errors
    assert any("delivery.credentials_file" in e and "chmod 600" in e for e in errors), errors
    assert any("hotspot.password_file" in e and "passphrase file not found" in e for e in errors), errors
    loose.chmod(0o600)
    (tmp_path / "none.psk").write_text("correct horse battery")
    (tmp_path / "none.psk").chmod(0o600)
    assert settings_check.report(cfg).errors == []
    assert config.load(cfg).delivery.bucket == "photos"

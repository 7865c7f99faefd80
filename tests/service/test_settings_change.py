"""booth.service.settings_change: a change is checked whole, against the looks, before anything changes."""

from __future__ import annotations

import pytest

from booth import config, looks
from booth.errors import BoothError, ConfigError
from booth.service.settings_change import prepare, save


def test_a_change_is_validated_saved_over_the_file_and_swaps_nothing_it_need_not(tmp_path):
    path = tmp_path / "booth.toml"
    path.write_text('[session]\nshot_list = "commercial"\n')
    current = config.load(path)
    change = prepare(current, looks.load(), {"policy": {"min_frames": 5}}, config_path=path,
                     base_config_path=None, idle=True)  # fmt: skip
    assert change.settings.policy.min_frames == 5 and change.book is None and change.camera is None
    save(change, path)
    assert config.load(path).policy.min_frames == 5 and config.load(path).session.shot_list == "commercial"


def test_a_threshold_for_an_unknown_look_is_refused_with_a_suggestion(tmp_path):
    with pytest.raises(ConfigError, match="did you mean 'intense'"):
        prepare(config.Settings(), looks.load(), {"policy": {"thresholds": {"intens": 0.5}}},
                config_path=None, base_config_path=None, idle=True)  # fmt: skip


def test_a_new_looks_file_waits_for_an_idle_booth(tmp_path):
    looks_file = tmp_path / "looks.toml"
    looks_file.write_text(
        '[look.smize]\nscenario = "A secret."\nterm = [{ signal = "squint", weight = 1.0 }]\n'
    )
    changes = {"looks": {"file": str(looks_file)}}
    with pytest.raises(BoothError, match="between sessions"):
        prepare(config.Settings(), looks.load(), changes, config_path=None, base_config_path=None, idle=False)
    change = prepare(
        config.Settings(), looks.load(), changes, config_path=None, base_config_path=None, idle=True
    )
    assert change.book is not None and "smize" in change.book.looks


def test_a_section_that_is_not_a_table_is_one_line():
    with pytest.raises(ConfigError, match="policy must be a table of keys"):
        prepare(
            config.Settings(), looks.load(), {"policy": 3}, config_path=None, base_config_path=None, idle=True
        )

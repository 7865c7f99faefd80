"""booth.service.settings_change: a change is checked whole, against the looks, before anything changes."""

from __future__ import annotations

import stat
import tomllib

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


# --- only what changed is saved; a key set back leaves the file ---------------------------------------------

BASE = "[policy]\nmin_frames = 6\ncooldown_s = 2.0\n\n[policy.thresholds]\nconfident = 0.65\n"


def change(current, changes, changes_file, base_file):
    """Prepare and save ``changes`` as the booth does; the settings after it."""
    done = prepare(current, looks.load(), changes, config_path=changes_file, base_config_path=base_file,
                   idle=True)  # fmt: skip
    save(done, changes_file)
    return done.settings


def every_form_field(settings, **changed):
    """What the operator page's form sends: every field it shows (each look's threshold as shown, falling
    back to the default), with ``changed`` ({"policy.min_frames": 5}) put in."""
    from booth.web.settings_form import current_values, form_fields, parse_form

    fields = form_fields(looks.load().looks)
    form = {**current_values(settings, fields), **{k: str(v) for k, v in changed.items()}}
    changes, errors = parse_form(form, fields)
    assert errors == {}
    return changes


@pytest.fixture
def layers(tmp_path):
    base = tmp_path / "etc" / "booth.toml"
    base.parent.mkdir()
    base.write_text(BASE)
    return base, tmp_path / "data" / config.CHANGES_FILE


def test_saving_one_field_of_the_whole_form_saves_only_that_field(layers):
    """The form sends every threshold, pin and the camera; only the one changed reaches the changes file,
    so a later edit of the base file (here a threshold and the cooldown) still takes effect."""
    base, changes = layers
    current = config.load_layered(base, changes)
    after = change(current, every_form_field(current, **{"policy.thresholds.intense": 0.7}), changes, base)
    assert after.policy.thresholds == {"confident": 0.65, "intense": 0.7}
    assert tomllib.loads(changes.read_text()) == {"policy": {"thresholds": {"intense": 0.7}}}
    base.write_text(BASE.replace("confident = 0.65", "confident = 0.5").replace("2.0", "4.0"))
    restarted = config.load_layered(base, changes)
    assert restarted.policy.thresholds == {"confident": 0.5, "intense": 0.7}
    assert restarted.policy.cooldown_s == 4.0 and restarted.policy.min_frames == 6
    assert stat.S_IMODE(changes.stat().st_mode) == 0o644


def test_a_key_set_back_to_the_base_or_the_default_leaves_the_file(layers):
    base, changes = layers
    current = config.load_layered(base, changes)
    current = change(current, {"policy": {"min_frames": 9, "hysteresis": 0.1}}, changes, base)
    current = change(
        current, {"pins": {"focus": None}, "policy": {"thresholds": {"intense": 0.7}}}, changes, base
    )
    assert tomllib.loads(changes.read_text()) == {
        "policy": {"min_frames": 9, "hysteresis": 0.1, "thresholds": {"intense": 0.7}},
        "pins": {"focus": "none"},
    }
    # Back to the base's value (min_frames 6), the default (hysteresis, the focus pin), and the default
    # threshold a look without its own follows: each leaves the file, and tables left empty go too.
    current = change(
        current,
        {
            "policy": {"min_frames": 6, "hysteresis": 0.05, "thresholds": {"intense": 0.6}},
            "pins": {"focus": 23},
        },
        changes,
        base,
    )
    assert tomllib.loads(changes.read_text()) == {}
    assert current == config.load_layered(base, changes) == config.load(base)
    assert "intense" not in current.policy.thresholds  # following the default, in effect too


def test_a_looks_file_named_and_then_unset_leaves_no_trace(tmp_path, layers):
    """What teaching a look and undoing it do: name ``<data>/looks.toml``, then set looks.file back."""
    base, changes = layers
    looks_file = tmp_path / "data" / "looks.toml"
    looks_file.parent.mkdir()
    looks_file.write_text(
        '[look.smize]\nscenario = "A secret."\nterm = [{ signal = "squint", weight = 1.0 }]\n'
    )
    current = change(config.load_layered(base, changes), {"looks": {"file": str(looks_file)}}, changes, base)
    assert tomllib.loads(changes.read_text()) == {"looks": {"file": str(looks_file)}}
    current = change(current, {"looks": {"file": None}}, changes, base)
    assert tomllib.loads(changes.read_text()) == {} and current.looks.file is None


def test_the_operators_comments_in_the_changes_file_are_kept(layers):
    base, changes = layers
    changes.parent.mkdir()
    changes.write_text("# Changed for the winter light -- Sam\n[camera]\nfps = 25.0  # the lamps flicker\n")
    current = config.load_layered(base, changes)
    change(current, {"policy": {"min_frames": 8}, "camera": {"fps": 24.0}}, changes, base)
    text = changes.read_text()
    assert text.startswith(
        "# Changed for the winter light -- Sam\n[camera]\nfps = 24.0  # the lamps flicker\n"
    )
    assert tomllib.loads(text) == {"camera": {"fps": 24.0}, "policy": {"min_frames": 8}}


def test_comments_stay_when_a_key_set_back_empties_its_table(layers):
    """Setting the cooldown back to the base's value empties [policy], which keeps its own comment: every
    comment of the file stays, the unrelated ones too (the review found them all dropped)."""
    base, changes = layers
    changes.parent.mkdir()
    changes.write_text(
        "# Studio A: ask Sam before changing\n\n[policy]\n# faster retries for kids\ncooldown_s = 1.0\n\n"
        "[storage]\n# the client contract\nretention_days = 45\n"
    )
    current = config.load_layered(base, changes)
    after = change(current, {"policy": {"cooldown_s": 2.0}}, changes, base)  # the base's value
    text = changes.read_text()
    assert after.policy.cooldown_s == 2.0 and "cooldown_s" not in text
    for comment in (
        "# Studio A: ask Sam before changing",
        "# faster retries for kids",
        "# the client contract",
    ):
        assert comment in text
    assert tomllib.loads(text)["storage"] == {"retention_days": 45}


@pytest.mark.parametrize(
    "changes",
    [
        {"storage": {"retention_days": float("inf")}},
        {"policy": {"thresholds": {"intense": float("nan")}}},
        {"camera": {"analysis_size": [float("-inf"), 480]}},
    ],
)
def test_a_number_that_is_not_finite_is_refused_and_nothing_is_saved(tmp_path, changes):
    path = tmp_path / "booth.toml"
    with pytest.raises(ConfigError, match="not a finite number; send a plain number") as info:
        prepare(config.Settings(), looks.load(), changes, config_path=path, base_config_path=None, idle=True)
    assert "\n" not in str(info.value) and not path.exists()


def test_a_changes_file_that_no_longer_parses_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "booth.toml"
    path.write_text("[policy\n")
    with pytest.raises(ConfigError, match=r"not valid TOML .*; fix the file, or delete it"):
        prepare(config.Settings(), looks.load(), {"policy": {"min_frames": 5}}, config_path=path,
                base_config_path=None, idle=True)  # fmt: skip
    assert path.read_text() == "[policy\n"


def test_a_new_default_threshold_moves_the_looks_that_follow_it(layers):
    """The form shows each look without a threshold of its own at the default, and sends that back: it is
    not a change, so those looks are not pinned to the old default but follow the new one."""
    base, changes = layers
    current = config.load_layered(base, changes)
    after = change(current, every_form_field(current, **{"policy.default_threshold": 0.5}), changes, base)
    assert tomllib.loads(changes.read_text()) == {"policy": {"default_threshold": 0.5}}
    assert after.policy.thresholds == {"confident": 0.65} and after == config.load_layered(base, changes)


def test_a_file_from_a_booth_that_saved_every_field_loses_its_stale_copies(layers):
    """The booth before this fix saved every field of the form (every threshold, the pins, the camera). A
    field the form sends unchanged, whose copy in the file only repeats the base (or the default), leaves
    the file; one the operator had really changed (min_frames 9 over the base's 6) stays."""
    base, changes = layers
    stale = every_form_field(config.load(base), **{"policy.min_frames": 9})
    config.write_table(changes, stale)  # what that booth wrote
    current = config.load_layered(base, changes)
    assert current.policy.thresholds["intense"] == 0.6 and current.pins.shutter == 24
    change(current, every_form_field(current, **{"policy.cooldown_s": 1.5}), changes, base)
    assert tomllib.loads(changes.read_text()) == {"policy": {"min_frames": 9, "cooldown_s": 1.5}}
    base.write_text(BASE.replace("confident = 0.65", "confident = 0.5"))
    assert config.load_layered(base, changes).policy.thresholds == {"confident": 0.5}

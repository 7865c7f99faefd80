"""booth.config's loading and validation, and the ``booth config check|show`` command.

Real TOML files in a temporary folder, the real pydantic models and the real command line; nothing mocked.
The keys used here (vision.threads, camera.fps, camera.source) are long-standing ones of their sections.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from booth import cli, config, looks, settings_check
from booth.commands import config as config_command
from booth.errors import BoothError, ConfigError


def write(tmp_path: Path, text: str, name: str = "booth.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_no_file_gives_defaults():
    assert config.load(None) == config.Settings()


def test_a_valid_file_overrides_only_what_it_sets(tmp_path):
    settings = config.load(write(tmp_path, '[vision]\nthreads = 2\n[camera]\nsource = "replay:/x.mp4"\n'))
    assert settings.vision.threads == 2
    assert settings.camera.source == "replay:/x.mp4"
    assert settings.camera.fps == config.CameraSettings().fps


def test_config_error_is_a_booth_error_and_a_value_error():
    assert issubclass(ConfigError, BoothError)
    assert issubclass(ConfigError, ValueError)


def test_unknown_key_in_a_section_names_file_key_and_suggestion(tmp_path):
    path = write(tmp_path, "[camera]\nfsp = 25\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    message = str(info.value)
    assert message == f"{path}: unknown key 'camera.fsp'; did you mean 'fps'?"


def test_unknown_section_suggests_the_nearest_one(tmp_path):
    path = write(tmp_path, "[visoin]\nthreads = 2\n")
    with pytest.raises(ConfigError, match=r"unknown key 'visoin'; did you mean 'vision'\?"):
        config.load(path)


def test_unknown_key_with_nothing_close_lists_the_valid_keys(tmp_path):
    path = write(tmp_path, "[vision]\nzzzzzz = 1\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert "valid keys: threads, " in str(info.value)


def test_invalid_value_names_key_constraint_and_value(tmp_path):
    path = write(tmp_path, "[vision]\nthreads = 99\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: vision.threads: ")
    assert "less than or equal to 8" in message
    assert "99" in message
    assert "\n" not in message


def test_wrong_type_is_reported(tmp_path):
    with pytest.raises(ConfigError, match=r"camera\.fps: .*'fast'"):
        config.load(write(tmp_path, '[camera]\nfps = "fast"\n'))


def test_invalid_toml_missing_file_and_binary_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(write(tmp_path, "[camera\n"))
    with pytest.raises(ConfigError, match="config file not found"):
        config.load(tmp_path / "absent.toml")
    binary = tmp_path / "photo.toml"
    binary.write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    with pytest.raises(ConfigError, match="not a text file"):
        config.load(binary)


def test_every_field_has_a_description():
    """The file is documented by its fields: `booth config show` and error hints rely on it."""
    missing = [
        f"{section}.{name}"
        for section, field in config.Settings.model_fields.items()
        for name, sub in getattr(field.annotation, "model_fields", {}).items()
        if not sub.description
    ]
    assert missing == []


def test_the_appliance_default_file_is_valid():
    path = Path(__file__).resolve().parent.parent / "firmware" / "booth.toml"
    assert config.load(path).camera.source == "picamera2"


# --- booth config check|show through the real command line ---------------------------------------------


@pytest.fixture
def booth(monkeypatch):
    """``booth ARGS...`` in-process; registers the config command if booth/cli.py does not list it yet."""
    if "config" not in cli.COMMANDS:
        monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, "config"))
    monkeypatch.delenv("BOOTH_CONFIG", raising=False)
    return lambda *argv: cli.main(list(argv))


def test_check_prints_ok(tmp_path, booth, capsys):
    path = write(tmp_path, "[camera]\nfps = 25\n")
    assert booth("config", "check", str(path)) == 0
    assert capsys.readouterr().out.strip() == f"OK {path}"


def test_check_prints_the_one_line_error_and_exits_2(tmp_path, booth, capsys):
    path = write(tmp_path, "[camera]\nfsp = 25\n")
    assert booth("config", "check", str(path)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"booth: {path}: unknown key 'camera.fsp'; did you mean 'fps'?\n"


def test_check_uses_booth_config_from_the_environment(tmp_path, booth, capsys, monkeypatch):
    path = write(tmp_path, "[vision]\nthreads = -1\n")
    monkeypatch.setenv("BOOTH_CONFIG", str(path))
    assert booth("config", "check") == 2
    assert "vision.threads" in capsys.readouterr().err


def test_resolve_config_path_order(tmp_path, monkeypatch):
    monkeypatch.setattr(config_command, "APPLIANCE_CONFIG", tmp_path / "etc.toml")
    monkeypatch.delenv("BOOTH_CONFIG", raising=False)
    assert config_command.resolve_config_path(None) is None
    (tmp_path / "etc.toml").write_text("")
    assert config_command.resolve_config_path(None) == tmp_path / "etc.toml"
    monkeypatch.setenv("BOOTH_CONFIG", "/env.toml")
    assert config_command.resolve_config_path(None) == Path("/env.toml")
    assert config_command.resolve_config_path(Path("/given.toml")) == Path("/given.toml")


def test_show_toml_loads_back_to_the_same_settings(tmp_path, booth, capsys):
    path = write(tmp_path, '[vision]\nthreads = 3\n[camera]\nsource = "usb:1"\nlens_position = 2.5\n')
    assert booth("config", "show", str(path)) == 0
    shown = capsys.readouterr().out
    assert "threads = 3" in shown
    assert config.validate(tomllib.loads(shown)) == config.load(path)


def test_show_json(tmp_path, booth, capsys):
    path = write(tmp_path, "[camera]\nfps = 12.5\n")
    assert booth("config", "show", "--json", str(path)) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["camera"]["fps"] == 12.5
    assert set(data) == set(config.Settings.model_fields)


def test_to_toml_writes_unset_keys_as_none_and_nested_tables():
    text = config.to_toml({"a": {"x": None, "y": [1, 2], "z": {"k": "v w"}}, "b": {}})
    assert tomllib.loads(text) == {"a": {"x": "none", "y": [1, 2], "z": {"k": "v w"}}, "b": {}}


def test_a_cleared_optional_setting_survives_save_and_load(tmp_path):
    """Clearing a pin on the operator page (focus not wired) must not bring the default back on reload."""
    settings = config.validate({"pins": {"focus": None}})
    path = tmp_path / "booth.toml"
    config.save(settings, path)
    assert 'focus = "none"' in path.read_text()
    assert config.load(path).pins.focus is None
    assert config.load(path) == settings
    with pytest.raises(config.ConfigError, match="fps"):
        config.validate({"camera": {"fps": "none"}})  # not optional: "none" is just a bad value


def test_check_refuses_an_unknown_look_in_a_custom_list_with_a_suggestion(tmp_path, booth, capsys):
    path = write(tmp_path, '[session]\nshot_list = "solo"\ncustom_shot_lists = { solo = ["confidnet"] }\n')
    assert booth("config", "check", str(path)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'confidnet'" in err and "did you mean 'confident'?" in err
    bad = config.validate({"session": {"custom_shot_lists": {"solo": ["intense", "zzzzzz"]}}})
    with pytest.raises(ConfigError, match="use one of approachable, confident"):
        settings_check.check(bad, looks.load())
    ok = config.validate({"session": {"custom_shot_lists": {"solo": ["intense", "playful"]}}})
    assert ok.session.custom_shot_lists == {"solo": ["intense", "playful"]}
    assert settings_check.problems(ok, looks.load()) == []


def test_an_operator_look_can_be_named_in_a_shot_list(tmp_path):
    looks = tmp_path / "looks.toml"
    looks.write_text(
        '[look.smize]\nscenario = "Imagine you know a secret."\n'
        'term = [{ signal = "squint", weight = 1.0, low = 0.05, high = 0.3 }]\n'
    )
    data = {"looks": {"file": str(looks)}, "session": {"custom_shot_lists": {"eyes": ["smize", "confident"]}}}
    settings = config.validate(data)
    assert settings_check.checked_book(settings).looks["smize"].scenario == "Imagine you know a secret."
    with pytest.raises(config.ConfigError, match="unknown look 'smize'"):
        settings_check.checked_book(config.validate({"session": data["session"]}))


def test_show_includes_the_pages_changes_from_the_data_folder(tmp_path, booth, capsys):
    base = write(tmp_path, "[policy]\ndefault_threshold = 0.7\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / config.CHANGES_FILE).write_text("[policy]\ncooldown_s = 1.5\n")
    assert booth("config", "show", "--json", "--data", str(data), str(base)) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["policy"]["default_threshold"] == 0.7 and shown["policy"]["cooldown_s"] == 1.5


def test_cross_part_checks_name_the_key_and_a_suggestion():
    settings = config.validate(
        {"policy": {"thresholds": {"aproachable": 0.5}}, "session": {"per_look": {"intens": {"shots": 1}}}}
    )
    found = settings_check.problems(settings, looks.load())
    assert found == [
        "session.per_look: unknown look 'intens'; did you mean 'intense'?",
        "policy.thresholds: unknown look 'aproachable'; did you mean 'approachable'?",
    ]
    with pytest.raises(ConfigError, match="unknown shot list 'solo'"):
        settings_check.check(config.validate({"session": {"shot_list": "solo"}}), looks.load())


def test_check_warns_of_a_threshold_a_look_cannot_reach(tmp_path, booth, capsys):
    """A learned look's ceiling is its probability with every cue at full: 1 / (1 + e^-1) = 0.73 here."""
    looks_file = tmp_path / "looks.toml"
    looks_file.write_text(
        '[look.grin]\nscenario = "s"\nbias = -3.0\nterm = [{ signal = "smile", weight = 4.0 }]\n'
    )
    path = write(
        tmp_path,
        f'[looks]\nfile = "{looks_file}"\n[policy.thresholds]\ngrin = 0.8\nintense = 0.97\n',
    )
    assert booth("config", "check", str(path)) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"OK {path}"
    assert lines[:-1] == [
        "warning: policy.thresholds.intense = 0.97: close to the ceiling of look 'intense' (1.00), so only "
        "a perfect frame fires; 0.9 is already 'a textbook example'",
        "warning: policy.thresholds.grin = 0.8: look 'grin' can reach only 0.73, so it never fires; "
        "lower it (0.6 is what 'a photographer would take this' scores)",
    ]


# --- TOML written by tomlkit: keys TOML must quote, no inf or nan, comments kept ----------------------------


def test_keys_toml_must_quote_are_quoted_and_read_back():
    """Bare TOML keys are ASCII only: "ö" and "²" (which str.isalnum takes) need quotes."""
    data = {"policy": {"thresholds": {"ö": 0.5, "²": 0.4, "a b": 0.3, "": 0.2}}}
    assert tomllib.loads(config.to_toml(data)) == data


def test_a_number_that_is_not_finite_is_refused_in_a_file_and_in_toml_out(tmp_path):
    path = write(tmp_path, "[storage]\nretention_days = inf\n[camera]\nfps = nan\n")
    assert config.error_lines(config.parse(path)) == [
        "camera.fps: not a finite number (got nan); write a plain number (no inf or nan)",
        "storage.retention_days: not a finite number (got inf); write a plain number (no inf or nan)",
    ]
    with pytest.raises(ConfigError, match="retention_days = inf: not a finite number"):
        config.to_toml({"storage": {"retention_days": float("inf")}})


def test_the_first_error_says_how_many_more_there_are(tmp_path):
    path = write(tmp_path, "[vision]\nthreads = -1\nmax_faces = 0\n[camera]\nfps = -1\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert str(info.value).endswith("(+2 more; booth config check lists every one)")
    assert len(config.error_lines(config.parse(path))) == 3


def test_salvage_leaves_out_only_the_wrong_keys():
    settings = config.salvage({"vision": {"threads": -1, "max_faces": 3}, "pins": {"shutter": 23}})
    assert settings is not None and settings.vision.max_faces == 3 and settings.vision.threads == 0
    assert settings.pins == config.PinSettings()  # a clash is the section's: its defaults


def test_editing_a_hand_written_file_keeps_its_comments_and_layout():
    text = (
        "# Studio B's changes, by Sam\n"
        "[policy]  # the trigger\n"
        "min_frames = 5  # five is calmer\n"
        "thresholds = { intense = 0.5 }\n"
        "\n"
        "# the room is dark\n"
        "[camera]\n"
        "fps = 25.0\n"
    )
    edited = config.toml_text.edit(
        text, {("policy", "min_frames"): 6, ("policy", "thresholds", "ö"): 0.7}, [("camera", "fps")]
    )
    assert edited.startswith("# Studio B's changes, by Sam\n[policy]  # the trigger\n")
    assert "min_frames = 6  # five is calmer" in edited and "# the room is dark" in edited
    assert tomllib.loads(edited) == {"policy": {"min_frames": 6, "thresholds": {"intense": 0.5, "ö": 0.7}}}


def test_show_describes_every_key_and_loads_back_to_the_same_settings(tmp_path, booth, capsys):
    looks_file = tmp_path / "looks.toml"
    looks_file.write_text('[look."ö"]\nscenario = "s"\nterm = [{ signal = "squint", weight = 1.0 }]\n')
    path = write(
        tmp_path,
        f'[looks]\nfile = "{looks_file}"\n[policy.thresholds]\n"ö" = 0.5\n'
        '[session.per_look.intense]\nshots = 2\n[session.custom_shot_lists]\n"²" = ["ö", "intense"]\n'
        '[pins]\nfocus = "none"\n',
    )
    assert booth("config", "show", str(path)) == 0
    shown = capsys.readouterr().out
    assert config.validate(tomllib.loads(shown)) == config.load(path)
    described = comments_by_key(shown)
    for section, field in config.Settings.model_fields.items():
        for name, sub in field.annotation.model_fields.items():
            assert described[f"{section}.{name}"] == " ".join(sub.description.split()), (section, name)
    assert described["session.per_look.intense.shots"] == config.LookBudget.model_fields["shots"].description


def comments_by_key(text: str) -> dict[str, str]:
    """Each key's comment (the lines just above ``key = ...``) and each table's (the lines right under its
    ``[header]``), by dotted key."""
    found: dict[str, str] = {}
    table, block, fresh = "", [], False
    for line in text.splitlines():
        if line.startswith("#"):
            block.append(line[2:])
        elif line.startswith("["):
            table, block, fresh = line.strip("[]").replace('"', ""), [], True
        elif fresh and block:  # the table's own comment ends at its first key or blank line
            found[table], block, fresh = " ".join(block), [], False
        if " = " in line and not line.startswith("#"):
            found[f"{table}.{line.split(' = ')[0]}"], block, fresh = " ".join(block), [], False
        elif not line:
            block, fresh = [], False
    return found

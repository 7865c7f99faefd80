"""Reading, checking and writing settings files: one-line errors, TOML out, and the layers of files.

Why apart from the sections: the sections say what a valid setting is; this module is how settings travel
between files, the operator page and the booth (``booth config check`` and ``show``, the page's saved
changes laid over the studio's file).
"""

from __future__ import annotations

import copy
import difflib
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from booth.atomic import write_atomic
from booth.config.sections import NONE, Settings
from booth.errors import ConfigError


def _suggest(key: str, model: type[BaseModel]) -> str:
    close = difflib.get_close_matches(key, list(model.model_fields), n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(model.model_fields)}"


def _model_at(loc: tuple, model: type[BaseModel]) -> type[BaseModel]:
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return model


def validate(data: dict, source: str = "<config>") -> Settings:
    """Validate a parsed TOML mapping; raise one :class:`ConfigError` line per file naming key and fix."""
    try:
        return Settings.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = tuple(first["loc"])
        key = ".".join(str(p) for p in loc)
        if first["type"] == "extra_forbidden":
            hint = _suggest(str(loc[-1]), _model_at(loc, Settings))
            raise ConfigError(f"{source}: unknown key {key!r}{hint}") from None
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "value_error":  # our own checks: the message names the value already
            where = f"{key}: " if key else ""
            raise ConfigError(f"{source}: {where}{message}") from None
        got = repr(first.get("input"))
        if len(got) > 60:
            got = got[:57] + "..."
        raise ConfigError(f"{source}: {key}: {message} (got {got})") from None


def errors_by_field(data: Mapping[str, Any]) -> dict[str, str]:
    """Every validation error of a settings mapping, keyed by dotted key (or section) name: a form marks
    each wrong field at once, where :func:`validate` stops at the first (right for a file)."""
    try:
        Settings.model_validate(data)
    except ValidationError as err:
        errors: dict[str, str] = {}
        for item in err.errors():
            key = ".".join(str(p) for p in item["loc"])
            message = str(item["msg"]).removeprefix("Value error, ")
            errors.setdefault(key, message[:1].upper() + message[1:])
        return errors
    return {}


def load(path: Path | str | None) -> Settings:
    """Load and validate a config file; ``None`` gives the defaults."""
    if path is None:
        return Settings()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found; create it or drop --config") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err}); fix the line named") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file; a config file is UTF-8 TOML") from None
    return validate(data, str(path))


# --- writing (booth config show, and settings changed on the operator page) ---


def _toml_value(value: object) -> str:
    # JSON's literals are TOML's for what settings hold (strings, numbers, booleans, arrays of them).
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value, ensure_ascii=False)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def to_toml(data: dict, prefix: str = "") -> str:
    """Settings as TOML. TOML has no null: an unset optional key is written as :data:`NONE`."""
    lines = []
    tables = []
    for key, value in data.items():
        if isinstance(value, dict):  # a section, or a mapping field: a [table] either way
            tables.append((key, value))
        elif value is None:
            lines.append(f"{_toml_key(key)} = {_toml_value(NONE)}")
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in tables:
        name = f"{prefix}.{_toml_key(key)}" if prefix else _toml_key(key)
        body = to_toml(value, name)
        lines.append("")
        lines.append(f"[{name}]")
        if body:
            lines.append(body)
    return "\n".join(lines).strip("\n")


def save(settings: Settings, path: Path | str) -> None:
    """Persist settings as TOML, atomically (a crash never leaves half a config file)."""
    write_table(Path(path), settings.model_dump(mode="json"))


# --- layers: the studio's base file, and the operator page's changes over it ---

#: The operator page's changes, saved in the booth's data folder (writable under systemd's ProtectSystem).
CHANGES_FILE = "booth.toml"


def deep_merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` laid over ``base``, recursively for tables: a change names only the keys it changes
    (``{"policy": {"thresholds": {"intense": 0.5}}}`` keeps every other look's threshold)."""
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read_table(path: Path | None) -> dict[str, Any]:
    """A settings file's own contents, unvalidated (``{}`` when there is none yet)."""
    if path is None:
        return {}
    try:
        return tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid TOML ({err}); fix the file, or delete it to drop it") from None


def write_table(path: Path, data: Mapping[str, Any]) -> None:
    """Write a settings file atomically; a folder we may not write to is one line naming it."""
    try:
        write_atomic(path, to_toml(dict(data)).encode())
    except OSError as err:
        raise ConfigError(
            f"{path}: cannot save settings ({err.strerror or err}); make its folder writable"
        ) from None


def load_layered(base: Path | None, changes: Path | None) -> Settings:
    """The base file's settings with the changes file (when present) deep-merged over them.

    The base is validated alone (an error names it); the changes only over the base, as the operator page
    checks them before saving: they may name a shot list the base defines.
    """
    settings = load(base)
    same = base is not None and changes is not None and Path(base).resolve() == Path(changes).resolve()
    if changes is None or same or not Path(changes).is_file():
        return settings
    merged = deep_merge(settings.model_dump(mode="json"), read_table(changes))
    return validate(merged, f"{changes} (over {base or 'the defaults'})")

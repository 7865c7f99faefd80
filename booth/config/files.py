"""Reading, checking and writing settings files: one-line errors (every one, or the first), TOML in and out.

Why apart from the sections: the sections say what a valid setting is; this module is how settings travel
between files, the operator page and the booth (``booth config check`` and ``show``); how the page's saved
changes lie over the studio's file is :mod:`booth.config.layers`'.
"""

from __future__ import annotations

import copy
import difflib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from booth.atomic import write_atomic
from booth.config import toml_text
from booth.config.sections import Settings
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


def _line(error: ErrorDetails) -> str:
    """One validation error as one line: the dotted key, what is wrong, and the fix (or the valid range)."""
    loc = tuple(error["loc"])
    key = ".".join(str(p) for p in loc)
    if error["type"] == "extra_forbidden":
        return f"unknown key {key!r}{_suggest(str(loc[-1]), _model_at(loc, Settings))}"
    got = repr(error.get("input"))
    if len(got) > 60:
        got = got[:57] + "..."
    if error["type"] == "finite_number":
        return f"{key}: not a finite number (got {got}); write a plain number (no inf or nan)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "value_error":  # our own checks: the message names the value already
        return f"{key}: {message}" if key else message
    return f"{key}: {message} (got {got})"


def error_lines(data: Mapping[str, Any]) -> list[str]:
    """Every validation error of a settings mapping, one line each (``[]``: valid); what
    ``booth config check`` prints, where :func:`validate` raises the first."""
    try:
        Settings.model_validate(data)
    except ValidationError as err:
        return [_line(e) for e in err.errors()]
    return []


def validate(data: Mapping[str, Any], source: str = "<config>") -> Settings:
    """Validate a parsed TOML mapping; raise one :class:`ConfigError` line naming the file, key and fix (the
    first error, with how many more there are: ``booth config check`` lists them all)."""
    try:
        return Settings.model_validate(data)
    except ValidationError as err:
        errors = err.errors()
        more = f" (+{len(errors) - 1} more; booth config check lists every one)" if len(errors) > 1 else ""
        raise ConfigError(f"{source}: {_line(errors[0])}{more}") from None


def _without(data: dict[str, Any], loc: tuple) -> bool:
    """Delete the key an error names from ``data`` (the innermost table holding it); False if not there."""
    node: Any = data
    for i, part in enumerate(loc):
        if not isinstance(node, dict) or part not in node:
            return False
        if i == len(loc) - 1 or not isinstance(node[part], dict):
            del node[part]
            return True
        node = node[part]
    return False


def salvage(data: Mapping[str, Any]) -> Settings | None:
    """The settings with every wrong key left out (their defaults instead), so the checks that need whole
    settings (looks named, thresholds reachable) still run on the rest; None if that does not validate."""
    trimmed = copy.deepcopy(dict(data))
    for _ in range(4):  # a default put back may clash in turn (two pins on one line); a few rounds at most
        try:
            return Settings.model_validate(trimmed)
        except ValidationError as err:
            if not any([_without(trimmed, tuple(e["loc"])) for e in err.errors()]):
                return None
    return None


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


def parse(path: Path | str) -> dict[str, Any]:
    """A config file's TOML, unvalidated; a missing, unreadable or malformed file is one line naming it."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found; create it or drop --config") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err}); fix the line named") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file; a config file is UTF-8 TOML") from None


def load(path: Path | str | None) -> Settings:
    """Load and validate a config file; ``None`` gives the defaults."""
    if path is None:
        return Settings()
    return validate(parse(path), str(path))


# --- writing (booth config show, and settings changed on the operator page) ---


def to_toml(data: Mapping[str, Any]) -> str:
    """Settings as TOML (see :func:`booth.config.toml_text.dumps`); an unset optional key is :data:`NONE`."""
    return toml_text.dumps(data)


def save(settings: Settings, path: Path | str) -> None:
    """Persist settings as TOML, atomically (a crash never leaves half a config file)."""
    write_table(Path(path), settings.model_dump(mode="json"))


def read_table(path: Path | None) -> dict[str, Any]:
    """A settings file's own contents, unvalidated (``{}`` when there is none yet)."""
    return tomllib.loads(read_text(path)) if path is not None else {}


def read_text(path: Path | None) -> str:
    """A settings file's text (``""`` when there is none yet); checked to be TOML, with the fix if not."""
    if path is None:
        return ""
    try:
        text = Path(path).read_text()
        tomllib.loads(text)
    except FileNotFoundError:
        return ""
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid TOML ({err}); fix the file, or delete it to drop it") from None
    return text


def write_text(path: Path, text: str) -> None:
    """Write a settings file atomically, readable by all (0644: it holds no secret, and an administrator
    reads it); a folder we may not write to is one line naming it."""
    try:
        write_atomic(path, text.encode(), mode=0o644)
    except OSError as err:
        raise ConfigError(
            f"{path}: cannot save settings ({err.strerror or err}); make its folder writable"
        ) from None


def write_table(path: Path, data: Mapping[str, Any]) -> None:
    """Write settings as a new file (see :func:`write_text`)."""
    write_text(path, to_toml(data))

"""The layers of settings: the studio's base file, and the operator page's changes file laid over it.

Why the changes file holds only what the operator changed: a key in it hides the base file's key for good.
Were every field of the page saved there, a later edit of the base (a new threshold, a rewired pin) would
silently do nothing. So a change sets only the keys it changes, and a key set back to what the layers below
give (the base file's value, else the default) leaves the file instead of being pinned in it.
"""

from __future__ import annotations

import copy
import logging
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from booth.config import toml_text
from booth.config.files import load, read_table, read_text, validate
from booth.config.sections import Settings
from booth.errors import ConfigError

log = logging.getLogger(__name__)

#: The operator page's changes, saved in the booth's data folder (writable under systemd's ProtectSystem).
CHANGES_FILE = "booth.toml"

Key = toml_text.Key

#: The mappings keyed by look name whose entries fall back to something when absent.
PER_LOOK_THRESHOLD = ("policy", "thresholds")
PER_LOOK_BUDGET = ("session", "per_look")

_MISSING = object()


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


def load_layered(base: Path | None, changes: Path | None) -> Settings:
    """The base file's settings with the changes file (when present) deep-merged over them.

    The base is validated alone (an error names it); the changes only over the base, as the operator page
    checks them before saving: they may name a shot list the base defines.
    """
    settings = load(base)
    if changes is None or _same(base, changes) or not Path(changes).is_file():
        return settings
    merged = deep_merge(settings.model_dump(mode="json"), read_table(changes))
    return validate(merged, f"{changes} (over {base or 'the defaults'})")


def _same(base: Path | None, changes: Path) -> bool:
    return base is not None and Path(base).resolve() == Path(changes).resolve()


def keys_of(changes: Mapping[str, Any], prefix: Key = ()) -> list[Key]:
    """Every key a nested change sets, as its parts (a list value, such as a shot list, is one key)."""
    found: list[Key] = []
    for name, value in changes.items():
        key = (*prefix, str(name))
        found += keys_of(value, key) if isinstance(value, Mapping) else [key]
    return found


def _get(data: Mapping[str, Any], key: Key) -> Any:
    node: Any = data
    for part in key:
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def effective(data: Mapping[str, Any], key: Key) -> Any:
    """What ``key`` amounts to in these settings (``model_dump(mode="json")``): a look without a threshold
    of its own has the default one, a look without a budget entry the session's (None)."""
    if key[:2] == PER_LOOK_THRESHOLD and len(key) == 3:
        policy = data["policy"]
        return policy["thresholds"].get(key[2], policy["default_threshold"])
    if key[:2] == PER_LOOK_BUDGET and len(key) == 4:
        return (data["session"]["per_look"].get(key[2]) or {}).get(key[3])
    return _get(data, key)


@dataclass(frozen=True)
class Overrides:
    """The changes file after a change: its text, what it holds, the keys that left it, and whether it
    differs from the file as it was (if not, there is nothing to write)."""

    text: str
    table: dict[str, Any]
    dropped: tuple[Key, ...]
    changed: bool


def _resolved(under: Mapping[str, Any], table: Mapping[str, Any]) -> dict[str, Any] | None:
    """``table`` over ``under``, validated, as JSON-like data; None if it does not validate."""
    try:
        return Settings.model_validate(deep_merge(under, table)).model_dump(mode="json")
    except ValidationError:
        return None


def _reads(text: str) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _pruned(table: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``table`` without its empty tables, innermost first: an empty table sets nothing, and the edit keeps
    one that holds the operator's comment where the plain reference drops it."""
    if table is None:  # text that does not parse: never equal to a table
        return None
    out: dict[str, Any] = {}
    for name, value in table.items():
        if isinstance(value, Mapping):
            value = _pruned(value)
            if not value:
                continue
        out[name] = value
    return out


def overrides_after(
    path: Path, under: Settings, new: Settings, keys: Iterable[Key], tidy: Iterable[Key] = ()
) -> Overrides:
    """The changes file at ``path`` once each of ``keys`` takes its value in ``new``, over ``under`` (the
    base file's settings, or the defaults): a key that the layers below already give leaves the file, the
    others are set, and every other line (the operator's comments too) stays as it was. Each of ``tidy``
    (keys sent unchanged) leaves the file too if it only repeats what the layers below give; it is never
    added (a file written by a booth that saved every field loses its stale copies this way).

    The new text is read back with :mod:`tomllib` and validated over ``under`` here, before anything is
    written: what is saved is exactly what the next start loads.
    """
    text = read_text(path)
    table = tomllib.loads(text)
    below, values = under.model_dump(mode="json"), new.model_dump(mode="json")
    sets: dict[Key, Any] = {}
    drops: list[Key] = []
    # The scalars first: whether a look's threshold can leave depends on the default threshold's new value.
    for key in sorted(keys, key=lambda k: k[:2] in (PER_LOOK_THRESHOLD, PER_LOOK_BUDGET)):
        value = _get(values, key)
        without = toml_text.plain_edit(table, {}, [key])
        given = _resolved(below, without)
        if given is not None and effective(given, key) == value:
            table = without
            drops.append(key)
        else:
            table = toml_text.plain_edit(table, {key: value}, [])
            sets[key] = value
    for key in tidy:
        if _get(table, key) is _MISSING:
            continue
        without = toml_text.plain_edit(table, {}, [key])
        now, given = _resolved(below, table), _resolved(below, without)
        if now is not None and given is not None and effective(now, key) == effective(given, key):
            table = without
            drops.append(key)
    edited = toml_text.edit(text, sets, drops)
    if _pruned(_reads(edited)) != _pruned(table):
        # A layout tomlkit could not edit as asked: the same keys, written afresh (its comments are lost).
        log.warning("%s: could not edit in place; written afresh without its comments", path)
        edited = toml_text.dumps(_pruned(table) or {})
    if _pruned(_reads(edited)) != _pruned(table):
        raise ConfigError(f"{path}: the settings would not read back as saved; nothing was changed")
    validate(deep_merge(below, table), str(path))
    return Overrides(edited, table, tuple(drops), changed=edited != text)

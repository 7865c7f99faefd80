"""Settings as TOML text, through tomlkit: a whole file, one described for people, and a file edited in place.

Why tomlkit and not a writer of our own: TOML's rules for keys (bare keys are ASCII only, so ``ö`` and ``²``
need quotes), strings and tables are the library's to know; a hand-made writer that got one wrong wrote a
file the next start refused. Why edit in place: the page's changes file may have been edited by hand, and
its comments and order are the operator's; a change touches only the keys it names.

Every text made here is read back with :mod:`tomllib` (a second parser) by the callers that save it
(:func:`booth.config.files.overrides_text`), so what is written is what the next start reads.
"""

from __future__ import annotations

import copy
import math
import textwrap
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

import tomlkit
from pydantic import BaseModel
from tomlkit.container import Container
from tomlkit.items import AbstractTable, Comment, Table

from booth.config.base import NONE, Section
from booth.config.sections import Settings
from booth.errors import ConfigError

#: A dotted settings key as its parts: ``("policy", "thresholds", "intense")``.
Key = tuple[str, ...]

_WIDTH = 108  # the comment lines of `booth config show`, within the project's 110 columns


def _plain(value: Any, key: str) -> Any:
    """A settings value as TOML can hold it: no null (``"none"``), lists for tuples, finite numbers only."""
    if value is None:
        return NONE
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{key} = {value}: not a finite number; a setting is a plain number, e.g. 30")
    if isinstance(value, list | tuple):
        return [_plain(v, key) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{key}.{k}") for k, v in value.items()}
    return value


def _table(data: Mapping[str, Any], prefix: str = "") -> Table:
    """A table: plain keys first, then one sub-table per mapping (TOML wants them in that order)."""
    table = tomlkit.table()
    for name, value in data.items():
        if not isinstance(value, Mapping):
            table.add(name, _plain(value, f"{prefix}{name}"))
    for name, value in data.items():
        if isinstance(value, Mapping):
            table.add(name, _table(value, f"{prefix}{name}."))
    return table


def dumps(data: Mapping[str, Any]) -> str:
    """Settings (``model_dump(mode="json")``, or part of it) as TOML; an unset optional key as ``"none"``."""
    doc = tomlkit.document()
    for name, value in data.items():
        if isinstance(value, Mapping):
            doc.add(name, _table(value, f"{name}."))
        else:
            doc.add(name, _plain(value, name))
    return doc.as_string()


# --- described: every key with its description (booth config show) --------------------------------------


def _comments(table: Table | Container, text: str) -> None:
    for line in textwrap.wrap(" ".join(text.split()), _WIDTH):
        table.add(tomlkit.comment(line))


def _section_model(annotation: Any) -> type[Section] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, Section) else None


def _entry_model(model: type[BaseModel], name: str) -> type[Section] | None:
    """The model of each entry of a mapping field (``session.per_look``'s :class:`LookBudget`), if any."""
    args: tuple[Any, ...] = getattr(model.model_fields[name].annotation, "__args__", ())
    return _section_model(args[-1]) if len(args) == 2 else None


def _described(model: type[Section], data: Mapping[str, Any], about: str, prefix: str) -> Table:
    table = tomlkit.table()
    if about:
        _comments(table, about)
    for name, value in data.items():
        if isinstance(value, Mapping):
            continue
        table.add(tomlkit.nl())
        _comments(table, model.model_fields[name].description or "")
        table.add(name, _plain(value, f"{prefix}{name}"))
    for name, value in data.items():
        if not isinstance(value, Mapping):
            continue
        sub = tomlkit.table()
        _comments(sub, model.model_fields[name].description or "")
        entry = _entry_model(model, name)
        for key, item in value.items():
            if entry is not None:
                sub.add(key, _described(entry, item, "", f"{prefix}{name}.{key}."))
            else:
                sub.add(key, _plain(item, f"{prefix}{name}.{key}"))
        table.add(name, sub)
    return table


def described(settings: Settings, header: Iterable[str] = ()) -> str:
    """Every setting with its value, each key under its description as a comment (the fields' own), so the
    output documents the file and still loads back to the same settings."""
    doc = tomlkit.document()
    for line in header:
        doc.add(tomlkit.comment(line))
    data = settings.model_dump(mode="json")
    for name, field in Settings.model_fields.items():
        model = _section_model(field.annotation)
        assert model is not None  # every field of Settings is a section
        about = (model.__doc__ or "").split("\n\n")[0] if model.__doc__ else field.description or ""
        doc.add(tomlkit.nl())
        doc.add(name, _described(model, data[name], about, f"{name}."))
    return doc.as_string()


# --- a file edited in place: the page's changes -----------------------------------------------------------


def _has_comment(table: AbstractTable) -> bool:
    return bool(table.trivia.comment) or any(isinstance(item, Comment) for _, item in table.value.body)


def _set(node: Any, key: Key, value: Any) -> None:
    for part in key[:-1]:
        if part not in node:
            node[part] = tomlkit.table()
        node = node[part]
    node[key[-1]] = value


def _drop(node: Any, key: Key) -> None:
    """Delete ``key``; then each table it leaves without keys or comments of its own, innermost first."""
    path = [node]
    for part in key[:-1]:
        if not isinstance(node, MutableMapping) or part not in node:
            return
        node = node[part]
        path.append(node)
    if not isinstance(node, MutableMapping) or key[-1] not in node:
        return
    del node[key[-1]]
    for depth in range(len(key) - 1, 0, -1):
        table = path[depth]
        if len(table) == 0 and not (isinstance(table, AbstractTable) and _has_comment(table)):
            del path[depth - 1][key[depth - 1]]
        else:
            break


def plain_edit(data: Mapping[str, Any], sets: Mapping[Key, Any], drops: Iterable[Key]) -> dict[str, Any]:
    """What :func:`edit` must give, on plain mappings: the reference its result is checked against."""
    out: dict[str, Any] = copy.deepcopy(dict(data))
    for key, value in sets.items():
        node = out
        for part in key[:-1]:
            node = node.setdefault(part, {})
        node[key[-1]] = _plain(value, ".".join(key))
    for key in drops:
        _drop(out, key)
    return out


def edit(text: str, sets: Mapping[Key, Any], drops: Iterable[Key]) -> str:
    """``text`` (a TOML file) with each key of ``sets`` set and each of ``drops`` removed; every other line,
    comment and blank kept as it was. Tables left empty by a drop go too, unless they hold a comment."""
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as err:
        raise ConfigError(f"not valid TOML ({err}); fix the file, or delete it to drop it") from None
    for key, value in sets.items():
        _set(doc, key, _plain(value, ".".join(key)))
    for key in drops:
        _drop(doc, key)
    return doc.as_string()

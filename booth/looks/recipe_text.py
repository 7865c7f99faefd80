"""Recipes back to TOML text: a learned look written out, and one look put into an operator's looks file.

Text in, text out (the callers read and write the file), so a learned look lands in the operator's file as
an ordinary ``[look.NAME]`` table that :func:`booth.looks.recipes.parse` reads back to the same recipe, and
every other line of the file, comments included, stays as the operator wrote it.
"""

from __future__ import annotations

import json
import re

from booth.looks.recipes import Gate, Recipe, Term


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string is a JSON string


def _number(value: float) -> str:
    return repr(round(float(value), 3))


def _term(t: Term) -> str:
    hint = f", hint = {_string(t.hint)}" if t.hint else ""
    return (
        f"  {{ signal = {_string(t.signal)}, weight = {_number(t.weight)}, low = {_number(t.low)}, "
        f"high = {_number(t.high)}{hint} }},"
    )


def _gate(g: Gate) -> str:
    bounds = "".join(
        f", {key} = {_number(value)}" for key, value in (("min", g.min), ("max", g.max)) if value is not None
    )
    cap = f", cap = {_number(g.cap)}" if g.cap else ""
    hint = f", hint = {_string(g.hint)}" if g.hint else ""
    return f"  {{ signal = {_string(g.signal)}{bounds}{cap}{hint} }},"


def render(recipe: Recipe, comment: str = "") -> str:
    """The ``[look.NAME]`` table of ``recipe``, after ``comment`` (each line prefixed ``# ``)."""
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines += [
        f"[look.{recipe.name}]",
        f"title = {_string(recipe.title)}",
        f"scenario = {_string(recipe.scenario)}",
    ]
    if recipe.bias is not None:
        lines.append(f"bias = {_number(recipe.bias)}")
    if recipe.full is not None:
        lines.append(f"full = {_number(recipe.full)}")
    lines += ["term = [", *(_term(t) for t in recipe.terms), "]"]
    if recipe.gates:
        lines += ["gate = [", *(_gate(g) for g in recipe.gates), "]"]
    return "\n".join(lines) + "\n"


#: Any table header line: ``[name]`` or ``[[name]]``, perhaps with a comment after it.
_HEADER = re.compile(r"^\s*\[\[?([^\]]*)\]\]?\s*(?:#.*)?$", re.MULTILINE)


def _is_look(key: str, name: str, sub: bool) -> bool:
    """Whether a header's key is ``look.NAME`` (bare or quoted, any spacing), or (``sub``) below it."""
    parts = [p.strip().strip('"').strip("'") for p in key.split(".")]
    return parts[:2] == ["look", name] and (len(parts) > 2 if sub else len(parts) == 2)


def _bounds(text: str, name: str) -> tuple[int, int] | None:
    """Start and end of look ``name``'s table in ``text``, its subtables (``[[look.NAME.term]]``) and the
    comment block right above it included. That block is the look's only when a blank line sets it apart
    from what comes before; the next table's own comment block stays with that table."""
    headers = list(_HEADER.finditer(text))
    mine = next((h for h in headers if _is_look(h[1], name, sub=False)), None)
    if mine is None:
        return None
    start = mine.start()
    lines = text[:start].split("\n")[:-1]
    block = 0
    while block < len(lines) and lines[-1 - block].startswith("#"):
        block += 1
    if block and block < len(lines) and not lines[-1 - block].strip():
        start -= sum(len(line) + 1 for line in lines[len(lines) - block :])
    following = next(
        (h for h in headers if h.start() > mine.start() and not _is_look(h[1], name, sub=True)), None
    )
    end = len(text) if following is None else following.start()
    if following is not None:
        before = text[mine.end() : end].split("\n")
        while len(before) > 1 and before[-2].startswith("#"):
            end -= len(before.pop(-2)) + 1
    return start, end


def put_look(text: str, name: str, table: str) -> str:
    """``text`` with look ``name``'s table (and its comment) replaced by ``table``, or ``table`` appended."""
    where = _bounds(text, name)
    if where is None:
        joined = text.rstrip("\n")
        return (joined + "\n\n" if joined else "") + table
    start, end = where
    rest = text[end:]
    return text[:start] + table + ("\n" + rest if rest else "")


def drop_look(text: str, name: str) -> str:
    """``text`` without look ``name``'s table and comment (unchanged when it has none)."""
    where = _bounds(text, name)
    if where is None:
        return text
    start, end = where
    return (text[:start].rstrip("\n") + "\n\n" + text[end:].lstrip("\n")).strip("\n") + "\n"

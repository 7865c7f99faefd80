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


_TABLE = re.compile(r"^\[", re.MULTILINE)


def _bounds(text: str, name: str) -> tuple[int, int] | None:
    """Start (its leading comment block included) and end of look ``name``'s table in ``text``."""
    header = re.search(rf"^\[look\.{re.escape(name)}\]\s*$", text, re.MULTILINE)
    if header is None:
        return None
    start = header.start()
    lines_before = text[:start].split("\n")[:-1]
    while lines_before and lines_before[-1].startswith("#"):
        start -= len(lines_before.pop()) + 1
    following = _TABLE.search(text, header.end())
    end = len(text) if following is None else following.start()
    if following is not None:  # the next table's own comment block belongs to it
        before = text[header.end() : end].split("\n")
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

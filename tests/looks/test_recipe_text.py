"""A look put into an operator's looks file replaces only its own table; the rest stays as written."""

from __future__ import annotations

from booth.looks import recipe_text, recipes

FILE = """# My studio's looks.

# Our signature look.
[look.smize]
scenario = "Imagine you know a secret."
term = [{ signal = "squint", weight = 1.0, low = 0.05, high = 0.3 }]

# Softer than the shipped one.
[look.approachable]
scenario = "Imagine an old friend."
term = [{ signal = "smile", weight = 1.0, low = 0.1, high = 0.5 }]
"""

NEW = recipes.Recipe(
    "smize", "Smize", "Imagine a secret.", (recipes.Term("squint", 2.5, 0.0, 0.3, 'Say "cheese"'),), bias=-1.0
)


def test_replacing_a_look_keeps_every_other_line():
    text = recipe_text.put_look(FILE, "smize", recipe_text.render(NEW, "learned"))
    assert text.startswith("# My studio's looks.\n\n# learned\n[look.smize]\n")
    assert "# Our signature look." not in text  # the replaced look's own comment goes with it
    assert "# Softer than the shipped one.\n[look.approachable]" in text
    looks, _ = recipes.parse(text)
    assert looks["smize"] == NEW and looks["approachable"].scenario == "Imagine an old friend."


def test_a_new_look_is_appended_and_dropped_again():
    table = recipe_text.render(NEW.__class__(**{**NEW.__dict__, "name": "grin"}))
    text = recipe_text.put_look(FILE, "grin", table)
    assert text.startswith(FILE.rstrip("\n")) and text.endswith(table)
    assert set(recipes.parse(text)[0]) == {"smize", "approachable", "grin"}
    assert recipe_text.drop_look(text, "grin") == FILE
    assert recipe_text.put_look("", "grin", table) == table


def test_the_rendered_table_round_trips_gates_and_blend_form():
    recipe = recipes.load().looks["confident"]
    again = recipes.parse(recipe_text.render(recipe))[0]["confident"]
    assert again == recipe

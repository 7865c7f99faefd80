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


def test_headers_written_by_hand_are_found():
    """Spacing, quotes, a comment after the header, and subtables of the look are all the same look."""
    new = recipe_text.render(NEW)
    for header in ("[look.smize] # tuned by Jo", "[ look.smize ]", '[look."smize"]'):
        text = f'# Studio\n\n{header}\nscenario = "s"\nterm = [{{ signal = "smile", weight = 1 }}]\n'
        replaced = recipe_text.put_look(text, "smize", new)
        assert replaced.count("smize]") == 1 and recipes.parse(replaced)[0]["smize"] == NEW, header
    nested = (
        '[look.smize]\nscenario = "s"\n[[look.smize.term]]\nsignal = "smile"\nweight = 1.0\n'
        '[look.other]\nscenario = "o"\nterm = [{ signal = "smile", weight = 1 }]\n'
    )
    replaced = recipe_text.put_look(nested, "smize", new)
    looks, _ = recipes.parse(replaced)
    assert looks["smize"] == NEW and set(looks) == {"smize", "other"}


def test_a_comment_that_belongs_to_what_is_above_stays():
    text = (
        '# y: tuned on our studio lights\n[look.smize]\nscenario = "s"\n'
        'term = [{ signal = "smile", weight = 1 }]\n'
    )
    assert recipe_text.put_look(text, "smize", recipe_text.render(NEW)).startswith(
        "# y: tuned on our studio lights\n[look.smize]\n"
    )

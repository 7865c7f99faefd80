"""Look recipes load from data, and malformed ones are rejected with file, line and a fix."""

from __future__ import annotations

import pytest

from booth.errors import ConfigError
from booth.looks import recipes


def test_default_looks_load():
    book = recipes.load()
    assert list(book.looks) == ["approachable", "confident", "intense", "vulnerable", "playful"]
    for recipe in book.looks.values():
        assert recipe.scenario.startswith("Imagine") and recipe.terms
    assert book.dead_gaze.window_seconds == pytest.approx(1.0)


def test_operator_adds_a_sixth_look_without_code(tmp_path):
    extra = tmp_path / "looks.toml"
    extra.write_text(
        '[look.smize]\nscenario = "Imagine you know a secret."\n'
        'term = [{ signal = "squint", weight = 1.0, low = 0.05, high = 0.3, hint = "Smize" },\n'
        '        { signal = "smile", weight = -0.5, low = 0.2, high = 0.5 }]\n'
    )
    book = recipes.load(extra)
    assert "smize" in book.looks and len(book.looks) == 6
    squinting = {"squint": 0.3, "smile": 0.0}
    assert book.looks["smize"].score(squinting) == pytest.approx(1.0)
    assert book.looks["smize"].score({"squint": 0.3, "smile": 0.5}) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[look.x]\nscenario = "s"\nterm = [{ signal = "smiel", weight = 1 }]\n', 3, "did you mean 'smile'"),
        ('[look.x]\nscenario = "s"\nterm = [{ signal = "smile" }]\n', 3, "add weight"),
        ('[look.x]\nscenario = "s"\nterm = [{ signal = "smile", weight = "big" }]\n', 3, "must be a number"),
        ('[look.x]\nscenario = "s"\nterm = [{ signal = "smile", weight = 0 }]\n', 3, "non-zero"),
        ('[look.x]\n\nterm = [{ signal = "smile", weight = 1 }]\n', 1, "lacks 'scenario'"),
        ('[look.x]\nscenario = "s"\nthreshold = 0.5\nterm = []\n', 3, "[policy] thresholds"),
        ("look = 3\n", 1, "must be tables"),
        ('[dead_gaze]\nstillness = "abc"\nterm = [{ signal = "eye_wide", weight = 1 }]\n', 1, "stillness"),
        (
            '[look.x]\nscenario = "s"\nterm = [{ signal = "smile", weight = 1 }]\n'
            'gate = [{ signal = "smile", min = 0.1, cap = 5 }]\n',
            4,
            "cap",
        ),
        (
            '[look.x]\nscenario = "s"\nterm = [{ signal = "smile", weight = 1, colour = 2 }]\n',
            3,
            "unknown field",
        ),
        (
            '[look.x]\nscenario = "s"\nterm = [{ signal = "smile", weight = 1 }]\n'
            'gate = [{ signal = "smile" }]\n',
            4,
            "needs min or max",
        ),
        ('[looks.x]\nscenario = "s"\n', 1, "unknown section"),
    ],
)
def test_malformed_recipes_name_file_line_and_fix(tmp_path, text, line, words):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        recipes.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert words in message and "\n" not in message


def test_gate_caps_the_score():
    intense = recipes.load().looks["intense"]
    strong = {"squint": 0.4, "brow_down": 0.4, "mouth_press": 0.35, "smile": 0.0, "emotion.angry": 0.1}
    assert intense.score(strong) == pytest.approx(1.0)
    assert intense.score(strong | {"emotion.angry": 0.9}) == pytest.approx(0.3)  # not angry-looking
    assert intense.score(strong | {"smile": 0.5}) == 0.0
    assert intense.shortfall(strong | {"smile": 0.5}).startswith("Relax your mouth")

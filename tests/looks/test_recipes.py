"""Look recipes load from data, and malformed ones are rejected with file, line and a fix."""

from __future__ import annotations

import dataclasses

import numpy as np
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
    strong = {"squint": 0.4, "brow_down": 0.4, "mouth_press": 0.35, "smile": 0.0, "smiling": 0.0}
    assert intense.score(strong) == pytest.approx(1.0)
    assert intense.score(strong | {"emotion.sad": 0.9}) == pytest.approx(0.2)  # sorrow is not intensity
    assert intense.score(strong | {"brow_down": 0.0}) == pytest.approx(0.3)  # no lowered brow, no intensity
    assert intense.score(strong | {"smiling": 1.0}) == 0.0
    assert intense.shortfall(strong | {"smiling": 1.0}).startswith("Relax your mouth")


def test_a_blend_reaches_1_without_its_extras():
    """The old approachable divided by every positive weight, so a cue that never fires on real smiles
    (cheekSquint stays 0) capped it at 0.76; ``full`` names a textbook example's sum instead."""
    old = recipes.parse(
        '[look.a]\nscenario = "s"\nterm = [{ signal = "smile", weight = 1.0 },'
        ' { signal = "cheek_squint", weight = 0.5 }]\n'
    )[0]["a"]
    new = recipes.parse(
        '[look.a]\nscenario = "s"\nfull = 1.0\nterm = [{ signal = "smile", weight = 1.0 },'
        ' { signal = "cheek_squint", weight = 0.5 }]\n'
    )[0]["a"]
    smile_alone = {"smile": 1.0, "cheek_squint": 0.0}
    assert old.score(smile_alone) == pytest.approx(1 / 1.5)
    assert new.score(smile_alone) == pytest.approx(1.0)
    assert new.score({"smile": 0.5, "cheek_squint": 1.0}) == pytest.approx(1.0)  # the extra makes up


def test_ceiling_is_what_the_recipe_can_reach():
    def look(body: str) -> recipes.Recipe:
        return recipes.parse(f'[look.a]\nscenario = "s"\n{body}\n')[0]["a"]

    assert look('term = [{ signal = "smile", weight = 1.0 }]').ceiling() == pytest.approx(1.0)
    # A gate that keeps the smile under 0.3 while the term wants it at 0.6: (0.3 - 0.0) / 0.6.
    capped = look(
        'term = [{ signal = "smile", weight = 1.0, high = 0.6 }]\ngate = [{ signal = "smile", max = 0.3 }]'
    )
    assert capped.ceiling() == pytest.approx(0.5)
    # Terms on different signals add; negative ones are set to 0 by the face that scores best.
    assert look(
        'full = 2.0\nterm = [{ signal = "smile", weight = 1.0 }, { signal = "jaw_open", weight = -1.0 }]'
    ).ceiling() == pytest.approx(0.5)
    logistic = look('bias = -3.0\nterm = [{ signal = "smile", weight = 4.0 }]')
    assert logistic.ceiling() == pytest.approx(1 / (1 + np.exp(-1.0)))
    assert logistic.score({"smile": 0.0}) == pytest.approx(1 / (1 + np.exp(3.0)))


def test_every_shipped_look_can_reach_a_textbook_score():
    for recipe in recipes.load().looks.values():
        assert recipe.ceiling() >= 0.9, recipe.name


def test_bias_and_full_are_checked(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[look.x]\nscenario = "s"\nbias = "high"\nterm = [{ signal = "smile", weight = 1 }]\n')
    with pytest.raises(ConfigError, match=r"bad.toml:3: look 'x': bias must be a number"):
        recipes.load(path)
    path.write_text(
        '[look.x]\nscenario = "s"\nbias = 1\nfull = 1\nterm = [{ signal = "smile", weight = 1 }]\n'
    )
    with pytest.raises(ConfigError, match="not both"):
        recipes.load(path)


def test_a_book_knows_whether_it_reads_the_emotion_model():
    book = recipes.load()
    assert book.reads_emotions()  # the shipped looks read emotion.* and the smile call
    plain = recipes.Recipe("calm", "Calm", "Imagine calm.", (recipes.Term("squint", 1.0, 0.0, 0.3),))
    smiling = recipes.Recipe("s", "S", "Imagine.", (), (recipes.Gate("smiling", 0.5),))
    without = dataclasses.replace(
        book,
        looks={"calm": plain},
        dead_gaze=dataclasses.replace(book.dead_gaze, recipe=plain),
    )
    assert not without.reads_emotions()
    assert dataclasses.replace(without, looks={"calm": plain, "s": smiling}).reads_emotions()

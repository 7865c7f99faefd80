"""booth.shot_lists: the presets, the studio's own lists and the budgets of each look."""

from __future__ import annotations

import pytest

from booth import shot_lists
from booth.shot_lists import LookPlan


def test_a_custom_list_shadows_a_preset_and_budgets_come_from_per_look():
    custom = {"commercial": ["intense"], "solo": ["playful"]}
    assert shot_lists.known(custom)["commercial"] == ("intense",)
    assert set(shot_lists.known(custom)) == {"commercial", "theatrical", "full range", "solo"}
    plans = shot_lists.resolve("theatrical", None, 2, 10.0, {"vulnerable": {"shots": 1, "seconds": 30}})
    assert plans == (
        LookPlan("intense", 2, 10.0),
        LookPlan("vulnerable", 1, 30.0),
        LookPlan("playful", 2, 10.0),
    )


def test_a_budget_that_names_only_the_time_keeps_the_sessions_shot_count():
    from booth.config import validate

    settings = validate({"session": {"shots_per_look": 5, "per_look": {"intense": {"seconds": 40}}}}).session
    plans = shot_lists.resolve(
        "theatrical", None, settings.shots_per_look, settings.look_seconds, settings.per_look
    )
    assert plans[0] == LookPlan("intense", 5, 40.0) and plans[1] == LookPlan("vulnerable", 5, 25.0)


def test_an_unknown_list_names_the_known_ones():
    with pytest.raises(KeyError, match="use one of commercial, full range, theatrical"):
        shot_lists.resolve("nope", None, 3, 25.0)

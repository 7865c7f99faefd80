"""The delivery's keys: an unguessable folder under the prefix, the booth's own file names per variant, the
page last, and nothing planned for a shot whose file is gone. Pure: no server."""

from __future__ import annotations

import dataclasses
import re

import pytest

from booth.delivery import plan
from booth.storage import ShotRecord


def shot(shot_id: int, look: str, crops=None, status: str = "ok") -> ShotRecord:
    return ShotRecord(
        id=shot_id,
        session_id=1,
        look=look,
        combined=0.7,
        scores={},
        verdicts={},
        best=False,
        path=f"sessions/20260101-120000-ab/{shot_id:05d}-{look}.jpg",
        sha256="0" * 64,
        bytes=1,
        width=800,
        height=1000,
        crops=crops if crops is not None else {"4x5": (0, 0, 400, 500), "1x1": (0, 0, 500, 500)},
        status=status,
        taken_at=0.0,
    )


def test_a_folder_is_unguessable_and_under_the_prefix():
    folders = {plan.new_folder("studio/booth-3") for _ in range(200)}
    assert len(folders) == 200
    for folder in folders:
        head, name = folder.rsplit("/", 1)
        assert head == "studio/booth-3"
        assert re.fullmatch(r"[A-Za-z0-9_\-]{32}", name)  # 24 random bytes, URL-safe
    assert "/" not in plan.new_folder("") and not plan.new_folder("booth/").endswith("/")


def test_each_variant_is_named_after_the_photo():
    path = "sessions/x/00012-confident.jpg"
    assert plan.object_key("f", path, "original") == "f/00012-confident.jpg"
    assert plan.object_key("f", path, "4x5") == "f/00012-confident-4x5.jpg"
    assert plan.object_key("f", path, "1x1") == "f/00012-confident-1x1.jpg"
    assert plan.object_key("f", path, "view") == "f/00012-confident-view.jpg"
    assert plan.page_key("f") == "f/index.html"
    with pytest.raises(ValueError, match="variant"):
        plan.file_name(path, "16x9")


def test_a_session_plans_views_originals_and_crops_then_the_page_last():
    shots = [shot(1, "confident"), shot(2, "warm_smile", crops={}), shot(3, "playful", status="missing")]
    plans = plan.plan_session("booth/abc", shots)
    assert [(p.shot_id, p.variant) for p in plans] == [
        (1, "view"),
        (1, "original"),
        (1, "4x5"),
        (1, "1x1"),
        (2, "view"),
        (2, "original"),
        (None, "page"),
    ]
    assert plans[-1].key == "booth/abc/index.html" and plans[-1].content_type.startswith("text/html")
    assert {p.content_type for p in plans[:-1]} == {"image/jpeg"}
    assert len({p.key for p in plans}) == len(plans)
    assert plan.plan_session("booth/abc", shots) == plans  # pure: the same shots, the same keys


def test_an_empty_session_still_gets_its_page():
    assert [p.variant for p in plan.plan_session("b/x", [])] == ["page"]


def test_a_frozen_shot_record_is_not_changed():
    one = shot(1, "confident")
    plan.plan_session("b/x", [one])
    assert one == dataclasses.replace(one)

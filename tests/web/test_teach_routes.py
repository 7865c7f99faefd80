"""The "Teach a look" API, the photographer's marks and the review page, through Flask's test client
against a real BoothService on the replay camera (mocked only at the hardware boundaries, see conftest.py).

The refit's examples are real: the signals of frames of ``single_face.mp4`` read by the real pipeline
(the smile from frame 19 on, the resting face before it), stored with real photos through the service's
own Storage, as the booth keeps them.
"""

from __future__ import annotations

import pytest
from web_helpers import csrf_of, login

from booth import looks
from booth.media import iter_frames
from booth.service.teach import PREVIEW_SUFFIX

POSTS = [
    "/api/teach/record",
    "/api/teach/learn",
    "/api/teach/refit",
    "/api/teach/save",
    "/api/teach/discard",
    "/api/teach/undo",
    "/api/shots/1/mark",
]


def test_every_teach_route_wants_the_operator(client):
    for url in ("/api/teach", "/api/marks"):
        r = client.get(url)
        assert r.status_code == 401 and r.json == {"error": "log in as the operator first"}
    token = csrf_of(client)
    for url in POSTS:
        r = client.post(url, json={}, headers={"X-CSRF-Token": token})
        assert r.status_code == 401, url
    assert client.get("/operator/sessions/1").status_code == 302  # the review page: to the login


def test_every_teach_post_wants_the_csrf_token(client, service):
    login(client)
    for url in POSTS:
        r = client.post(url, json={"kind": "holding"})
        assert r.status_code == 403 and "expired" in r.json["error"], url
        r = client.post(url, json={"kind": "holding"}, headers={"X-CSRF-Token": "forged"})
        assert r.status_code == 403, url
    assert service.teaching.status()["takes"] == []  # nothing was recorded


def test_bad_bodies_are_400_and_refusals_409_with_one_line(client):
    token = login(client)
    h = {"X-CSRF-Token": token}
    assert (
        client.post(
            "/api/teach/record", data="[1]", headers={**h, "Content-Type": "application/json"}
        ).status_code
        == 400
    )
    r = client.post("/api/teach/record", json={"kind": "holding", "loud": 1}, headers=h)
    assert r.status_code == 400 and "unknown field 'loud'" in r.json["error"]
    assert client.post("/api/teach/record", json={"kind": "maybe"}, headers=h).status_code == 400
    assert (
        client.post("/api/teach/record", json={"kind": "holding", "seconds": "3"}, headers=h).status_code
        == 400
    )
    assert (
        client.post("/api/teach/record", json={"kind": "holding", "seconds": 0}, headers=h).status_code == 400
    )
    r = client.post("/api/teach/learn", json={"name": "Smize!"}, headers=h)
    assert r.status_code == 400 and "lower-case letters" in r.json["error"]
    r = client.post("/api/teach/learn", json={"name": "smize"}, headers=h)
    assert r.status_code == 409 and "record at least one 'holding' take" in r.json["error"]
    for url, words in (("/api/teach/save", "nothing to save"), ("/api/teach/undo", "nothing to undo")):
        r = client.post(url, headers=h)
        assert r.status_code == 409 and words in r.json["error"] and "\n" not in r.json["error"]
    r = client.post("/api/teach/record", json={"kind": "holding", "seconds": 1.5}, headers=h)
    assert r.status_code == 200 and r.json["recording"]["kind"] == "holding"
    r = client.post("/api/teach/record", json={"kind": "not"}, headers=h)  # a double click
    assert r.status_code == 409 and "already recording" in r.json["error"]
    r = client.post("/api/teach/discard", headers=h)
    assert r.status_code == 200 and r.json["takes"] == [] and r.json["recording"] is None


@pytest.fixture(scope="module")
def clip_signals(models, vision_params, media):
    """Signals of the real clip's frames, as the booth reads them: (smiling frames, resting frames)."""
    from booth.vision import FacePipeline

    pipeline = FacePipeline(models=models, params=vision_params)
    rest = looks.Baseline({})
    smiling, resting = [], []
    for frame in iter_frames(media("single_face.mp4")):
        faces = pipeline.analyze(frame.pixels)
        if faces and (24 <= frame.index <= 60 or frame.index <= 15):
            signals = rest.signals_of(max(faces, key=lambda f: f.area))
            (smiling if frame.index >= 24 else resting).append(signals)
    return smiling[::4], resting[::2]


def keep_photos(service, look: str, examples: list[dict], count: int) -> tuple[int, list[int]]:
    from booth.assets import media_path
    from booth.media import load_image

    pixels = load_image(media_path("single_face.jpg"))
    record = service.storage.start_session([look], "ok")
    ids = [
        service.storage.add_shot(record.id, look, pixels, scores={look: 0.7}, signals=signals).id
        for signals in examples[:count]
    ]
    return record.id, ids


def test_marks_on_the_review_page_offer_a_refit_into_the_preview(client, service, clip_signals):
    token = login(client)
    h = {"X-CSRF-Token": token}
    smiling, resting = clip_signals
    session_id, good = keep_photos(service, "approachable", smiling, 6)
    _, bad = keep_photos(service, "approachable", resting, 6)
    old_session = service.storage.start_session(["approachable"], "ok")
    from booth.assets import media_path

    old = service.storage.add_shot(
        old_session.id, "approachable", media_path("single_face.jpg").read_bytes(), scores={}
    )  # as if kept before signals were stored

    page = client.get(f"/operator/sessions/{session_id}").get_data(as_text=True)
    assert page.count('class="shot"') == 6 and 'data-value="good"' in page and 'data-value="not_good"' in page
    assert client.get("/operator/sessions/99999").status_code == 404

    for shot_id in good[:4]:
        assert client.post(f"/api/shots/{shot_id}/mark", json={"mark": "good"}, headers=h).status_code == 200
    for shot_id in bad:
        client.post(f"/api/shots/{shot_id}/mark", json={"mark": "not_good"}, headers=h)
    r = client.post(f"/api/shots/{old.id}/mark", json={"mark": "good"}, headers=h)
    offer = r.json["offers"]["approachable"]
    assert offer == {
        "good": 5, "not_good": 6, "good_usable": 4, "not_good_usable": 6, "without_signals": 1, "ready": 0
    }  # fmt: skip
    r = client.post("/api/teach/refit", json={"look": "approachable"}, headers=h)
    assert (
        r.status_code == 409
        and "4 good and 6 not-good" in r.json["error"]
        and "1 marked photos were kept before" in r.json["error"]
    )
    assert client.post("/api/shots/99999/mark", json={"mark": "good"}, headers=h).status_code == 404
    assert client.post(f"/api/shots/{good[0]}/mark", json={"mark": "great"}, headers=h).status_code == 400

    for shot_id in good[4:]:
        client.post(f"/api/shots/{shot_id}/mark", json={"mark": "good"}, headers=h)
    assert client.get("/api/marks").json["approachable"]["ready"] == 1
    r = client.post("/api/teach/refit", json={"look": "approachable"}, headers=h)
    assert r.status_code == 200, r.json
    preview = r.json["preview"]
    assert preview["name"] == "approachable" and preview["from"] == "marked photos"
    assert preview["key"] == "approachable" + PREVIEW_SUFFIX and preview["replaces"] == "the shipped look"
    assert preview["summary"] == f"learn: positives=6 negatives=6 cv_accuracy={preview['cv_accuracy']:.2f}"
    assert preview["key"] in service.shooter.book.looks
    # The shipped look's smile-call gate carries over: marks come only from photos it fired on.
    gates = service.shooter.book.looks[preview["key"]].gates
    assert ("smiling", 0.5, None) in [(g.signal, g.min, g.max) for g in gates]
    r = client.post("/api/teach/discard", headers=h)
    assert r.json["preview"] is None and service.shooter.book == service.book
    # A second click on the chosen mark clears it.
    r = client.post(f"/api/shots/{good[0]}/mark", json={"mark": None}, headers=h)
    assert r.status_code == 200 and r.json["offers"]["approachable"]["good_usable"] == 5


def test_the_operator_page_has_the_teach_section(client):
    login(client)
    html = client.get("/operator").get_data(as_text=True)
    ids = ("teach", "teach-name", "teach-hold", "teach-not", "teach-learn", "teach-save", "teach-discard")
    for part in (*(f'id="{i}"' for i in (*ids, "teach-undo")), "teach.js", "refits.js"):
        assert part in html, part
    status = client.get("/api/teach").json
    assert status["takes"] == [] and status["preview"] is None and status["min_examples"] == 5


def test_hostile_bodies_and_ids_are_4xx_not_500(client):
    """Ids past a SQLite row id, marks that are not strings, JSON nested thousands deep."""
    token = login(client)
    headers = {"X-CSRF-Token": token}
    huge = "99999999999999999999999"
    assert client.post(f"/api/shots/{huge}/mark", headers=headers, json={"mark": "good"}).status_code == 404
    assert client.get(f"/operator/sessions/{huge}").status_code == 404
    assert client.get(f"/api/sessions/{huge}").status_code == 404
    for value in ([], {}, 3, True):
        assert client.post("/api/shots/1/mark", headers=headers, json={"mark": value}).status_code == 400
    deep = "[" * 5000 + "]" * 5000
    r = client.post("/api/teach/learn", headers={**headers, "Content-Type": "application/json"}, data=deep)
    assert r.status_code == 400

"""Numbers from the URL: ids past a SQLite row id, other scripts' digits and ``?limit=`` are 404 or 400, never
500, and never a second name for a real row.

Through Flask's test client against a real BoothService (conftest.py), logged in as the operator, with a
real stored session 1 (so "١" and "¹" would find it if they were read as 1).
"""

from __future__ import annotations

import pytest
from test_routes import seed_session
from web_helpers import login

HUGE = "99999999999999999999999"
#: Not a row id: too large for SQLite, zero, negative, another script's 1 (Arabic-Indic, Devanagari,
#: fullwidth), superscript one, a fraction, an exponent, a space.
BAD_IDS = [HUGE, "9223372036854775808", "0", "-1", "١", "१", "１", "¹", "1.0", "1e0", "%201"]

ROUTES = [
    ("get", "/api/sessions/{id}"),
    ("post", "/api/sessions/{id}/delete"),
    ("get", "/operator/sessions/{id}"),
    ("post", "/operator/sessions/{id}/delete"),
    ("get", "/operator/sessions/{id}/export.zip"),
    ("post", "/api/shots/{id}/mark"),
    ("get", "/g/{token}/photo/{id}.jpg"),
    ("get", "/g/{token}/crop/{id}/4x5.jpg"),
]


@pytest.fixture
def seeded(client, service):
    token = login(client)
    record, shots = seed_session(service)
    assert record.id == 1 and shots[0].id == 1
    return token, record


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_every_id_route_answers_404_for_what_is_not_a_row_id(client, service, seeded, method, route):
    csrf, record = seeded
    for bad in BAD_IDS:
        url = route.format(id=bad, token=record.token)
        kwargs = {"headers": {"X-CSRF-Token": csrf}, "json": {"mark": "good"}} if method == "post" else {}
        r = getattr(client, method)(url, **kwargs)
        assert r.status_code == 404, (url, r.status_code)
    assert service.storage.session(1) is not None and len(service.storage.shots(1)) == 2
    good = route.format(id="1", token=record.token)
    if method == "get":
        with client.get(good) as r:  # and the real id still works
            assert r.status_code == 200, good


@pytest.mark.parametrize(
    "limit", ["²", "١٢", "１２", "12 ", " 12", "1.5", "-1", "0", "1001", "", "0x10", "9" * 5000, "1_000"]
)
def test_a_bad_limit_is_400_with_one_line(client, seeded, limit):
    r = client.get("/api/sessions", query_string={"limit": limit})
    assert r.status_code == 400, (limit, r.status_code)
    assert (
        r.json["error"].startswith("limit must be a whole number from 1 to 1000")
        and "\n" not in r.json["error"]
    )


def test_a_good_limit_lists_that_many(client, seeded, service):
    seed_session(service)
    assert [s["id"] for s in client.get("/api/sessions?limit=1").json] == [2]
    assert len(client.get("/api/sessions?limit=1000").json) == 2
    assert len(client.get("/api/sessions").json) == 2

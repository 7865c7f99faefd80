"""The gallery's answers through Flask's test client, against a real BoothService and its real Storage.

What the viewer relies on (every URL and file name on the page, the page's script and style as static files
under a strict policy), what each photo answer says about itself (type, inline or attachment, its file
name, no caching), and the two zips: the client's with their photos only, the operator's with the sidecars.
Mocked only at the hardware boundaries (see conftest.py); the session is :mod:`gallery_seed`'s.
"""

from __future__ import annotations

import base64
import html
import io
import re
import zipfile

import pytest
from gallery_seed import seed_gallery
from PIL import Image
from web_helpers import login

from booth.web import CSP


@pytest.fixture
def seeded(service, media):
    return seed_gallery(service.storage, media)


def names_in(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        return zf.namelist()


def test_the_page_carries_each_photos_views_downloads_and_file_names(client, seeded):
    record, shots = seeded
    page = client.get(f"/g/{record.token}")
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    g = f"/g/{record.token}"
    best, first = shots[1], shots[0]  # approachable: take 2 is the best and comes first on the page
    assert text.index(f'id="shot-{best.id}"') < text.index(f'id="shot-{first.id}"')
    for shot, take in ((first, 1), (best, 2)):
        assert f'href="{g}/photo/{shot.id}.jpg" aria-label="Open Approachable photo {take}"' in text
        assert (
            f'href="{g}/photo/{shot.id}.jpg?download=1" download="headshot-approachable-{take}.jpg"' in text
        )
        for aspect in ("4x5", "1x1"):
            view, get = (
                f"{g}/crop/{shot.id}/{aspect}.jpg?size=view",
                f"{g}/crop/{shot.id}/{aspect}.jpg?download=1",
            )
            assert f'href="{get}" download="headshot-approachable-{take}-{aspect}.jpg"' in text
            assert f'data-view="{view}"' in text
    playful = shots[3]
    assert f'data-view="{g}/photo/{playful.id}.jpg?size=view"' in text and f"/crop/{playful.id}/" not in text
    assert re.search(r'<div class="viewer" id="viewer"[^>]*\bhidden\b', text), "the viewer starts closed"
    assert '<link rel="stylesheet" href="/static/gallery.css">' in text
    assert '<script src="/static/gallery.js"></script>' in text


def test_the_page_needs_nothing_inline_and_keeps_its_strict_policy(client, seeded):
    record, _shots = seeded
    page = client.get(f"/g/{record.token}")
    text = page.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", text), "an inline script: the policy would block it"
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", text), "inline style or handler: blocked too"
    policy = page.headers["Content-Security-Policy"]
    assert policy == CSP and "unsafe" not in policy
    assert {"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} <= set(policy.split("; "))
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    for name, kind in (("gallery.js", "text/javascript"), ("gallery.css", "text/css")):
        static = client.get(f"/static/{name}")
        assert static.status_code == 200 and static.mimetype == kind
        static.close()


@pytest.mark.parametrize(
    ("path", "disposition"),
    [
        ("photo/{first}.jpg", "inline; filename=headshot-approachable-1.jpg"),
        ("photo/{first}.jpg?size=view", "inline; filename=headshot-approachable-1.jpg"),
        ("photo/{best}.jpg?download=1", "attachment; filename=headshot-approachable-2.jpg"),
        ("crop/{best}/4x5.jpg?size=view", "inline; filename=headshot-approachable-2-4x5.jpg"),
        ("crop/{best}/1x1.jpg?download=1", "attachment; filename=headshot-approachable-2-1x1.jpg"),
        ("photo/{playful}.jpg?download=1", "attachment; filename=headshot-playful-1.jpg"),
    ],
)
def test_each_photo_answer_is_a_jpeg_named_for_its_look_and_take_and_never_cached(
    client, seeded, path, disposition
):
    record, shots = seeded
    ids = {"first": shots[0].id, "best": shots[1].id, "playful": shots[3].id}
    with client.get(f"/g/{record.token}/" + path.format(**ids)) as r:
        assert r.status_code == 200 and r.mimetype == "image/jpeg"
        assert r.headers["Content-Disposition"] == disposition
        assert r.headers["Cache-Control"] == "no-store" and r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Security-Policy"] == CSP
        with Image.open(io.BytesIO(r.data)) as image:
            assert image.format == "JPEG"
            if "size=view" in path:
                assert max(image.size) <= 1200
            elif "1x1" in path:
                assert image.width == image.height


def test_a_photo_of_another_look_keeps_its_take_number_when_the_best_changes(client, service, seeded):
    record, shots = seeded
    service.storage.mark_best(shots[0].id)  # the operator picks the first take instead
    text = client.get(f"/g/{record.token}").get_data(as_text=True)
    assert text.index(f'id="shot-{shots[0].id}"') < text.index(f'id="shot-{shots[1].id}"')  # now first
    assert (
        'download="headshot-approachable-1.jpg"' in text and 'download="headshot-approachable-2.jpg"' in text
    )
    with client.get(f"/g/{record.token}/photo/{shots[1].id}.jpg?download=1") as r:
        assert r.headers["Content-Disposition"] == "attachment; filename=headshot-approachable-2.jpg"


def test_the_clients_zip_holds_their_photos_and_crops_and_the_operators_keeps_the_sidecars(client, seeded):
    record, shots = seeded
    with client.get(f"/g/{record.token}/photos.zip") as r:
        assert r.status_code == 200 and r.mimetype == "application/zip"
        assert r.headers["Content-Disposition"] == f"attachment; filename=headshots-{record.id}.zip"
        mine = names_in(r.data)
    assert not [n for n in mine if not n.endswith(".jpg")], mine  # no .json of scores, nothing but photos
    assert sum(n.startswith("originals/") for n in mine) == len(shots)
    assert sum(n.startswith("crops/") for n in mine) == 2 * 3  # playful has no crop boxes

    login(client)
    with client.get(f"/operator/sessions/{record.id}/export.zip") as r:
        assert r.status_code == 200
        operators = names_in(r.data)
    sidecars = [n for n in operators if n.endswith(".json")]
    assert len(sidecars) == len(shots) and set(operators) - set(sidecars) == set(mine)
    with client.get(f"/g/{record.token}/photos.zip") as r:  # the operator's zip did not replace theirs
        assert names_in(r.data) == mine


def test_deleting_the_session_ends_its_gallery_and_removes_both_zips(client, service, seeded):
    record, shots = seeded
    token = login(client)
    for path in (f"/g/{record.token}/photos.zip", f"/operator/sessions/{record.id}/export.zip"):
        client.get(path).close()
    exports = service.data_dir / "exports"
    assert len(list(exports.iterdir())) == 2
    assert (
        client.post(f"/api/sessions/{record.id}/delete", headers={"X-CSRF-Token": token}).status_code == 200
    )
    assert list(exports.iterdir()) == []
    for path in ("", "/photos.zip", f"/photo/{shots[0].id}.jpg", f"/crop/{shots[0].id}/4x5.jpg?download=1"):
        assert client.get(f"/g/{record.token}{path}").status_code == 404


def test_the_gallery_is_reached_only_by_its_own_192_bit_token(client, seeded):
    record, shots = seeded
    assert len(base64.urlsafe_b64decode(record.token)) == 24  # 192 random bits
    other = record.token[:-2] + ("AA" if record.token[-2:] != "AA" else "BB")
    for path in ("", f"/photo/{shots[0].id}.jpg", "/photos.zip", f"/crop/{shots[0].id}/1x1.jpg"):
        assert client.get(f"/g/{other}{path}").status_code == 404

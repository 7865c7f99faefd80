"""The client's static gallery page: every photo with its crops and a download link each, no script, text
escaped, and links as given (relative names in public mode, presigned URLs in presigned mode). Pure."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from booth.delivery.page import PagePhoto, PageVariant, render_page


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Collect()
    parser.feed(html)
    return parser.tags


def photo(look: str, url=lambda name: name, crops=("4x5", "1x1")) -> PagePhoto:
    names = {"original": f"00001-{look}.jpg", **{c: f"00001-{look}-{c}.jpg" for c in crops}}
    return PagePhoto(look, tuple(PageVariant(v, url(n), n) for v, n in names.items()))


def test_every_photo_shows_its_crops_each_with_a_download_link():
    html = render_page([photo("confident"), photo("warm_smile", crops=())])
    tags = parse(html)
    images = [a["src"] for t, a in tags if t == "img"]
    assert images == [
        "00001-confident-4x5.jpg",
        "00001-confident-1x1.jpg",
        "00001-confident.jpg",
        "00001-warm_smile.jpg",
    ]
    downloads = {a["download"]: a["href"] for t, a in tags if t == "a" and "download" in a}
    assert downloads == {name: name for name in images}
    assert "Warm smile" in html and "Portrait 4:5" in html and "Square 1:1" in html
    assert "<script" not in html.lower()
    assert any(t == "meta" and a.get("name") == "viewport" for t, a in tags)
    assert any(
        t == "meta" and a.get("name") == "referrer" and a.get("content") == "no-referrer" for t, a in tags
    )
    assert re.search(r"<style>.+</style>", html, re.S)  # inline: no stylesheet to fetch
    assert not any(t == "link" for t, _ in tags)


def test_text_from_the_booth_is_escaped():
    html = render_page([photo('<script>alert("x")</script>')], note='<b>"30" days</b>')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html and "&lt;b&gt;" in html


def test_presigned_urls_are_used_as_given_and_their_ampersands_escaped():
    def signed(name: str) -> str:
        return f"http://s3.example:8333/photos/booth/f/{name}?X-Amz-Expires=604800&X-Amz-Signature=ab"

    tags = parse(render_page([photo("confident", url=signed)]))
    sources = [a["src"] for t, a in tags if t == "img"]
    assert sources and all(s.startswith("http://s3.example:8333/photos/booth/f/") for s in sources)
    assert all("X-Amz-Expires=604800&X-Amz-Signature=ab" in s for s in sources)  # unescaped by the parser


def test_an_empty_session_says_so():
    assert "No photos were kept" in render_page([])

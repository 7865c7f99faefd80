"""The client's static gallery page: each photo's small view inline (sized, lazy after the first), a Save link
per full-size file, no script, text escaped, and links as given (relative names in public mode, presigned
URLs in presigned mode). Pure."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from booth.delivery.page import PagePhoto, PageVariant, PageView, render_page


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


def photo(look: str, url=lambda name: name, crops=("4x5", "1x1"), size=(960, 1280)) -> PagePhoto:
    names = {"original": f"00001-{look}.jpg", **{c: f"00001-{look}-{c}.jpg" for c in crops}}
    view = PageView(url(f"00001-{look}-view.jpg"), *size)
    return PagePhoto(look, view, tuple(PageVariant(v, url(n), n) for v, n in names.items()))


def test_each_photo_shows_its_view_and_offers_the_full_size_files_as_downloads():
    html = render_page([photo("confident"), photo("warm_smile", crops=(), size=(1280, 720))])
    tags = parse(html)
    images = [a for t, a in tags if t == "img"]
    assert [a["src"] for a in images] == ["00001-confident-view.jpg", "00001-warm_smile-view.jpg"]
    assert [(a["width"], a["height"]) for a in images] == [("960", "1280"), ("1280", "720")]
    assert [a.get("loading") for a in images] == [None, "lazy"]  # the first at once, the rest as scrolled to
    downloads = [(a["download"], a["href"]) for t, a in tags if t == "a" and "download" in a]
    names = [f"00001-confident{tail}.jpg" for tail in ("", "-4x5", "-1x1")] + ["00001-warm_smile.jpg"]
    assert downloads == [(name, name) for name in names]
    assert re.findall(r'class="save"[^>]*>([^<]+)</a>', html) == [
        "Save original",
        "Save 4:5",
        "Save 1:1",
        "Save original",
    ]
    assert "Warm smile" in html and "Confident" in html
    assert "<script" not in html.lower()
    assert any(t == "meta" and a.get("name") == "viewport" for t, a in tags)
    assert any(
        t == "meta" and a.get("name") == "referrer" and a.get("content") == "no-referrer" for t, a in tags
    )
    assert re.search(r"<style>.+</style>", html, re.S)  # inline: no stylesheet to fetch
    assert not any(t == "link" for t, _ in tags)


def test_a_view_of_unknown_size_is_shown_without_a_size():
    tags = parse(render_page([photo("confident", size=(0, 0))]))
    image = next(a for t, a in tags if t == "img")
    assert "width" not in image and "height" not in image

    assert not any(t == "link" for t, _ in tags)


def test_text_from_the_booth_is_escaped():
    html = render_page([photo('<script>alert("x")</script>')], note='<b>"30" days</b>')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html and "&lt;b&gt;" in html


def test_presigned_urls_are_used_as_given_and_their_ampersands_escaped():
    def signed(name: str) -> str:
        return f"http://s3.example:8333/photos/booth/f/{name}?X-Amz-Expires=604800&X-Amz-Signature=ab"

    tags = parse(render_page([photo("confident", url=signed)]))
    sources = [a["src"] for t, a in tags if t == "img"] + [a["href"] for t, a in tags if t == "a"]
    assert len(sources) == 4  # the view and three downloads
    assert all(s.startswith("http://s3.example:8333/photos/booth/f/") for s in sources)
    assert all("X-Amz-Expires=604800&X-Amz-Signature=ab" in s for s in sources)  # unescaped by the parser


def test_an_empty_session_says_so():
    assert "No photos were kept" in render_page([])

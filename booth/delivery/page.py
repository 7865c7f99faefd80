"""The client's gallery page in the bucket: one static HTML file, readable on any phone, that needs no server.

Why static and self-contained: the bucket only serves files, and the page must work from a phone on
cellular long after the booth is switched off. So the CSS is inline, there is no script at all, and every
image is a plain link: the page's own folder names (public mode) or each object's presigned URL (presigned
mode: the bucket is private and each link carries its own signature). Every text that came from the booth
(a look's name, a file name, a URL) is HTML-escaped.

Why each photo shows its small view and offers the rest as downloads: full-size originals and crops inline
made a session of four photos tens of megabytes over a phone's cellular link. The view (at most
:data:`booth.delivery.render.VIEW_SIDE` pixels) is what a phone's screen can show anyway; "Save original",
"Save 4:5" and "Save 1:1" fetch the full-size files only when asked. The views carry their width and height
(no jump while they load) and all but the first load lazily, as the client scrolls to them.
``referrer`` is off so a presigned URL is never sent on to another site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

#: What each download is called on the page ("Save original" ...).
VARIANT_LABELS = {"original": "original", "4x5": "4:5", "1x1": "1:1"}
#: The order of the download buttons: the full frame, then the crops made for profiles.
SHOWN_ORDER = ("original", "4x5", "1x1")

_STYLE = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
body{background:#101114;color:#eceef2}
main{max-width:720px;margin:0 auto;padding:16px}
h1{font-size:1.6em;margin:.4em 0}
h2{font-size:1.2em;margin:0 0 .5em}
p{margin:.4em 0 1em}
.photo{background:#1b1d22;border-radius:12px;padding:12px;margin:0 0 20px}
img{display:block;width:100%;height:auto;border-radius:8px;background:#2a2d34}
.saves{display:flex;flex-wrap:wrap;gap:8px;margin-top:10px}
a{color:#8fc1ff}
a.save{flex:1 1 auto;padding:10px 10px;border-radius:8px;font-size:.95em;text-align:center}
a.save{background:#2f6fd6;color:#fff;text-decoration:none;white-space:nowrap}
footer{color:#a5a9b3;font-size:.9em;margin:24px 0}
"""


@dataclass(frozen=True)
class PageVariant:
    variant: str  # "original", "4x5" or "1x1"
    url: str  # what the page links to: a relative name or a presigned URL
    file_name: str  # the name a download is saved under


@dataclass(frozen=True)
class PageView:
    """The image shown inline: its URL and its size in pixels (the view's, not the original's)."""

    url: str
    width: int
    height: int


@dataclass(frozen=True)
class PagePhoto:
    look: str  # the look's name as stored, e.g. "confident" or "warm_smile"
    view: PageView
    downloads: tuple[PageVariant, ...]


def look_label(look: str) -> str:
    return look.replace("_", " ").strip().capitalize() or "Photo"


def render_page(photos: Sequence[PagePhoto], *, title: str = "Your headshots", note: str = "") -> str:
    """The whole page as text (UTF-8 when encoded)."""
    count = len(photos)
    intro = (
        f"{count} photo{'s' if count != 1 else ''}. Press Save to keep one on your phone at full size: "
        "the original, or the 4:5 and 1:1 crops made for profile pictures."
        if count
        else "No photos were kept in this session."
    )
    body = "\n".join(_photo(photo, number) for number, photo in enumerate(photos, 1))
    footer = f"<footer>{escape(note)}</footer>" if note else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(title)}</title>\n"
        f"<style>{_STYLE}</style>\n"
        "</head><body><main>\n"
        f"<h1>{escape(title)}</h1>\n<p>{escape(intro)}</p>\n"
        f"{body}\n{footer}\n"
        "</main></body></html>\n"
    )


def _photo(photo: PagePhoto, number: int) -> str:
    """One photo: its look, its view (lazy unless first) and a Save button per full-size file."""
    label = look_label(photo.look)
    by_variant = {v.variant: v for v in photo.downloads}
    shown = [by_variant[name] for name in SHOWN_ORDER if name in by_variant]
    shown += [v for v in photo.downloads if v.variant not in SHOWN_ORDER]
    view = photo.view
    size = f' width="{view.width}" height="{view.height}"' if view.width > 0 and view.height > 0 else ""
    lazy = ' loading="lazy"' if number > 1 else ""
    image = f'<img src="{escape(view.url, quote=True)}"{size} alt="{escape(label, quote=True)}"{lazy}>'
    saves = "\n".join(_save(v) for v in shown)
    return (
        f'<section class="photo" id="photo-{number}">\n<h2>{escape(label)}</h2>\n'
        f'{image}\n<div class="saves">\n{saves}\n</div>\n</section>'
    )


def _save(variant: PageVariant) -> str:
    kind = VARIANT_LABELS.get(variant.variant, variant.variant)
    url = escape(variant.url, quote=True)
    name = escape(variant.file_name, quote=True)
    return f'<a class="save" href="{url}" download="{name}">Save {escape(kind)}</a>'

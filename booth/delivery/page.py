"""The client's gallery page in the bucket: one static HTML file, readable on any phone, that needs no server.

Why static and self-contained: the bucket only serves files, and the page must work from a phone on
cellular long after the booth is switched off. So the CSS is inline, there is no script at all, and every
image is a plain link: the page's own folder names (public mode) or each object's presigned URL (presigned
mode: the bucket is private and each link carries its own signature). Every text that came from the booth
(a look's name, a file name, a URL) is HTML-escaped.

Each photo shows its 4:5 and 1:1 crops beside the original, each with a download link named after the file.
``referrer`` is off so a presigned URL is never sent on to another site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

#: What each variant is called on the page.
VARIANT_LABELS = {"4x5": "Portrait 4:5", "1x1": "Square 1:1", "original": "Original"}
#: The order variants are shown in: the crops made for profiles first, the full frame last.
SHOWN_ORDER = ("4x5", "1x1", "original")

_STYLE = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
body{background:#101114;color:#eceef2}
main{max-width:960px;margin:0 auto;padding:16px}
h1{font-size:1.6em;margin:.4em 0}
h2{font-size:1.2em;margin:0 0 .5em}
p{margin:.4em 0 1em}
.photo{background:#1b1d22;border-radius:12px;padding:12px;margin:0 0 20px}
.variants{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;align-items:start}
figure{margin:0}
img{display:block;width:100%;height:auto;border-radius:8px;background:#2a2d34}
figcaption{display:flex;justify-content:space-between;gap:8px;flex-wrap:wrap;margin-top:6px;font-size:.95em}
a{color:#8fc1ff}
a.save{display:inline-block;padding:6px 12px;border-radius:8px}
a.save{background:#2f6fd6;color:#fff;text-decoration:none}
footer{color:#a5a9b3;font-size:.9em;margin:24px 0}
"""


@dataclass(frozen=True)
class PageVariant:
    variant: str  # "original", "4x5" or "1x1"
    url: str  # what the page links to: a relative name or a presigned URL
    file_name: str  # the name a download is saved under


@dataclass(frozen=True)
class PagePhoto:
    look: str  # the look's name as stored, e.g. "confident" or "warm_smile"
    variants: tuple[PageVariant, ...]


def look_label(look: str) -> str:
    return look.replace("_", " ").strip().capitalize() or "Photo"


def render_page(photos: Sequence[PagePhoto], *, title: str = "Your headshots", note: str = "") -> str:
    """The whole page as text (UTF-8 when encoded)."""
    count = len(photos)
    intro = (
        f"{count} photo{'s' if count != 1 else ''}. Tap a picture to open it full size, "
        "or press Save to keep it on your phone."
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
    label = look_label(photo.look)
    by_variant = {v.variant: v for v in photo.variants}
    shown = [by_variant[name] for name in SHOWN_ORDER if name in by_variant]
    shown += [v for v in photo.variants if v.variant not in SHOWN_ORDER]
    figures = "\n".join(_figure(v, label) for v in shown)
    return (
        f'<section class="photo" id="photo-{number}">\n<h2>{escape(label)}</h2>\n'
        f'<div class="variants">\n{figures}\n</div>\n</section>'
    )


def _figure(variant: PageVariant, label: str) -> str:
    kind = VARIANT_LABELS.get(variant.variant, variant.variant)
    url = escape(variant.url, quote=True)
    name = escape(variant.file_name, quote=True)
    alt = escape(f"{label}, {kind}", quote=True)
    return (
        f'<figure><a href="{url}"><img src="{url}" alt="{alt}" loading="lazy"></a>'
        f'<figcaption><span>{escape(kind)}</span><a class="save" href="{url}" download="{name}">Save</a>'
        "</figcaption></figure>"
    )

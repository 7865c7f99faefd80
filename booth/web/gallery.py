"""The client's gallery: ``/g/<token>``, their best shot of each look, crops, downloads and a zip.

Why the page carries every URL and file name and its script (``static/gallery.js``) only reads them: the
viewer it opens on a tap (large photo, swipe, download, back) adds nothing the links do not already do, so
without JavaScript each tile still opens its photo and each download button still downloads; and the
content security policy stays strict, since the page's script and style are static files.

Why no path from the URL ever reaches the file system: a photo is found by looking the token up in storage,
then the shot id among *that session's* committed rows; the file path comes from the row. A guessed shot id
of another session, a token of the wrong shape or a ``..`` in the URL all end in 404 before any file is
touched. Crops are cut from the untouched original on request (boxes from :mod:`booth.crops`, stored with
the shot), so a better crop rule later applies to every photo ever taken.

"Delete my photos" is the client's own: the link is the key, so whoever holds it may delete the session
(files, rows and, through the storage's outbox, the copies uploaded to the studio's bucket). It asks first
on a page of its own (``GET .../delete``), so it works without JavaScript, and the deletion itself is a POST
carrying the CSRF token like every other. A session still running or still on the booth's screen is not
deleted (the sitter, or whoever holds the phone beside them, would pull the photos from under the end
screen); the answer says when it can be.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from booth.crops import ASPECTS
from booth.errors import SessionBusy, SessionNotFound, StorageError
from booth.imaging import render_jpeg
from booth.storage import SessionRecord, ShotRecord
from booth.web.context import booth_service
from booth.web.links import valid_token

log = logging.getLogger(__name__)

bp = Blueprint("gallery", __name__, url_prefix="/g")

VIEW_SIZE = 1200  # longest side of the in-page images; downloads are full size
DELETE_REASON = "deleted by the client from the gallery link"
#: The answer to a client deleting a session the booth still runs or shows (the sitter at the booth).
BUSY_ANSWER = (
    "These photos are still on the booth's screen. Press Done there, or try again in a minute once the "
    "booth is back to its start screen."
)
#: The crops the gallery offers, in the order of its buttons (each must be a :data:`booth.crops.ASPECTS`).
ASPECT_LABELS = {"4x5": "4:5", "1x1": "1:1"}


def _session(token: str) -> SessionRecord:
    if not valid_token(token):
        abort(404, "No such gallery. Check the link you were given.")
    record = booth_service().storage.session_by_token(token)
    if record is None:
        abort(404, "No such gallery. Check the link you were given.")
    return record


def _shot(token: str, shot_id: int) -> tuple[ShotRecord, int]:
    """The shot ``shot_id`` of the gallery ``token`` (else 404) and its take number within its look."""
    record = _session(token)
    shots = booth_service().storage.shots(record.id)
    for shot in shots:
        if shot.id == shot_id:
            return shot, take_numbers(shots)[shot.id]
    abort(404, "No such photo in this gallery.")


def take_numbers(shots: list[ShotRecord]) -> dict[int, int]:
    """Each shot's take within its look, in the order taken (1 = the look's first kept photo).

    Why taken order and not the page's order (best first): the number names the file a client saves, so
    it must not change when the operator later makes another take the best one."""
    seen: dict[str, int] = {}
    numbers = {}
    for shot in sorted(shots, key=lambda s: s.id):
        seen[shot.look] = seen.get(shot.look, 0) + 1
        numbers[shot.id] = seen[shot.look]
    return numbers


def download_name(shot: ShotRecord, take: int, aspect: str | None) -> str:
    """``headshot-<look>-<take>[-<aspect>].jpg``: what the client's phone saves the photo as."""
    look = re.sub(r"[^a-z0-9]+", "-", shot.look.lower()).strip("-")[:40] or "look"
    return f"headshot-{look}-{take}{f'-{aspect}' if aspect else ''}.jpg"


def best_per_look(record: SessionRecord, shots: list[ShotRecord]) -> list[dict[str, Any]]:
    """One entry per look of the shot list (then any other look shot), best shot first, then the rest."""
    order = list(record.shot_list) + sorted({s.look for s in shots} - set(record.shot_list))
    groups = []
    for look in order:
        mine = [s for s in shots if s.look == look]
        if not mine:
            continue
        best = next((s for s in mine if s.best), None) or max(mine, key=lambda s: s.combined or 0.0)
        groups.append({"look": look, "best": best, "others": [s for s in mine if s.id != best.id]})
    return groups


def _variant(key: str, label: str, file: str, endpoint: str, **args: Any) -> dict[str, str]:
    """One way to have a photo (the original or a crop): its in-page view, its download and file name."""
    return {
        "key": key,
        "label": label,
        "view": url_for(endpoint, **args, size="view"),
        "download": url_for(endpoint, **args, download=1),
        "file": file,
    }


def _tile(token: str, shot: ShotRecord, take: int, best: bool) -> dict[str, Any]:
    """What the page shows of one photo: its thumbnail, and each variant (the original, then each crop the
    gallery serves); the viewer reads them all off the page."""
    ids: dict[str, Any] = {"token": token, "shot_id": shot.id}
    variants = [_variant("original", "Original", download_name(shot, take, None), "gallery.photo", **ids)]
    for aspect, label in ASPECT_LABELS.items():
        if aspect in shot.crops:
            name = download_name(shot, take, aspect)
            variants.append(_variant(aspect, label, name, "gallery.crop", **ids, aspect=aspect))
    shows = "4x5" if "4x5" in shot.crops else "original"
    return {
        "shot": shot,
        "take": take,
        "best": best,
        "label": shot.look.replace("_", " ").capitalize(),
        "open": url_for("gallery.photo", **ids),
        "shows": shows,
        "thumb": next(v["view"] for v in variants if v["key"] == shows),
        "variants": variants,
    }


@bp.get("/<token>")
def page(token: str) -> str:
    record = _session(token)
    shots = booth_service().storage.shots(record.id)
    takes = take_numbers(shots)
    groups = [
        {
            "look": group["look"],
            "label": group["look"].replace("_", " ").capitalize(),
            "tiles": [
                _tile(token, shot, takes[shot.id], shot.id == group["best"].id)
                for shot in [group["best"], *group["others"]]
            ],
        }
        for group in best_per_look(record, shots)
    ]
    return render_template("gallery.html", session=record, token=token, groups=groups)


def _render(shot: ShotRecord, aspect: str | None, view: bool) -> bytes:
    path = booth_service().storage.path_of(shot)
    quality = booth_service().settings.storage.jpeg_quality
    box = None if aspect is None else shot.crops[aspect]
    try:
        return render_jpeg(path, box, VIEW_SIZE if view else None, min(quality, 85) if view else quality)
    except OSError as err:
        log.error("shot %d: cannot read %s (%s)", shot.id, path, err)
        abort(404, "This photo cannot be read; ask the studio.")


def _jpeg(data: bytes, name: str) -> Response:
    """A JPEG answer named ``name``: saved under it (``?download=1``) or shown inline (a phone's "save
    image" still offers the name)."""
    response = Response(data, mimetype="image/jpeg")
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    response.headers.set("Content-Disposition", disposition, filename=name)
    return response


@bp.get("/<token>/photo/<id:shot_id>.jpg")
def photo(token: str, shot_id: int) -> Response:
    """The untouched original (``?size=view``: at most :data:`VIEW_SIZE` pixels, for the page)."""
    shot, take = _shot(token, shot_id)
    name = download_name(shot, take, None)
    if request.args.get("size") == "view":
        return _jpeg(_render(shot, None, True), name)
    response = send_file(
        booth_service().storage.path_of(shot),
        mimetype="image/jpeg",
        as_attachment=request.args.get("download") == "1",
        download_name=name,
    )
    response.headers["Cache-Control"] = "no-store"  # as every gallery answer: nothing kept on a shared phone
    return response


@bp.get("/<token>/crop/<id:shot_id>/<aspect>.jpg")
def crop(token: str, shot_id: int, aspect: str) -> Response:
    """A 4:5 or 1:1 crop cut from the original now (``?size=view``: the page's size)."""
    shot, take = _shot(token, shot_id)
    if aspect not in ASPECTS or aspect not in shot.crops:
        abort(404, "No such crop of this photo.")
    data = _render(shot, aspect, request.args.get("size") == "view")
    return _jpeg(data, download_name(shot, take, aspect))


@bp.get("/<token>/photos.zip")
def archive(token: str) -> Response:
    record = _session(token)
    try:
        path = booth_service().storage.export_zip(record.id, sidecars=False)  # their photos, no scores
    except SessionNotFound:
        abort(404)  # deleted meanwhile: the link is no longer valid
    except StorageError as err:
        log.error("gallery zip of session %d failed: %s", record.id, err)
        abort(503, "The download could not be prepared; ask the studio.")
    return send_file(
        path, mimetype="application/zip", as_attachment=True, download_name=f"headshots-{record.id}.zip"
    )


@bp.get("/<token>/delete")
def confirm_delete(token: str) -> str:
    """The question before the deletion: the photos cannot be brought back."""
    record = _session(token)
    count = len(booth_service().storage.shots(record.id))
    return render_template("gallery_delete.html", token=token, session=record, count=count, deleted=False)


@bp.post("/<token>/delete")
def delete(token: str) -> ResponseReturnValue:
    """The deletion itself: the link is the key (see the module docstring), the CSRF token proves the form."""
    record = _session(token)
    try:
        booth_service().delete_session(record.id, reason=DELETE_REASON)
    except SessionNotFound:
        abort(404, "No such gallery. Check the link you were given.")
    except SessionBusy as err:  # the service's line is the operator's; the client gets their own
        log.info("gallery delete of session %d refused: %s", record.id, err)
        abort(409, BUSY_ANSWER)
    except StorageError as err:
        log.error("gallery delete of session %d failed: %s", record.id, err)
        abort(503, "The photos could not be deleted just now; try again in a minute, or ask the studio.")
    log.info("session %d deleted by the client from its gallery link", record.id)
    return render_template("gallery_delete.html", token=token, session=record, count=0, deleted=True)

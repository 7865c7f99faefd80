"""The client's gallery: ``/g/<token>``, their best shot of each look, crops, downloads and a zip.

Why no path from the URL ever reaches the file system: a photo is found by looking the token up in storage,
then the shot id among *that session's* committed rows; the file path comes from the row. A guessed shot id
of another session, a token of the wrong shape or a ``..`` in the URL all end in 404 before any file is
touched. Crops are cut from the untouched original on request (boxes from :mod:`booth.crops`, stored with
the shot), so a better crop rule later applies to every photo ever taken.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, send_file
from PIL import Image

from booth.crops import ASPECTS
from booth.errors import SessionNotFound, StorageError
from booth.imaging import encode_jpeg
from booth.storage import SessionRecord, ShotRecord
from booth.web.context import booth_service
from booth.web.links import valid_token

log = logging.getLogger(__name__)

bp = Blueprint("gallery", __name__, url_prefix="/g")

VIEW_SIZE = 1200  # longest side of the in-page images; downloads are full size
ASPECT_LABELS = {"4x5": "4:5", "1x1": "1:1"}


def _session(token: str) -> SessionRecord:
    if not valid_token(token):
        abort(404, "No such gallery. Check the link you were given.")
    record = booth_service().storage.session_by_token(token)
    if record is None:
        abort(404, "No such gallery. Check the link you were given.")
    return record


def _shot(token: str, shot_id: int) -> tuple[SessionRecord, ShotRecord]:
    record = _session(token)
    for shot in booth_service().storage.shots(record.id):
        if shot.id == shot_id:
            return record, shot
    abort(404, "No such photo in this gallery.")


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


@bp.get("/<token>")
def page(token: str) -> str:
    record = _session(token)
    shots = booth_service().storage.shots(record.id)
    return render_template(
        "gallery.html",
        session=record,
        token=token,
        groups=best_per_look(record, shots),
        aspects=ASPECT_LABELS,
    )


def _render(shot: ShotRecord, aspect: str | None, view: bool) -> bytes:
    path = booth_service().storage.path_of(shot)
    quality = booth_service().settings.storage.jpeg_quality
    try:
        with Image.open(path) as image:
            image.load()
            if aspect is not None:
                image = image.crop(tuple(shot.crops[aspect]))
            if view:
                image.thumbnail((VIEW_SIZE, VIEW_SIZE))
            return encode_jpeg(image, min(quality, 85) if view else quality)
    except OSError as err:
        log.error("shot %d: cannot read %s (%s)", shot.id, path, err)
        abort(404, "This photo cannot be read; ask the studio.")


def _download_name(record: SessionRecord, shot: ShotRecord, aspect: str | None) -> str:
    suffix = f"-{aspect}" if aspect else ""
    return f"headshot-{record.id}-{shot.id:05d}-{shot.look}{suffix}.jpg".replace(" ", "-")


@bp.get("/<token>/photo/<id:shot_id>.jpg")
def photo(token: str, shot_id: int) -> Response:
    record, shot = _shot(token, shot_id)
    download = request.args.get("download") == "1"
    if request.args.get("size") == "view":
        return Response(_render(shot, None, True), mimetype="image/jpeg")
    return send_file(
        booth_service().storage.path_of(shot),
        mimetype="image/jpeg",
        as_attachment=download,
        download_name=_download_name(record, shot, None),
        max_age=0,
    )


@bp.get("/<token>/crop/<id:shot_id>/<aspect>.jpg")
def crop(token: str, shot_id: int, aspect: str) -> Response:
    record, shot = _shot(token, shot_id)
    if aspect not in ASPECTS or aspect not in shot.crops:
        abort(404, "No such crop of this photo.")
    data = _render(shot, aspect, request.args.get("size") == "view")
    response = Response(data, mimetype="image/jpeg")
    if request.args.get("download") == "1":
        name = _download_name(record, shot, aspect)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/<token>/photos.zip")
def archive(token: str) -> Response:
    record = _session(token)
    try:
        path = booth_service().storage.export_zip(record.id)
    except SessionNotFound:
        abort(404)  # deleted meanwhile: the link is no longer valid
    except StorageError as err:
        log.error("gallery zip of session %d failed: %s", record.id, err)
        abort(503, "The download could not be prepared; ask the studio.")
    return send_file(
        path, mimetype="application/zip", as_attachment=True, download_name=f"headshots-{record.id}.zip"
    )

"""The sitter's screen (``/``) and the QR code of their gallery link.

The page itself is static HTML; everything live arrives over ``/api/events`` (see ``static/kiosk.js``) and
the preview over ``/stream.mjpg``. The QR code is drawn here, on the booth, from a token the client must
already know (the kiosk screen gets it from the status feed, see :func:`booth.web.context.is_trusted`).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, render_template, request

from booth.web.context import booth_service, web_settings
from booth.web.links import base_url, qr_svg, valid_token

log = logging.getLogger(__name__)

bp = Blueprint("kiosk", __name__)


@bp.get("/")
def index() -> str:
    service = booth_service()
    return render_template(
        "kiosk.html", looks=service.looks(), consent_text=service.settings.session.consent_text
    )


def gallery_link(token: str) -> str:
    port = request.host.rsplit(":", 1)[1] if request.host.rsplit(":", 1)[-1].isdigit() else None
    base = base_url(web_settings().public_url, request.host_url, request.host.rsplit(":", 1)[0], port)
    return f"{base}/g/{token}"


@bp.get("/kiosk/qr/<token>.svg")
def qr(token: str) -> Response:
    if not valid_token(token) or booth_service().storage.session_by_token(token) is None:
        abort(404, "No such gallery.")
    return Response(
        qr_svg(gallery_link(token)), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"}
    )


@bp.get("/kiosk/link/<token>")
def link(token: str) -> Response:
    """The gallery link as text (shown under the QR code for sitters without a camera app)."""
    if not valid_token(token) or booth_service().storage.session_by_token(token) is None:
        abort(404, "No such gallery.")
    return Response(gallery_link(token), mimetype="text/plain", headers={"Cache-Control": "no-store"})

"""The sitter's screen (``/``), the QR codes of their gallery link and of the booth's hotspot.

The page itself is static HTML; everything live arrives over ``/api/events`` (see ``static/kiosk.js``) and
the preview over ``/stream.mjpg``. The QR codes are drawn here, on the booth, from a token the client must
already know (the kiosk screen gets it from the status feed, see :func:`booth.web.context.is_trusted`).

Which link the gallery QR code encodes: the session's cloud link once cloud delivery has one (it is known
before the upload ends and works once it has: the kiosk then says "your link will work in a minute"),
else the booth's own link when a phone can open it (see :mod:`booth.web.links`), else none (404: the
kiosk shows a sentence instead of a QR code no phone could use). The hotspot's join code carries its
passphrase, so it goes to the kiosk screen and the operator only.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template

from booth.errors import BoothError
from booth.storage import SessionRecord
from booth.web.context import booth_service, is_trusted, reach
from booth.web.links import qr_svg, valid_token, wifi_text

log = logging.getLogger(__name__)

bp = Blueprint("kiosk", __name__)

#: The cloud link states in which the link is known (and works, or will once the upload is done).
CLOUD_STATES = ("pending", "done", "failing")
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/")
def index() -> str:
    service = booth_service()
    return render_template(
        "kiosk.html", looks=service.looks(), consent_text=service.settings.session.consent_text
    )


def _record(token: str) -> SessionRecord:
    record = booth_service().storage.session_by_token(token) if valid_token(token) else None
    if record is None:
        abort(404, "No such gallery.")
    return record


def lan_link(token: str) -> str | None:
    """The booth's own link to the gallery, or None when no phone can open it."""
    where = reach()
    return f"{where.base}/g/{token}" if where.phone_ok else None


def cloud_link(record: SessionRecord) -> dict[str, Any] | None:
    """``{"state", "link"}`` of the session's cloud link once delivery has one, else None."""
    delivery = booth_service().delivery
    if delivery is None:
        return None
    try:
        state = delivery.link_state(record.id)
    except BoothError as err:  # the page must still show the booth's own link
        log.error("cloud link of session %d unknown: %s", record.id, err)
        return None
    if state.state not in CLOUD_STATES or not state.link:
        return None
    return {"state": state.state, "link": state.link}


def wifi_available() -> bool:
    """Will ``/kiosk/wifi.svg`` answer (the hotspot on, its passphrase readable, a phone able to open the
    link it leads to)?"""
    return reach().phone_ok and wifi_text(booth_service().settings.hotspot) is not None


@bp.get("/kiosk/qr/<token>.svg")
def qr(token: str) -> Response:
    record = _record(token)
    cloud = cloud_link(record)
    link = cloud["link"] if cloud else lan_link(token)
    if link is None:  # why (the booth's addresses, the fix) is the operator's: the page and the log say it
        abort(404, "This booth has no link a phone can open; the operator page says why.")
    return Response(qr_svg(link), mimetype="image/svg+xml", headers=NO_STORE)


@bp.get("/kiosk/link/<token>")
def link(token: str) -> Response:
    """What the end screen offers for this gallery: the booth's link (shown under the QR code for sitters
    without a camera app; null when no phone can open it), the cloud link and its state (null without
    one), and whether the hotspot's join code is shown first."""
    record = _record(token)
    response = jsonify({"lan": lan_link(token), "cloud": cloud_link(record), "wifi": wifi_available()})
    response.headers.update(NO_STORE)
    return response


@bp.get("/kiosk/wifi.svg")
def wifi() -> Response:
    """The hotspot's join code (``WIFI:T:WPA;S:...;P:...;;``): to the kiosk screen and the operator only."""
    if not is_trusted():
        abort(403, "Only the booth's own screen or the logged-in operator may see the Wi-Fi code.")
    text = wifi_text(booth_service().settings.hotspot)
    if text is None:
        abort(404, "The hotspot is off, or its passphrase file cannot be read (see the booth's log).")
    return Response(qr_svg(text), mimetype="image/svg+xml", headers=NO_STORE)

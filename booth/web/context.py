"""What every view needs from the app: the booth service, the web settings, who is asking.

Kept in one place so the blueprints read the same way and so "what a stranger may see" is decided once
(:func:`is_trusted`): the current sitter's gallery token leaves the booth only for the kiosk screen and a
logged-in operator (the status and the events carry both forms; see :class:`booth.service.BoothStatus`).
The kiosk screen is known by its address, and only under the booth's own name (:func:`own_host`: see
"Trust by address" in :mod:`booth.web.security`); the operator by a login id the booth still holds.

Where the gallery link points is decided here too (:func:`reach`, from what the server listens on: see
:mod:`booth.web.links`).

The live picture is decided here too (:func:`may_watch_preview`): the preview stream and the face readings
in the status (look scores, trigger score, gaze, pose, the hint drawn from them) are the sitter's, so
other clients on the studio network get neither unless ``web.lan_preview`` is on (:func:`for_client`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

from flask import current_app, jsonify, redirect, request, session, url_for

from booth.config import WebSettings
from booth.web.links import Reachability, reachability
from booth.web.port import BoothPort
from booth.web.security import LoginStore, address_in, host_name, is_own_host

log = logging.getLogger(__name__)

OPERATOR_KEY = "operator"
#: WSGI environment keys the server (:mod:`booth.web.serve`) fills: a callable giving the bytes still queued
#: for this client, and one telling the server's admission that this client's address is an operator's.
UNSENT_KEY = "booth.unsent_bytes"
OPERATOR_SEEN_KEY = "booth.operator_seen"
#: Status keys that carry the sitter's face readings; cleared for clients that may not watch the preview.
FACE_KEYS = {"face": None, "trigger": None, "hint": ""}
#: ``app.extensions`` key of ``(listen_host, listen_port)``, what ``create_app`` was told the server binds.
LISTEN_KEY = "booth.listen"


def booth_service() -> BoothPort:
    """The booth this app serves (a :class:`booth.service.BoothService`)."""
    return cast(BoothPort, current_app.extensions["booth"])


def web_settings() -> WebSettings:
    return booth_service().settings.web


def operator_logged_in() -> bool:
    """The cookie's login id is one the booth still holds (logout and a new password end it)."""
    logins = cast(LoginStore, current_app.extensions["booth.logins"])
    valid = logins.valid(session.get(OPERATOR_KEY))
    seen = request.environ.get(OPERATOR_SEEN_KEY)
    if valid and seen is not None:
        seen()  # this address gets the operator's share of the server's connections
    return valid


def unsent_probe() -> Callable[[], int]:
    """A callable giving the bytes of this response still queued in the server for the client (always 0
    outside waitress, e.g. under Flask's test client); usable from a streaming generator."""
    probe = request.environ.get(UNSENT_KEY)
    return probe if callable(probe) else lambda: 0


def own_host() -> bool:
    """Was this request sent to one of the booth's own names (not a rebound foreign one)?"""
    public = urlsplit(web_settings().public_url).hostname
    return is_own_host(request.host, [public] if public else [])


def foreign_host_reason() -> str:
    """The one line that refuses address-based trust to a request sent under a name not the booth's."""
    port = request.environ.get("SERVER_PORT", "8080")
    return (
        f"this page was asked for as {host_name(request.host)!r}, which is not one of the booth's names; "
        f"open it as http://localhost:{port}/ on the booth, or by the booth's address or web.public_url"
    )


def is_kiosk_client() -> bool:
    """The kiosk screen: a ``web.kiosk_addresses`` client that asked for the booth by its own name."""
    return address_in(request.remote_addr, web_settings().kiosk_addresses) and own_host()


def is_trusted() -> bool:
    """May this client see the current sitter's gallery token (kiosk screen or operator)?"""
    return operator_logged_in() or is_kiosk_client()


def trust_holds() -> Callable[[], bool]:
    """A callable saying whether this client's trust, as judged now, still holds; usable from a streaming
    generator, outside the request. A stream opened by a logged-in operator must stop sending gallery
    tokens once that login is revoked (logout, a new password), not run on until it is recycled."""
    if is_kiosk_client() or not operator_logged_in():
        return lambda: True  # by address (the kiosk), or never trusted: nothing to revoke
    logins = cast(LoginStore, current_app.extensions["booth.logins"])
    login = session.get(OPERATOR_KEY)
    return lambda: logins.valid(login)


def may_watch_preview() -> bool:
    """May this client watch the live preview and read the face scores? The kiosk screen and the operator
    always; other clients only when ``web.lan_preview`` is on."""
    return is_trusted() or web_settings().lan_preview


def for_client(status: dict[str, Any], preview: bool) -> dict[str, Any]:
    """A status payload as this client may read it: without the face readings unless ``preview``."""
    return status if preview else {**status, **FACE_KEYS}


def client_status() -> dict[str, Any]:
    """The booth's status as JSON for this client: with the gallery tokens only if it is trusted, with the
    face readings only if it may watch the preview."""
    trusted = is_trusted()
    status = booth_service().status().to_json(trusted=trusted)
    return for_client(status, trusted or web_settings().lan_preview)


def require_operator(view: Callable[..., Any]) -> Callable[..., Any]:
    """Views behind the operator login: JSON 401 under ``/api/``, a redirect to the login page elsewhere."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if operator_logged_in():
            return view(*args, **kwargs)
        if request.path.startswith("/api/"):
            response = jsonify({"error": "log in as the operator first"})
            response.status_code = 401
            return response
        return redirect(url_for("operator.login", next=request.path))

    return wrapper


def require_booth_control(view: Callable[..., Any]) -> Callable[..., Any]:
    """Views that drive the sitter's session: only the kiosk screen or a logged-in operator (JSON 403).

    The studio network is shared with clients' phones by design, and anyone there can read the kiosk page
    (and so get a CSRF token); CSRF alone would let a phone start, cancel or finish a stranger's session.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if is_trusted():
            return view(*args, **kwargs)
        message = "only the booth's own screen or the logged-in operator may do this"
        if address_in(request.remote_addr, web_settings().kiosk_addresses):
            message = foreign_host_reason()  # the kiosk's address, under a foreign name
        log.warning(
            "refused %s %s from %s (Host %r): %s",
            request.method,
            request.path,
            request.remote_addr,
            request.host,
            message,
        )
        response = jsonify({"error": message})
        response.status_code = 403
        return response

    return wrapper


def request_port(own: bool) -> str | None:
    """The port this page was asked on: the Host header's when the Host is one of the booth's names
    (``own``), else the server's own."""
    tail = request.host.rsplit(":", 1)
    if own and len(tail) == 2 and tail[1].isdigit():
        return tail[1]
    return request.environ.get("SERVER_PORT")


def reach() -> Reachability:
    """Where this booth's gallery links point, and whether a phone can open them (:mod:`booth.web.links`).

    The page's Host goes in only when it is one of the booth's own names (:func:`own_host`): the header is
    the client's to choose, and the link it shapes is drawn into the QR code on the kiosk's screen."""
    host, port = current_app.extensions.get(LISTEN_KEY, (None, None))
    own = own_host()
    settings = booth_service().settings
    asked = request.host if own else None
    return reachability(settings.web.public_url, settings.hotspot, host, port or request_port(own), asked)


def fleet_state(service: BoothPort) -> Any:
    """The fleet link's connection (``.connected``, ``.broker``, ``.error``), or None without a fleet link."""
    return service.fleet.state() if service.fleet is not None else None

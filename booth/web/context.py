"""What every view needs from the app: the booth service, the web settings, who is asking.

Kept in one place so the blueprints read the same way and so "what a stranger may see" is decided once
(:func:`is_trusted`): the current sitter's gallery token leaves the booth only for the kiosk screen and a
logged-in operator (the status and the events carry both forms; see :class:`booth.service.BoothStatus`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, cast

from flask import current_app, jsonify, redirect, request, session, url_for

from booth.config import WebSettings
from booth.web.port import BoothPort
from booth.web.security import address_in

log = logging.getLogger(__name__)

OPERATOR_KEY = "operator"


def booth_service() -> BoothPort:
    """The booth this app serves (a :class:`booth.service.BoothService`)."""
    return cast(BoothPort, current_app.extensions["booth"])


def web_settings() -> WebSettings:
    return booth_service().settings.web


def operator_logged_in() -> bool:
    return bool(session.get(OPERATOR_KEY))


def is_kiosk_client() -> bool:
    return address_in(request.remote_addr, web_settings().kiosk_addresses)


def is_trusted() -> bool:
    """May this client see the current sitter's gallery token (kiosk screen or operator)?"""
    return operator_logged_in() or is_kiosk_client()


def client_status() -> dict[str, Any]:
    """The booth's status as JSON for this client: with the gallery tokens only if it is trusted."""
    return booth_service().status().to_json(trusted=is_trusted())


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
        log.warning(
            "refused %s %s from %s: not the kiosk or the operator",
            request.method,
            request.path,
            request.remote_addr,
        )
        response = jsonify({"error": "only the booth's own screen or the logged-in operator may do this"})
        response.status_code = 403
        return response

    return wrapper

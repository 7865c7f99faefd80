"""What every view needs from the app: the booth service, the web settings, who is asking.

Kept in one place so the blueprints read the same way and so "what a stranger may see" is decided once
(:func:`public_status`): the current sitter's gallery token leaves the booth only for the kiosk screen and
a logged-in operator.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app, jsonify, redirect, request, session, url_for

from booth.config import WebSettings
from booth.web.security import address_in

log = logging.getLogger(__name__)

OPERATOR_KEY = "operator"


def booth_service() -> Any:
    """The :class:`booth.service.BoothService` this app serves."""
    return current_app.extensions["booth"]


def web_settings() -> WebSettings:
    return booth_service().settings.web


def operator_logged_in() -> bool:
    return bool(session.get(OPERATOR_KEY))


def is_kiosk_client() -> bool:
    return address_in(request.remote_addr, web_settings().kiosk_addresses)


def is_trusted() -> bool:
    """May this client see the current sitter's gallery token (kiosk screen or operator)?"""
    return operator_logged_in() or is_kiosk_client()


def public_status(status: dict[str, Any]) -> dict[str, Any]:
    """``status`` without the gallery token of the current or last session."""
    out = dict(status)
    if isinstance(out.get("session"), dict):
        out["session"] = {k: v for k, v in out["session"].items() if k != "token"}
    if isinstance(out.get("last_shot"), dict):
        out["last_shot"] = {k: v for k, v in out["last_shot"].items() if k != "session_token"}
    return out


def public_event(event: dict[str, Any]) -> dict[str, Any]:
    """An event as a stranger may see it (see :func:`public_status`)."""
    event = public_status(event)
    for key in ("token", "session_token"):
        event.pop(key, None)
    return event


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

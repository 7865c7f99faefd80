"""The booth page: a Flask app around one running :class:`booth.service.BoothService`.

``create_app(service, listen_host=..., listen_port=...)`` builds the app; ``booth run`` serves it with
waitress (threaded; never Flask's development server, which imports the app twice and would open the camera
twice). The service lives in
``app.extensions["booth"]`` and every blueprint reaches it through :mod:`booth.web.context`.

Blueprints, one per area: ``kiosk`` (``/``, the sitter's screen), ``operator`` (``/operator``, login
required), ``gallery`` (``/g/<token>``, the client's photos), ``api`` (JSON, ``/healthz``) and ``streams``
(``/stream.mjpg``, ``/api/events``), and ``teach`` (``/api/teach/...``, the operator's "Teach a look", and
``/api/shots/<id>/mark``). Those URLs are stable: other tools and kiosks rely on them.

Guards applied to every request here, before any view runs: CSRF on every POST, a cap on the body size, and
security headers on every answer (the pages load nothing from elsewhere, so the content security policy
allows only the booth itself).

Why the app is told what the server listens on: the QR code's link must name an address a phone can open
(:mod:`booth.web.links`). A booth that listens on loopback only gets a warning in the log at start and on
the operator page, and its kiosk shows no QR code.
"""

from __future__ import annotations

import datetime
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template, request, session
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from booth.config import WebSettings
from booth.web import api, gallery, kiosk, operator, streams, teach
from booth.web.context import LISTEN_KEY, operator_logged_in
from booth.web.links import reachability
from booth.web.port import BoothPort
from booth.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    LoginLimiter,
    LoginStore,
    PasswordStore,
    csrf_matches,
    instance_dir,
    load_secret_key,
    new_csrf_token,
)

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
#: 64 bits: with the login rate limit no one on the studio network can guess it before the operator uses it.
SETUP_CODE_BYTES = 8


def csrf_token() -> str:
    """This browser session's CSRF token (made on first use); templates put it in forms and a meta tag."""
    token = session.get("csrf")
    if not token:
        token = new_csrf_token()
        session["csrf"] = token
    return token


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz" or request.is_json


def _refuse(status: int, message: str) -> Response:
    if _wants_json():
        response = jsonify({"error": message})
        response.status_code = status
        return response
    return Response(render_template("error.html", status=status, message=message), status)


class RowId(IntegerConverter):
    """``<id:name>`` in a route: a positive integer that fits a SQLite row id. Anything larger is no such
    row (404), not an OverflowError deep in the database driver (500). ASCII digits only: werkzeug's
    ``\\d`` also takes other scripts' digits, and ``int("١٢")`` is 12, so ``/api/sessions/١٢`` would be
    session 12 under a second name."""

    regex = r"[0-9]+"

    def __init__(self, map: Any) -> None:
        super().__init__(map, min=1, max=2**63 - 1)


def create_app(
    service: BoothPort,
    config: Mapping[str, Any] | None = None,
    *,
    listen_host: str | None = None,
    listen_port: int | None = None,
) -> Flask:
    """The booth page for ``service``; ``config`` overrides Flask settings (tests pass ``TESTING``).

    ``listen_host`` and ``listen_port`` are what the server binds (``booth run``'s ``--host`` and the port
    it got); None: not known, and the gallery links follow the older rule (see :mod:`booth.web.links`).
    """
    folder = instance_dir(service.data_dir)
    app = Flask(__name__, instance_path=str(folder))
    app.url_map.converters["id"] = RowId
    _configure(app, service.settings.web, folder)
    if config:
        app.config.update(config)
    _install_extensions(app, service, folder)
    for module in (kiosk, operator, gallery, api, streams, teach):
        app.register_blueprint(module.bp)
    _install_guards(app)
    _install_template_helpers(app, service)
    app.extensions[LISTEN_KEY] = (listen_host, listen_port)
    _warn_if_unreachable(service, listen_host, listen_port)
    return app


def _warn_if_unreachable(service: BoothPort, listen_host: str | None, listen_port: int | None) -> None:
    """Say once, at start, when no phone can open the gallery link the QR code would show."""
    if listen_host is None:
        return
    settings = service.settings
    reach = reachability(settings.web.public_url, settings.hotspot, listen_host, listen_port)
    if not reach.phone_ok:
        log.warning("%s", reach.warning())


def _configure(app: Flask, web: WebSettings, folder: Path) -> None:
    app.config.update(
        SECRET_KEY=load_secret_key(folder),
        SESSION_COOKIE_NAME="booth_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=datetime.timedelta(hours=web.login_hours),
        MAX_CONTENT_LENGTH=web.max_request_kb * 1024,
        MAX_FORM_MEMORY_SIZE=web.max_request_kb * 1024,
        MAX_FORM_PARTS=200,
        JSON_SORT_KEYS=False,
        TEMPLATES_AUTO_RELOAD=False,
    )


def _install_extensions(app: Flask, service: BoothPort, folder: Path) -> None:
    """What the views share: the booth, the password store, the logins still valid, the login limit, the
    stream slots, and the one-time setup code while no operator password is set."""
    web = service.settings.web
    passwords = PasswordStore(folder)
    app.extensions["booth"] = service
    app.extensions["booth.passwords"] = passwords
    app.extensions["booth.logins"] = LoginStore(folder, passwords, web.login_hours)
    app.extensions["booth.login_limiter"] = LoginLimiter(web.login_attempts, web.login_window_s)
    app.extensions["booth.stopping"] = threading.Event()
    app.extensions["booth.slots"] = {
        "preview": streams.StreamSlots("preview", web.max_preview_viewers),
        "events": streams.StreamSlots("events", web.max_event_clients),
    }
    setup_code = None
    if not passwords.is_set:
        setup_code = secrets.token_hex(SETUP_CODE_BYTES)
        log.warning(
            "no operator password yet: open /operator/setup on the booth itself, or from another device "
            "with the one-time setup code %s",
            setup_code,
        )
    app.extensions["booth.setup_code"] = setup_code


def _install_guards(app: Flask) -> None:
    """CSRF on every state-changing request, security headers on every answer, errors as page or JSON."""

    @app.before_request
    def check_csrf() -> Response | None:
        if request.method not in STATE_CHANGING:
            return None
        given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD)
        if not csrf_matches(session.get("csrf"), given):
            log.info(
                "refused %s %s from %s: missing or wrong CSRF token",
                request.method,
                request.path,
                request.remote_addr,
            )
            return _refuse(403, "This form has expired or did not come from the booth; reload the page.")
        return None

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith(("/operator", "/api/", "/g/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> Response:
        response = _refuse(err.code or 500, err.description or err.name)
        allowed = getattr(err, "valid_methods", None)
        if err.code == 405 and allowed:
            response.headers["Allow"] = ", ".join(allowed)
        return response


def _install_template_helpers(app: Flask, service: BoothPort) -> None:
    @app.context_processor
    def template_globals() -> dict[str, Any]:
        return {
            "csrf_token": csrf_token,
            "operator": operator_logged_in(),
            "recycle": int(service.settings.web.stream_recycle_s),
        }

    @app.template_filter("datetime")
    def local_datetime(seconds: float) -> str:
        return time.strftime("%d %b %Y, %H:%M", time.localtime(seconds))

    @app.template_filter("clock")
    def local_clock(seconds: float) -> str:
        """A time of day (today's, on the operator page): "14:05:09"."""
        return time.strftime("%H:%M:%S", time.localtime(seconds))

"""JSON API: status, health, sessions, shots, settings, fire; the kiosk's start/consent/cancel/done buttons.

Every POST carries the CSRF token (checked before the view, see :func:`booth.web.create_app`). The session
buttons answer only the kiosk screen (``web.kiosk_addresses``) or the logged-in operator: clients' phones
share the studio network and can read the kiosk page, so CSRF alone does not keep them out. Manual fire is
the operator's alone. Refusals are JSON ``{"error": "<one line>"}`` with the status that says why: 400
malformed body, 401 not logged in, 403 not the kiosk or the operator, 404 unknown id, 409 the booth refused
the action in its current state, 413 body too large.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from booth.errors import BoothError, ConfigError, SessionBusy, SessionNotFound, StorageError
from booth.web.context import booth_service, client_status, require_booth_control, require_operator
from booth.web.settings_form import field_errors

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__)


def _error(status: int, message: str, **extra: Any) -> Response:
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


def whole_number(text: str, low: int, high: int) -> int | None:
    """``text`` as a whole number in ``low..high``, or None. ASCII digits only: ``str.isdigit`` takes
    "²" (which ``int`` then refuses: a 500) and ``int`` takes "١٢" (12): neither is a number a client
    meant; and a few digits at most, since ``int`` of thousands of them raises too."""
    if re.fullmatch(r"[0-9]{1,9}", text) is None:
        return None
    value = int(text)
    return value if low <= value <= high else None


def _json_body() -> dict[str, Any] | Response:
    """The request's JSON object (an empty body is ``{}``), or a 400 response."""
    if not request.get_data(cache=True):
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "the body must be a JSON object")
    return body


@bp.get("/healthz")
def healthz() -> Response:
    health = booth_service().health()
    response = jsonify(health.to_json())
    response.status_code = 200 if health.ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/api/status")
def status() -> Response:
    return jsonify(client_status())


@bp.get("/api/looks")
def looks() -> Response:
    return jsonify(booth_service().looks())


def _act(action: str, call: Callable[[], object]) -> Response:
    """Run one of the booth's session actions; a refusal is a 409 with the booth's one-line reason."""
    try:
        call()
    except BoothError as err:
        log.info("%s refused: %s", action, err)
        return _error(409, str(err))
    return jsonify(client_status())


@bp.post("/api/session/start")
@require_booth_control
def start_session() -> Response:
    body = _json_body()
    if isinstance(body, Response):
        return body
    unknown = sorted(set(body) - {"preset"})
    if unknown:
        return _error(400, f'unknown field {unknown[0]!r}; only "preset" may be sent')
    preset = body.get("preset")
    if preset is not None and not isinstance(preset, str):
        return _error(400, "preset must be a shot-list name")
    return _act("start_session", lambda: booth_service().start_session(preset))


@bp.post("/api/session/consent")
@require_booth_control
def consent() -> Response:
    return _act("consent", booth_service().consent)


@bp.post("/api/session/cancel")
@require_booth_control
def cancel() -> Response:
    return _act("cancel_session", booth_service().cancel_session)


@bp.post("/api/session/finish")
@require_booth_control
def finish() -> Response:
    """The sitter pressed Done on the review screen: deliver now (409 outside the review)."""
    return _act("finish", booth_service().finish)


@bp.post("/api/fire")
@require_operator
def fire() -> Response:
    return _act("fire", booth_service().fire)


def session_json(record: Any, shots: int | None = None) -> dict[str, Any]:
    return {
        "id": record.id,
        "status": record.status,
        "shot_list": list(record.shot_list),
        "created_at": record.created_at,
        "ended_at": record.ended_at,
        "shots": shots,
        "gallery": url_for("gallery.page", token=record.token),
        "export": url_for("operator.export", session_id=record.id),
    }


def shot_json(record: Any, shot: Any) -> dict[str, Any]:
    return {
        "id": shot.id,
        "look": shot.look,
        "combined": shot.combined,
        "best": shot.best,
        "scores": shot.scores,
        "width": shot.width,
        "height": shot.height,
        "crops": {k: list(v) for k, v in shot.crops.items()},
        "taken_at": shot.taken_at,
        "url": url_for("gallery.photo", token=record.token, shot_id=shot.id),
    }


@bp.get("/api/sessions")
@require_operator
def sessions() -> Response:
    storage = booth_service().storage
    limit = whole_number(request.args.get("limit", "100"), 1, 1000)
    if limit is None:
        return _error(400, "limit must be a whole number from 1 to 1000 (ASCII digits), e.g. ?limit=50")
    records = storage.sessions(limit)
    return jsonify([session_json(r, len(storage.shots(r.id))) for r in records])


@bp.get("/api/sessions/<id:session_id>")
@require_operator
def session_detail(session_id: int) -> Response:
    storage = booth_service().storage
    record = storage.session(session_id)
    if record is None:
        return _error(404, f"no session {session_id}")
    shots = storage.shots(record.id)
    return jsonify({**session_json(record, len(shots)), "photos": [shot_json(record, s) for s in shots]})


@bp.post("/api/sessions/<id:session_id>/delete")
@require_operator
def delete_session(session_id: int) -> Response:
    try:
        booth_service().delete_session(session_id)
    except SessionNotFound as err:
        return _error(404, str(err))
    except SessionBusy as err:
        return _error(409, str(err))
    except StorageError as err:
        return _error(503, str(err))
    return jsonify({"deleted": session_id})


@bp.get("/api/settings")
@require_operator
def get_settings() -> Response:
    return jsonify(booth_service().settings.model_dump(mode="json"))


@bp.post("/api/settings")
@require_operator
def post_settings() -> Response:
    body = _json_body()
    if isinstance(body, Response):
        return body
    if not body:
        return _error(400, 'send the settings to change, e.g. {"policy": {"min_frames": 5}}')
    service = booth_service()
    errors = field_errors(service.settings, body)
    if errors:
        first = next(iter(errors))
        return _error(400, f"{first}: {errors[first]}", fields=errors)
    try:
        settings = service.update_settings(body)
    except ConfigError as err:
        return _error(400, str(err))
    except BoothError as err:  # busy, or a camera that will not open: nothing was changed
        return _error(409, str(err))
    return jsonify(settings.model_dump(mode="json"))

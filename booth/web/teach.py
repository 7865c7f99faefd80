"""JSON API of the operator's "Teach a look" and of the photographer's marks on kept photos.

Every route is the logged-in operator's (:func:`~booth.web.context.require_operator`, 401 otherwise), and
every POST carries the CSRF token, checked before the view like every POST of the page
(:func:`booth.web.create_app`). The flow itself is :class:`booth.service.teaching.Teaching`; these views
only check the body's shape. Answers are the desk's status (:meth:`Teaching.status`); refusals are
``{"error": "<one line>"}``: 400 a malformed body or a bad name, 404 an unknown photo, 409 the booth
refused (nothing recorded, a take still recording, examples it cannot learn from, a busy booth).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from booth.errors import BoothError, ConfigError, StorageError
from booth.service.teach import DEFAULT_SECONDS
from booth.web.context import booth_service, require_operator

log = logging.getLogger(__name__)

bp = Blueprint("teach", __name__)

MARKS = {"good": True, "not_good": False, None: None}


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _body(allowed: set[str]) -> dict[str, Any] | Response:
    """The request's JSON object with only ``allowed`` keys (empty body: ``{}``), or a 400."""
    if not request.get_data(cache=True):
        return {}
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested thousands deep: hostile, not a teach request
        body = None
    if not isinstance(body, dict):
        return _error(400, "the body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        return _error(400, f"unknown field {unknown[0]!r}; send only {', '.join(sorted(allowed))}")
    return body


def _act(what: str, call: Callable[[], dict[str, Any]]) -> Response:
    try:
        return jsonify(call())
    except ConfigError as err:
        return _error(400, str(err))
    except BoothError as err:
        log.info("teach %s refused: %s", what, err)
        return _error(409, str(err))


@bp.get("/api/teach")
@require_operator
def status() -> Response:
    return jsonify(booth_service().teaching.status())


@bp.post("/api/teach/record")
@require_operator
def record() -> Response:
    body = _body({"kind", "seconds"})
    if isinstance(body, Response):
        return body
    kind, seconds = body.get("kind"), body.get("seconds", DEFAULT_SECONDS)
    if not isinstance(kind, str):
        return _error(400, 'kind must be "holding" or "not"')
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return _error(400, "seconds must be a number")
    return _act("record", lambda: booth_service().teaching.record(kind, float(seconds)))


@bp.post("/api/teach/learn")
@require_operator
def learn() -> Response:
    body = _body({"name"})
    if isinstance(body, Response):
        return body
    name = body.get("name", "")
    return _act("learn", lambda: booth_service().teaching.learn(name))


@bp.post("/api/teach/refit")
@require_operator
def refit() -> Response:
    body = _body({"look"})
    if isinstance(body, Response):
        return body
    look = body.get("look", "")
    return _act("refit", lambda: booth_service().teaching.refit(look))


@bp.post("/api/teach/save")
@require_operator
def save() -> Response:
    return _act("save", booth_service().teaching.save)


@bp.post("/api/teach/discard")
@require_operator
def discard() -> Response:
    return _act("discard", booth_service().teaching.discard)


@bp.post("/api/teach/undo")
@require_operator
def undo() -> Response:
    return _act("undo", booth_service().teaching.undo)


@bp.get("/api/marks")
@require_operator
def marks() -> Response:
    """Per look: photos marked good and not good, how many carry signals, and whether a refit is offered."""
    return jsonify(booth_service().teaching.refit_offers())


@bp.post("/api/shots/<id:shot_id>/mark")
@require_operator
def mark(shot_id: int) -> Response:
    body = _body({"mark"})
    if isinstance(body, Response):
        return body
    value = body.get("mark")
    if not (value is None or isinstance(value, str)) or value not in MARKS:
        return _error(400, 'mark must be "good", "not_good" or null')
    try:
        found = booth_service().storage.mark_shot(shot_id, MARKS[value])
    except StorageError as err:
        return _error(503, str(err))
    if not found:
        return _error(404, f"no photo {shot_id}; it was deleted or never kept")
    return jsonify({"id": shot_id, "mark": value, "offers": booth_service().teaching.refit_offers()})

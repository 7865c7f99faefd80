"""The operator's pages: first-run setup, login, the live dashboard, settings, sessions and their review.

Login is one shared operator password (a booth has one operator at a time, standing next to it). The
dashboard's live parts (scores, timings, state, camera and GPIO status, pulses) come over ``/api/events``;
forms post back here and redirect (post/redirect/get), so a reload never re-submits.

The page also says what leaves the booth: whether a phone can open the gallery link at all (a booth that
listens on loopback only cannot be reached: the banner names the address the QR code would need), the
cloud delivery's queue (pending, failing with the reason, done) and the fleet link's connection. Pause and
Resume stop and allow new sessions (a running one finishes).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from booth import shot_lists
from booth.errors import BoothError, SessionBusy, SessionNotFound, StorageError
from booth.web.context import (
    OPERATOR_KEY,
    booth_service,
    fleet_state,
    foreign_host_reason,
    operator_logged_in,
    own_host,
    reach,
    require_operator,
)
from booth.web.port import BoothPort
from booth.web.security import csrf_matches, is_loopback, new_csrf_token, password_problem
from booth.web.settings_form import (
    current_values,
    field_errors,
    form_fields,
    parse_form,
    shot_list_choices,
)

log = logging.getLogger(__name__)

bp = Blueprint("operator", __name__, url_prefix="/operator")


def _safe_next(target: str | None) -> str:
    """Only a path on this booth (never ``//evil`` or ``http://...``) may follow the login."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("operator.dashboard")


def _begin_login() -> None:
    """A fresh session (no fixation of a pre-login cookie) carrying a new login id the booth holds, so
    logout and a new password can end it (see "Logins kept on the booth" in :mod:`booth.web.security`)."""
    session.clear()
    session["csrf"] = new_csrf_token()
    session[OPERATOR_KEY] = current_app.extensions["booth.logins"].begin()
    session.permanent = True


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Any:
    passwords = current_app.extensions["booth.passwords"]
    if passwords.is_set:
        return redirect(url_for("operator.login"))
    local = is_loopback(request.remote_addr)
    if local and not own_host():  # loopback under a foreign name: a rebound page (DNS rebinding)
        log.warning("refused first-run setup from %s for Host %r", request.remote_addr, request.host)
        reason = foreign_host_reason()
        abort(403, f"{reason[0].upper()}{reason[1:]}.")
    error = None
    if request.method == "POST":
        # Same limiter as the login: the setup code is a password too until it is used.
        limiter = current_app.extensions["booth.login_limiter"]
        address = request.remote_addr or "?"
        wait = limiter.retry_after(address)
        if wait > 0:
            error = f"Too many attempts. Try again in {int(wait) + 1} s."
            body = render_template("setup.html", local=local, error=error)
            return Response(body, 429, headers={"Retry-After": str(int(wait) + 1)})
        code = current_app.extensions["booth.setup_code"]
        if not local and not csrf_matches(code, request.form.get("setup_code", "").strip()):
            limiter.failed(address)
            log.warning("wrong setup code from %s", address)
            error = "Wrong setup code. It is in the booth's log (journalctl -u booth)."
        else:
            error = password_problem(request.form.get("password", ""), request.form.get("confirm", ""))
        if error is None:
            if not passwords.set_first(request.form["password"]):
                return redirect(url_for("operator.login"))
            current_app.extensions["booth.setup_code"] = None
            limiter.succeeded(address)
            log.warning("operator password set from %s", request.remote_addr)
            _begin_login()
            return redirect(url_for("operator.dashboard"))
    status = 400 if error else 200
    return render_template("setup.html", local=local, error=error), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    passwords = current_app.extensions["booth.passwords"]
    if not passwords.is_set:
        return redirect(url_for("operator.setup"))
    limiter = current_app.extensions["booth.login_limiter"]
    address = request.remote_addr or "?"
    error = None
    status = 200
    if request.method == "POST":
        wait = limiter.retry_after(address)
        if wait > 0:
            error = f"Too many attempts. Try again in {int(wait) + 1} s."
            body = render_template("login.html", error=error, next=request.form.get("next", ""))
            return Response(body, 429, headers={"Retry-After": str(int(wait) + 1)})
        if passwords.check(request.form.get("password", "")):
            limiter.succeeded(address)
            log.info("operator logged in from %s", address)
            _begin_login()
            return redirect(_safe_next(request.form.get("next")))
        limiter.failed(address)
        log.warning("failed operator login from %s", address)
        error, status = "Wrong password.", 401
    if operator_logged_in() and request.method == "GET":
        return redirect(url_for("operator.dashboard"))
    return render_template("login.html", error=error, next=request.args.get("next", "")), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    current_app.extensions["booth.logins"].end(session.get(OPERATOR_KEY))  # every copy of the cookie
    session.clear()
    return redirect(url_for("kiosk.index"))


@bp.get("")
@bp.get("/")
@require_operator
def dashboard() -> str:
    return _dashboard()


def _dashboard(values: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> str:
    service = booth_service()
    settings = service.settings
    fields = form_fields(look["name"] for look in service.looks())
    groups: dict[str, list] = {}
    for f in fields:
        groups.setdefault(f.group, []).append(f)
    records = service.storage.sessions(50)
    counts = {r.id: len(service.storage.shots(r.id)) for r in records}
    s = settings.session
    try:  # what Start would run, shown while idle (the settings check already refused unknown names)
        start_plan = shot_lists.resolve(
            s.shot_list, s.custom_shot_lists, s.shots_per_look, s.look_seconds, s.per_look
        )
    except KeyError:
        start_plan = ()
    return render_template(
        "operator.html",
        groups=groups,
        values=values or current_values(settings, fields),
        errors=errors or {},
        choices={"session.shot_list": shot_list_choices(settings)},
        sessions=records,
        counts=counts,
        start_plan=start_plan,
        shot_list=s.shot_list,
        status=service.status(),
        retention_days=settings.storage.retention_days,
        settings_looks_file=settings.looks.file,
        threshold_warnings=service.threshold_warnings(),
        reach=reach(),
        paused=service.paused,
        **outbound(service),
    )


def outbound(service: BoothPort) -> dict[str, Any]:
    """What the Delivery section and the Fleet line show (each part is optional on a booth)."""
    delivery = service.settings.delivery
    outbox = None
    problem = ""
    try:
        outbox = service.outbox()
    except StorageError as err:  # a queue that cannot be read must not take the dashboard down with it
        problem = f"The upload queue cannot be read: {err}"
    live = service.delivery
    where = delivery.endpoint_url or "AWS S3"
    return {
        "delivery": {
            "enabled": delivery.enabled and live is not None,
            "configured": delivery.enabled,
            "bucket": f"{where.rstrip('/')}/{delivery.bucket}/{delivery.prefix}".rstrip("/"),
            "link": delivery.link,
            "error": live.connected if live is not None else None,
            "problem": problem,
        },
        "outbox": outbox,
        "fleet_settings": service.settings.fleet,
        "fleet": fleet_state(service),
    }


def _pause_redirect() -> ResponseReturnValue:
    return redirect(url_for("operator.dashboard") + "#live")


@bp.post("/pause")
@require_operator
def pause() -> ResponseReturnValue:
    """No new session until Resume (a running one finishes); the kiosk says the booth is paused."""
    try:
        booth_service().pause("paused by the operator")
    except BoothError as err:
        flash(f"The booth was not paused: {err}.", "error:live")
    else:
        log.info("booth paused by the operator")
        flash("The booth is paused: it starts no new session until you resume it.", "ok:live")
    return _pause_redirect()


@bp.post("/resume")
@require_operator
def resume() -> ResponseReturnValue:
    try:
        booth_service().resume()
    except BoothError as err:
        flash(f"The booth was not resumed: {err}.", "error:live")
    else:
        log.info("booth resumed by the operator")
        flash("The booth takes sessions again.", "ok:live")
    return _pause_redirect()


@bp.post("/settings")
@require_operator
def save_settings() -> Any:
    service = booth_service()
    fields = form_fields(look["name"] for look in service.looks())
    changes, errors = parse_form(request.form, fields)
    if not errors:
        errors = field_errors(service.settings, changes)
    if not errors:
        try:
            service.update_settings(changes)
        except BoothError as err:  # a bad value, or busy: nothing was changed
            errors = {"": str(err)}
    if errors:
        values = {f.key: request.form.get(f.key, "") for f in fields}
        known = {f.key for f in fields}
        loose = [f"{k}: {v}" if k else v for k, v in errors.items() if k not in known]
        if loose:
            flash(" ".join(loose), "error:settings")
        return _dashboard(values, errors), 400
    log.info("settings changed by the operator: %s", changes)
    flash("Settings saved.", "ok:settings")  # shown inside Settings, where the redirect lands
    for warning in service.threshold_warnings():  # saved, but it will not do what was meant
        log.warning("threshold: %s", warning)
    return redirect(url_for("operator.dashboard") + "#settings")


@bp.post("/sessions/<id:session_id>/delete")
@require_operator
def delete(session_id: int) -> ResponseReturnValue:
    try:
        booth_service().delete_session(session_id)
    except SessionNotFound:
        abort(404, f"No session {session_id}.")
    except (SessionBusy, StorageError) as err:
        flash(f"{str(err)[0].upper()}{str(err)[1:]}.", "error:sessions")
    else:
        flash(f"Session {session_id} deleted.", "ok:sessions")
    # "KIND:sessions": shown inside the Sessions section, where the page lands, not at the top.
    return redirect(url_for("operator.dashboard") + "#sessions")


@bp.get("/sessions/<id:session_id>")
@require_operator
def review(session_id: int) -> str:
    """One session's kept photos, each marked good or not good for its look (what a refit learns from)."""
    service = booth_service()
    record = service.storage.session(session_id)
    if record is None:
        abort(404, f"No session {session_id}.")
    return render_template(
        "review.html",
        session=record,
        shots=service.storage.shots(record.id),
        offers=service.teaching.refit_offers(),
    )


@bp.get("/sessions/<id:session_id>/export.zip")
@require_operator
def export(session_id: int) -> Response:
    storage = booth_service().storage
    if storage.session(session_id) is None:
        abort(404, f"No session {session_id}.")
    try:
        path = storage.export_zip(session_id, sidecars=True)  # the operator's copy keeps the sidecars
    except SessionNotFound:
        abort(404, f"No session {session_id}.")
    except StorageError as err:
        abort(503, str(err))
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=path.name)

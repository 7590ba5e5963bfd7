"""Request-wide behaviour: sessions, sign-in loading, the policy gate, headers and error pages."""
from __future__ import annotations

from flask import Flask, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from aocp import http, logs, policy
from aocp.extensions import db, login_manager
from aocp.http import ERROR_TEXT, json_error, wants_json
from aocp.sessions import DatabaseSessionInterface

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'")

# Pages a signed-in person who must still set up a second factor may open.
MFA_SETUP_ENDPOINTS = {"profile.mfa_setup", "accounts.logout", "static", "main.healthz"}
# Pages whose script posts JSON, which the view reads and checks itself (the minutes editor's drafts).
JSON_PAGES = {"meetings.minutes_draft"}

MAX_PAGE_NUMBER = 1_000_000


def refuse_unstorable_input():
    """Refuse input that would make the database fail rather than answer (a 500 instead of a 4xx).

    PostgreSQL text cannot hold NUL characters, so a query string or a plain form carrying one is a
    bad request. A page number past any real list overflows the query's OFFSET: like any page past
    the end of a list it is not found. (API endpoints check their JSON and paging themselves.)
    """
    # `next` is exempt: safe_next() already ignores one with control characters, and it is never stored.
    values = [request.path, *(k for k in request.args),
              *(v for k, v in request.args.items(multi=True) if k != "next")]
    if request.mimetype == "application/x-www-form-urlencoded":
        values += [*(k for k in request.form), *(v for k, v in request.form.items(multi=True) if k != "next")]
    if any("\x00" in value for value in values):
        abort(400)
    # Flask-WTF reads a JSON body as form data of any shape (a list or a number made it fail); pages take forms.
    if request.is_json and request.method != "GET" and not wants_json() and request.endpoint not in JSON_PAGES:
        abort(400)
    page = request.args.get("page", "")
    if not wants_json() and page.isascii() and page.isdigit() and (len(page) > 9 or int(page) > MAX_PAGE_NUMBER):
        abort(404)


def init_app(app: Flask) -> None:
    app.session_interface = DatabaseSessionInterface()
    _init_login()
    from aocp.accounts.models import ROLE_LABELS
    app.jinja_env.filters["role_label"] = lambda code: ROLE_LABELS.get(code, code)
    app.jinja_env.filters["dt"] = lambda value: value.strftime("%d %b %Y %H:%M UTC") if value else "—"
    app.before_request(refuse_unstorable_input)
    app.before_request(policy.enforce_declared)
    app.before_request(require_mfa_setup)
    app.after_request(security_headers)
    app.context_processor(template_helpers)
    _register_error_handlers(app)


def _init_login() -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = None  # sessions live server side and are renewed at sign-in

    @login_manager.user_loader
    def load_user(user_id: str):
        from aocp.accounts.services import signed_in_person
        user = signed_in_person(int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.is_active else None

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            return json_error(401, "Authentication required: send a bearer token.", "unauthorized")
        return redirect(url_for("accounts.login", next=request.full_path if request.query_string else request.path))


def require_mfa_setup():
    """Someone who must have a second factor and has none may only set one up (or sign out)."""
    if (request.endpoint not in MFA_SETUP_ENDPOINTS and not wants_json()
            and current_user.is_authenticated and current_user.mfa_required
            and not current_user.mfa_enabled):
        return redirect(url_for("profile.mfa_setup"))
    return None


def security_headers(response):
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "strict-origin-when-cross-origin"
    h["X-Frame-Options"] = "DENY"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config["HSTS"]:
        h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if request.endpoint != "static":
        h["Cache-Control"] = "no-store"  # pages carry personal or restricted data
    return response


def template_helpers():
    return {
        "can": lambda rule, obj=None: policy.can(current_user, rule, obj),
        "session_expired": getattr(session, "expired", False),
    }


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(policy.PermissionDenied)
    def permission_denied(err):
        # A loader or a service refused: the same 403 as a refused page, audited the same way.
        user = http.actor()
        if user is not None and user.is_authenticated:
            policy.record_denial(user, str(err) if str(err) in policy.RULES else "service")
        title, message = ERROR_TEXT[403]
        message = getattr(err, "message", "") or message
        if wants_json():
            return json_error(403, message, "forbidden")
        return render_template("errors/error.html", status=403, title=title, message=message), 403

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        message = "Your form expired or was sent from elsewhere. Please reload the page and try again."
        if wants_json():
            return json_error(400, message, "csrf")
        return render_template("errors/error.html", status=400, title="Form expired", message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if isinstance(getattr(err, "original_exception", None), OperationalError):  # lost opening the session
            return database_unavailable(err.original_exception)
        status = err.code or 500
        title, message = ERROR_TEXT.get(status, (err.name, err.description))
        if wants_json():
            return json_error(status, err.description if status in (400, 405) else message)
        response = render_template("errors/error.html", status=status, title=title, message=message)
        return response, status

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, logs.safe_path())
        title, message = ERROR_TEXT[500]
        if wants_json():
            return json_error(500, message, "internal_error", request_id=logs.request_id())
        return render_template("errors/error.html", status=500, title=title, message=message,
                               reference=logs.request_id()), 500

    @app.errorhandler(DBAPIError)
    def database_unavailable(err: DBAPIError):
        """The database went away (restart, failover, network): a 503 to retry, not a 500 to report."""
        if not (isinstance(err, OperationalError) or err.connection_invalidated):
            return unexpected(err)
        db.session.rollback()
        app.logger.error("Database unavailable on %s %s: %s", request.method, logs.safe_path(), err.orig)
        title, message = ERROR_TEXT[503]
        if wants_json():
            return json_error(503, message, "database_unavailable")
        # A page of its own, rendered without the context processors: they look up the person in the database.
        page = app.jinja_env.get_template("errors/unavailable.html").render(title=title, message=message)
        return page, 503

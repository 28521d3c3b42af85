"""Error pages in the visitor's language, or JSON for scripts."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from app.inputs import InvalidInput

#: status -> (title, what to do next)
ERROR_TEXT = {
    400: (_l("The request could not be understood"), _l("Check what you entered and try again.")),
    401: (_l("Please sign in"), _l("Connect the wallet that holds your resident card and sign in.")),
    403: (_l("You do not have access to this page"), _l("Sign in with a wallet that holds a resident card, or ask the town office for access.")),
    404: (_l("Page not found"), _l("The address may be mistyped, or the page has moved. Try the home page.")),
    405: (_l("This action is not allowed here"), _l("Go back and use the buttons on the page.")),
    413: (_l("What you sent is too large"), _l("Send a smaller file or a shorter text.")),
    429: (_l("Too many requests"), _l("Please wait a minute and try again.")),
    500: (_l("Something went wrong on our side"), _l("Nothing you did caused this. Please try again in a few minutes; if it keeps happening, tell the town office.")),
    503: (_l("The site is busy or being maintained"), _l("Please try again shortly. If you were sending something, check whether it arrived before you send it again.")),
}

#: The database went away (restart, failover, network) or has no free connection: the request
#: was rolled back, so "try again shortly" is true, and a 503 tells proxies and monitors so.
#: PendingRollbackError: the connection died inside this request's transaction.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError, sa_exc.PendingRollbackError)
#: Seconds a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 15


def is_json_endpoint() -> bool:
    """True for the endpoints declared with `app.inputs.json_body`: they always answer JSON."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "json_shape", None) is not None


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json" or is_json_endpoint()


#: Stable codes for the refusals of JSON endpoints (which answer {"error": code, "message": text}).
ERROR_CODES = {400: "bad_request", 401: "sign_in_required", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "unprocessable", 429: "rate_limited", 503: "unavailable"}


def render_error(status: int, detail: str | None = None, *, code: str | None = None) -> ResponseReturnValue:
    title, advice = ERROR_TEXT.get(status, ERROR_TEXT[500 if status >= 500 else 400])
    if is_json_endpoint():
        # The endpoints' own scripts switch on a code and show the message, whatever refused.
        return {"error": code or ERROR_CODES.get(status, "server_error"), "message": detail or str(advice), "status": status}, status
    if wants_json():
        return {"error": str(title), "detail": detail or str(advice), "status": status}, status
    return render_template("errors/error.html", status=status, title=title, advice=advice, detail=detail), status


def _locale_without_account() -> str:
    """Pick the page language from the session or the browser: the account needs the database."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return str(chosen)
    return request.accept_languages.best_match(languages) or "ja"


def database_unavailable() -> ResponseReturnValue:
    """Answer 503 "try again shortly" without touching the database (no account, no navigation)."""
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:  # the connection is gone; the pool replaces it on next use
        pass
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    locale = _locale_without_account()
    with force_locale(locale):
        title, advice = ERROR_TEXT[503]
        if is_json_endpoint():
            return {"error": "unavailable", "message": str(advice), "status": 503}, 503, headers
        if wants_json():
            return {"error": str(title), "detail": str(advice), "status": 503}, 503, headers
        # Not render_template(): its context processors load the signed-in account (Flask-Login's
        # current_user), which needs the very database that is away.
        page = current_app.jinja_env.get_template("errors/unavailable.html")
        return page.render(title=title, advice=advice, current_locale=lambda: locale), 503, headers


def _database_error(error: BaseException) -> bool:
    cause = getattr(error, "original_exception", None) or error
    return isinstance(cause, DATABASE_UNAVAILABLE)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    @app.errorhandler(sa_exc.DisconnectionError)
    @app.errorhandler(sa_exc.TimeoutError)
    @app.errorhandler(sa_exc.PendingRollbackError)
    def database_error(error: Exception) -> ResponseReturnValue:
        # One line, no traceback: during an outage every request lands here.
        cause = getattr(error, "orig", None) or error
        first_line = (str(cause).strip().splitlines() or [""])[0]
        app.logger.warning("database unavailable on %s %s: %s: %s", request.method, request.path, type(cause).__name__, first_line)
        return database_unavailable()

    @app.errorhandler(InvalidInput)
    def invalid_input(error: InvalidInput) -> ResponseReturnValue:
        db.session.rollback()
        if wants_json() and not is_json_endpoint():
            return {"error": error.error, "message": str(error), "status": 400}, 400
        return render_error(400, str(error), code=error.error)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return render_error(400, str(_l("The form expired or was sent from another site. Reload the page and try again.")), code="csrf")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if isinstance(error, InternalServerError):
            return internal_error(error)
        # The request fails anyway (4xx rolls back); rolling back first lets the error page load
        # the account even when the connection died inside this request's transaction.
        db.session.rollback()
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> ResponseReturnValue:
        # Raised while committing (after the view) it arrives wrapped in an InternalServerError.
        if _database_error(error):
            return database_error(getattr(error, "original_exception", None) or error)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(500)

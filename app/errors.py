"""Error pages in the visitor's language, or JSON for scripts."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db

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
}


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"


def render_error(status: int, detail: str | None = None) -> ResponseReturnValue:
    title, advice = ERROR_TEXT.get(status, ERROR_TEXT[500 if status >= 500 else 400])
    if wants_json():
        return {"error": str(title), "detail": detail or str(advice), "status": status}, status
    return render_template("errors/error.html", status=status, title=title, advice=advice, detail=detail), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return render_error(400, str(_l("The form expired or was sent from another site. Reload the page and try again.")))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if isinstance(error, InternalServerError):
            return internal_error(error)
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(500)

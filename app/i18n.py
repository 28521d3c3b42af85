"""Language choice: the person's setting, then the browser's, then Japanese."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user

from app.extensions import db
from app.inputs import ANY_CONTROL

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


@bp.app_context_processor
def locale_in_templates() -> dict[str, object]:
    return {"current_locale": lambda: str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])}


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Return `target` only when it is a path on this site, so redirects cannot leave it (and
    no line break or other control character can reach the Location header)."""
    if not target or not isinstance(target, str) or len(target) > 2048 or ANY_CONTROL.search(target) or " " in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


@bp.post("/language")
def switch_language() -> ResponseReturnValue:
    """Remember the chosen language: on the account when signed in, else in the session."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.flush()
    return redirect(safe_next(request.form.get("next")))

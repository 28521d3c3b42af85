from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.i18n import safe_next
from community.gating.access import signed_in_account
from community.gating.errors import NotSignedIn
from community.notifications.models import Notification
from community.notifications.service import mark_read, unread_for

bp = Blueprint("notifications", __name__, template_folder="templates", url_prefix="/notifications")


@dataclass(frozen=True)
class ShownNotice:
    """A notice as the banner shows it: already in the reader's language."""

    id: int
    text: str
    link: str | None


def _localized(value: Any, locale: str) -> Any:
    if isinstance(value, dict):
        return value.get(locale) or value.get("ja") or next(iter(value.values()), "")
    return value


def render_notice(notification: Notification, locale: str) -> ShownNotice:
    """Translate a stored notice into `locale`."""
    params = {name: _localized(value, locale) for name, value in (notification.params or {}).items()}
    return ShownNotice(notification.id, gettext(notification.message_key, **params), notification.link)


@bp.app_context_processor
def notifications_in_templates() -> dict[str, object]:
    def unread_notifications() -> list[ShownNotice]:
        account = signed_in_account()
        if account is None:
            return []
        try:
            notices = unread_for(account)
        except SQLAlchemyError:
            # Error pages render this banner too; a broken database must not break the error page.
            current_app.logger.warning("could not load notifications", exc_info=True)
            db.session.rollback()
            return []
        locale = str(get_locale() or "ja")
        return [render_notice(notice, locale) for notice in notices]

    return {"unread_notifications": unread_notifications}


def _account_or_refuse():  # type: ignore[no-untyped-def]
    account = signed_in_account()
    if account is None:
        raise NotSignedIn(_l("Sign in to see your notices."))
    return account


@bp.post("/<int:notification_id>/read")
def read(notification_id: int) -> ResponseReturnValue:
    """Dismiss one notice, then go back to the page it was dismissed on."""
    mark_read(_account_or_refuse(), notification_id)
    return redirect(safe_next(request.form.get("next")), code=303)


@bp.post("/read")
def read_all() -> ResponseReturnValue:
    """Dismiss every notice."""
    mark_read(_account_or_refuse())
    return redirect(safe_next(request.form.get("next")), code=303)

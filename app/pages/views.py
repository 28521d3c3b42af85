from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask.typing import ResponseReturnValue

bp = Blueprint("pages", __name__)

#: (endpoint, label, who sees it) in the order of the header. A feature's link appears once its
#: blueprint is registered, so features can land one at a time.
NAVIGATION = (
    ("forums.index", _l("Forums"), "everyone"),
    ("meetups.index", _l("Metaverse meetups"), "everyone"),
    ("exchange.index", _l("Exchange events"), "everyone"),
    ("auth.my_page", _l("My page"), "signed_in"),
    ("staff.dashboard", _l("Staff"), "staff"),
)


@bp.app_context_processor
def navigation() -> dict[str, object]:
    def main_navigation() -> list[tuple[str, object]]:
        endpoints = current_app.view_functions
        signed_in = current_user.is_authenticated
        is_staff = signed_in and bool(current_user.roles)
        shown = {"everyone": True, "signed_in": signed_in, "staff": is_staff}
        return [(endpoint, label) for endpoint, label, audience in NAVIGATION if endpoint in endpoints and shown[audience]]

    return {"main_navigation": main_navigation}


@bp.get("/")
def home() -> ResponseReturnValue:
    """Show what the town's digital residency is."""
    return render_template("pages/home.html")


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Send browsers that ask for /favicon.ico to the site icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)

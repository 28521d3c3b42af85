"""The site's frame: the header's navigation, the favicon, and the town's own pages (privacy
policy, terms of use, contact), which the town edits without touching the code: a template of
the same name under `<instance>/templates/` replaces the one shipped here (see README, "The
town's pages")."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader

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


def use_town_templates(app: Flask) -> None:
    """Look for templates in `<instance>/templates/` first, so the town can replace any page."""
    loaders: list[BaseLoader] = [FileSystemLoader(str(Path(app.instance_path) / "templates"))]
    if app.jinja_loader is not None:
        loaders.append(app.jinja_loader)
    app.jinja_loader = ChoiceLoader(loaders)  # type: ignore[assignment]


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    """Show the privacy policy."""
    return render_template("pages/privacy.html")


@bp.get("/terms")
def terms() -> ResponseReturnValue:
    """Show the terms of use."""
    return render_template("pages/terms.html")


@bp.get("/contact")
def contact() -> ResponseReturnValue:
    """Show how to reach the town office."""
    return render_template("pages/contact.html")


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Send browsers that ask for /favicon.ico to the site icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)

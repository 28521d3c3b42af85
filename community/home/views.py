"""The home page, and the town's artwork it shows (the mark in the header, an example card)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template
from flask.typing import ResponseReturnValue

from community.home import service

bp = Blueprint("home", __name__, template_folder="templates")

#: Where "become a resident" leads. One place to repoint when the issuance rounds open: an
#: endpoint name, or a path with an anchor on this page.
BECOME_A_RESIDENT = "#become-a-resident"
#: The artwork changes only with the card template: a day in every cache is fine.
ARTWORK_MAX_AGE = 86400


@bp.get("/")
def index() -> ResponseReturnValue:
    """Show what the town's digital residency is, what is coming up, and how to join."""
    page = service.home_page(current_app.config["ANNOUNCEMENTS_CATEGORY"])
    return render_template("home/index.html", page=page, become_a_resident=BECOME_A_RESIDENT)


@bp.get("/town-mark.png")
def town_mark() -> ResponseReturnValue:
    """The town's mark, the emblem printed on the cards."""
    return _artwork(service.town_mark_png())


@bp.get("/example-card.png")
def example_card() -> ResponseReturnValue:
    """An example digital resident card, drawn with the card template."""
    return _artwork(service.example_card_png(current_app.config["SITE_URL"]))


def _artwork(png: bytes) -> Response:
    response = Response(png, mimetype="image/png")
    response.cache_control.public = True
    response.cache_control.max_age = ARTWORK_MAX_AGE
    return response

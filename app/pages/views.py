from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> ResponseReturnValue:
    """Show what the town's digital residency is."""
    return render_template("pages/home.html")


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Send browsers that ask for /favicon.ico to the site icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)

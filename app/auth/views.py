from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import logout_user

bp = Blueprint("auth", __name__)


@bp.get("/sign-in")
def sign_in() -> ResponseReturnValue:
    """Show the wallet sign-in page."""
    return render_template("auth/sign_in.html")


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    """Sign out and forget the session."""
    logout_user()
    return redirect(url_for("pages.home"))

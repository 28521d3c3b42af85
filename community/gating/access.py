"""View decorators that ask the gating service, and turn its refusals into pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.auth.models import Account
from community.gating.errors import AccessDenied, NotSignedIn
from community.gating.service import require_resident, require_role

F = TypeVar("F", bound=Callable[..., Any])


def signed_in_account() -> Account | None:
    return current_user._get_current_object() if current_user.is_authenticated else None  # type: ignore[attr-defined]


def resident_required(view: F) -> F:
    """Let only card holders in; the residency is on `g.residency` for the view."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.residency = require_resident(signed_in_account())
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def role_required(role: str) -> Callable[[F], F]:
    """Let only staff with `role` (or admins) in."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require_role(signed_in_account(), role)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def register_gating(app: Flask) -> None:
    """Show refusals as pages: to sign-in when nobody is signed in, else 403 with the reason."""
    from app.errors import render_error, wants_json

    @app.errorhandler(AccessDenied)
    def access_denied(error: AccessDenied) -> ResponseReturnValue:
        if isinstance(error, NotSignedIn) and not wants_json():
            return redirect(url_for("auth.sign_in", next=request.full_path if request.query_string else request.path))
        return render_error(error.status, str(error))

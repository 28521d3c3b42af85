"""Fixtures for the forum tests: people in every role, a small forum, and CSRF tokens.

Imported by tests/unit/test_forums*.py and tests/browser/test_forums_xss.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.models import Account
from app.extensions import db
from community.forums import service
from community.forums.models import PUBLIC, RESIDENTS_ONLY

ROLES = ("anonymous", "visitor", "resident", "moderator", "admin")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient) -> str:
    """Fetch a page and return the CSRF token the session got (as a browser would)."""
    page = client.get("/forums").get_data(as_text=True)
    match = CSRF.search(page)
    assert match, "the forum index has no CSRF token to take"
    return match.group(1)


def account(account_id: int) -> Account:
    """Load an account in the current app context (the factories hand out detached copies)."""
    found = db.session.get(Account, account_id)
    assert found is not None
    return found


@dataclass
class Forum:
    """A residents-only and a public category with one thread each, written by `author`."""

    author: Account
    admin: Account
    members_slug: str
    town_slug: str
    members_category_id: int
    town_category_id: int
    members_thread_id: int
    members_post_id: int
    town_thread_id: int
    town_post_id: int


@pytest.fixture
def person(create_account, give_card) -> Callable[[str], Account | None]:  # type: ignore[no-untyped-def]
    """Factory: an account in the given role (None for anonymous)."""

    def make(role: str, display_name: str | None = None) -> Account | None:
        if role == "anonymous":
            return None
        if role == "visitor":
            return create_account(display_name=display_name)  # type: ignore[no-any-return]
        if role == "resident":
            resident = create_account(display_name=display_name)
            give_card(resident.address)
            return resident  # type: ignore[no-any-return]
        return create_account(roles=(role,), display_name=display_name)  # type: ignore[no-any-return]

    return make


@pytest.fixture
def forum(app: Flask, create_account, give_card) -> Forum:  # type: ignore[no-untyped-def]
    """A small forum: categories `members` (residents only) and `town` (public), a thread in each."""
    author = create_account(display_name="西川 花子")
    give_card(author.address, 9001)
    admin = create_account(roles=("admin",), display_name="Town admin")
    with app.app_context():
        writer, boss = account(author.id), account(admin.id)
        members = service.create_category(boss, service.CategoryInput("members", "住民の広場", "Residents' square", "住民だけ", "Residents only", 1, RESIDENTS_ONLY))
        town = service.create_category(boss, service.CategoryInput("town", "町からのお知らせ", "Town notices", "", "", 0, PUBLIC))
        members_thread = service.start_thread(writer, service.NewThread("members", "西川町の温泉", "月山の麓の温泉に行きました。"))
        town_thread = service.start_thread(writer, service.NewThread("town", "お知らせ", "町のお知らせです。"))
        db.session.commit()
        members_post = db.session.scalar(db.select(service.ForumPost.id).where(service.ForumPost.thread_id == members_thread.id))
        town_post = db.session.scalar(db.select(service.ForumPost.id).where(service.ForumPost.thread_id == town_thread.id))
        result = Forum(author, admin, "members", "town", members.id, town.id, members_thread.id, members_post, town_thread.id, town_post)
    return result


def write(app: Flask, action: Callable[..., Any], *args: Any) -> Any:
    """Call a service function in its own unit of work (committed), as a request would."""
    with app.app_context():
        accounts = [account(arg.id) if isinstance(arg, Account) else arg for arg in args]
        result = action(*accounts)
        db.session.commit()
        return getattr(result, "id", result)

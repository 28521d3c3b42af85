"""Who may do what in the forums: every route and action × anonymous, visitor (signed in, no
card), resident, moderator and admin, each with its expected outcome.

A route added to the `forums` blueprint without a row here fails
`test_every_forum_route_has_a_row`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.models import Account
from community.forums import service
from tests.unit.conftest_forums import ROLES, Forum, csrf_token, forum, person, write  # noqa: F401

#: Outcomes: an HTTP status, or "sign-in" for the redirect to the sign-in page.
SIGN_IN = "sign-in"
OK_GET = {"anonymous": 200, "visitor": 200, "resident": 200, "moderator": 200, "admin": 200}
READ_MEMBERS = {"anonymous": SIGN_IN, "visitor": 403, "resident": 200, "moderator": 200, "admin": 200}
RESIDENT_FORM = {"anonymous": SIGN_IN, "visitor": 403, "resident": 200, "moderator": 403, "admin": 403}
RESIDENT_ACTION = {"anonymous": SIGN_IN, "visitor": 403, "resident": 302, "moderator": 403, "admin": 403}
MODERATOR_PAGE = {"anonymous": SIGN_IN, "visitor": 403, "resident": 403, "moderator": 200, "admin": 200}
MODERATOR_ACTION = {"anonymous": SIGN_IN, "visitor": 403, "resident": 403, "moderator": 302, "admin": 302}
ADMIN_PAGE = {"anonymous": SIGN_IN, "visitor": 403, "resident": 403, "moderator": 403, "admin": 200}
ADMIN_ACTION = {"anonymous": SIGN_IN, "visitor": 403, "resident": 403, "moderator": 403, "admin": 302}
SIGNED_IN_PAGE = {"anonymous": SIGN_IN, "visitor": 200, "resident": 200, "moderator": 200, "admin": 200}
SIGNED_IN_ACTION = {"anonymous": SIGN_IN, "visitor": 302, "resident": 302, "moderator": 302, "admin": 302}
NOT_FOUND = {role: 404 for role in ROLES}


@dataclass(frozen=True)
class Scene:
    """What a row's URL and form may refer to, built fresh for every case."""

    forum: Forum
    #: A post the acting person wrote (residents), else the other author's post.
    own_post_id: int
    hidden_post_id: int
    report_id: int


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    url: Callable[[Scene], str]
    expected: dict[str, object]
    data: Callable[[Scene], dict[str, str]] = lambda scene: {}
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}{' ' + self.label if self.label else ''}"


TABLE = [
    Row("forums.index", "GET", lambda s: "/forums", OK_GET),
    Row("forums.category", "GET", lambda s: "/forums/c/town", OK_GET, label="public"),
    Row("forums.category", "GET", lambda s: "/forums/c/members", READ_MEMBERS, label="residents only"),
    Row("forums.category", "GET", lambda s: "/forums/c/nowhere", NOT_FOUND, label="missing"),
    Row("forums.thread", "GET", lambda s: f"/forums/t/{s.forum.town_thread_id}", OK_GET, label="public"),
    Row("forums.thread", "GET", lambda s: f"/forums/t/{s.forum.members_thread_id}", READ_MEMBERS, label="residents only"),
    Row("forums.thread", "GET", lambda s: f"/forums/t/{s.forum.members_thread_id}?last=1", READ_MEMBERS, label="last page"),
    Row("forums.thread", "GET", lambda s: "/forums/t/999999", NOT_FOUND, label="missing"),
    Row("forums.post", "GET", lambda s: f"/forums/p/{s.forum.members_post_id}", {**READ_MEMBERS, "resident": 302, "moderator": 302, "admin": 302}),
    Row("forums.post", "GET", lambda s: f"/forums/p/{s.forum.town_post_id}", {role: 302 for role in ROLES}, label="public"),
    Row("forums.new_since", "GET", lambda s: "/forums/new", SIGNED_IN_PAGE),
    Row("forums.read_all", "POST", lambda s: "/forums/read-all", SIGNED_IN_ACTION),
    Row("forums.search", "GET", lambda s: "/forums/search?q=温泉", OK_GET),
    Row("forums.new_thread", "GET", lambda s: "/forums/c/members/new", RESIDENT_FORM),
    Row("forums.new_thread", "POST", lambda s: "/forums/c/members/new", RESIDENT_ACTION, lambda s: {"title": "はじめまして", "body": "よろしく"}),
    Row("forums.new_thread", "POST", lambda s: "/forums/c/town/new", RESIDENT_ACTION, lambda s: {"title": "質問", "body": "教えてください"}, "public category"),
    Row("forums.reply", "GET", lambda s: f"/forums/t/{s.forum.members_thread_id}/reply", RESIDENT_FORM),
    Row("forums.reply", "POST", lambda s: f"/forums/t/{s.forum.members_thread_id}/reply", RESIDENT_ACTION, lambda s: {"body": "返信です"}),
    Row("forums.edit", "GET", lambda s: f"/forums/p/{s.own_post_id}/edit", RESIDENT_FORM),
    Row("forums.edit", "POST", lambda s: f"/forums/p/{s.own_post_id}/edit", RESIDENT_ACTION, lambda s: {"body": "書き直しました"}),
    Row("forums.delete", "POST", lambda s: f"/forums/p/{s.own_post_id}/delete", RESIDENT_ACTION),
    Row("forums.report", "GET", lambda s: f"/forums/p/{s.forum.members_post_id}/report", RESIDENT_FORM),
    Row("forums.report", "POST", lambda s: f"/forums/p/{s.forum.members_post_id}/report", RESIDENT_ACTION, lambda s: {"reason": "広告です"}),
    Row("forums.hide", "POST", lambda s: f"/forums/p/{s.forum.members_post_id}/hide", MODERATOR_ACTION, lambda s: {"reason": "spam"}),
    Row("forums.unhide", "POST", lambda s: f"/forums/p/{s.hidden_post_id}/unhide", MODERATOR_ACTION),
    *[
        Row("forums.thread_action", "POST", lambda s, a=action: f"/forums/t/{s.forum.members_thread_id}/{a}", MODERATOR_ACTION, label=action)
        for action in ("lock", "unlock", "pin", "unpin")
    ],
    Row("forums.move", "GET", lambda s: f"/forums/t/{s.forum.members_thread_id}/move", MODERATOR_PAGE),
    Row("forums.move", "POST", lambda s: f"/forums/t/{s.forum.members_thread_id}/move", MODERATOR_ACTION, lambda s: {"category_id": str(s.forum.town_category_id)}),
    Row("forums.reports", "GET", lambda s: "/forums/moderation/reports", MODERATOR_PAGE),
    Row("forums.resolve", "POST", lambda s: f"/forums/moderation/reports/{s.report_id}/resolve", MODERATOR_ACTION, lambda s: {"outcome": "dismissed"}),
    Row("forums.admin_categories", "GET", lambda s: "/forums/admin/categories", ADMIN_PAGE),
    Row("forums.admin_new_category", "GET", lambda s: "/forums/admin/categories/new", ADMIN_PAGE),
    Row(
        "forums.admin_new_category", "POST", lambda s: "/forums/admin/categories/new", ADMIN_ACTION,
        lambda s: {"slug": "events", "name_ja": "イベント", "name_en": "Events", "position": "3", "visibility": "public"},
    ),
    Row("forums.admin_edit_category", "GET", lambda s: f"/forums/admin/categories/{s.forum.members_category_id}/edit", ADMIN_PAGE),
    Row(
        "forums.admin_edit_category", "POST", lambda s: f"/forums/admin/categories/{s.forum.members_category_id}/edit", ADMIN_ACTION,
        lambda s: {"slug": "members", "name_ja": "住民の広場", "name_en": "Residents' square", "position": "1", "visibility": "residents"},
    ),
]


def _scene(app: Flask, forum: Forum, actor: Account | None, role: str, person) -> Scene:  # type: ignore[no-untyped-def]
    reporter = person("resident")
    moderator = person("moderator")
    hidden = write(app, lambda writer: service.reply(writer, service.NewReply(forum.members_thread_id, "隠される投稿")), forum.author)
    write(app, lambda mod: service.hide_post(mod, hidden, "test"), moderator)
    report = write(app, lambda who: service.report_post(who, service.PostReport(forum.members_post_id, "気になります")), reporter)
    own = forum.members_post_id
    if role == "resident":
        assert actor is not None
        own = write(app, lambda me: service.reply(me, service.NewReply(forum.members_thread_id, "自分の投稿")), actor)
    return Scene(forum, own, hidden, report)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.id)
def test_access(app: Flask, client: FlaskClient, forum: Forum, person, sign_in, row: Row, role: str) -> None:  # type: ignore[no-untyped-def]
    actor = person(role)
    if actor is not None:
        sign_in(client, actor)
    scene = _scene(app, forum, actor, role, person)
    url = row.url(scene)
    if row.method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client), **row.data(scene)})
    expected = row.expected[role]
    location = response.headers.get("Location", "")
    if expected == SIGN_IN:
        assert response.status_code == 302 and location.startswith("/sign-in"), f"{row.id} as {role}: {response.status_code} {location}"
    else:
        assert response.status_code == expected, f"{row.id} as {role}: got {response.status_code} {location}"
        if expected == 302:
            assert not location.startswith("/sign-in"), f"{row.id} as {role} was sent to sign in"


def test_every_forum_route_has_a_row(app: Flask) -> None:
    covered = {(row.endpoint, row.method) for row in TABLE}
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("forums.")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert routes, "no forum routes registered"
    missing = sorted(routes - covered)
    assert not missing, f"forum routes without a row in the access table: {missing}"
    assert all(set(row.expected) == set(ROLES) for row in TABLE), "every row names all five roles"


@pytest.mark.parametrize("row", [row for row in TABLE if row.method == "POST"][:6], ids=lambda row: row.id)
def test_posts_without_a_csrf_token_are_refused(client: FlaskClient, forum: Forum, person, sign_in, row: Row) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, person("admin"))
    scene = Scene(forum, forum.members_post_id, forum.members_post_id, 0)
    assert client.post(row.url(scene), data=row.data(scene)).status_code == 400

"""Page views cost a fixed number of queries, whatever the number of posts and residents, and
(on SQLite) no query reads a whole forum table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from community.forums import service
from tests.unit.conftest_forums import Forum, account, forum, person  # noqa: F401

#: Tables that grow with the town; a page view may only reach them through an index.
BIG_TABLES = ("forum_posts", "forum_threads", "forum_read_markers", "accounts", "holdings", "forum_reports")


@contextmanager
def statements(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def listen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)


def grow(app: Flask, forum: Forum, person, residents: int, posts: int) -> None:  # type: ignore[no-untyped-def]
    """Add residents who each post in the members' thread and start threads."""
    writers = [person("resident") for _ in range(residents)]
    with app.app_context():
        for n in range(posts):
            writer = account(writers[n % residents].id)
            if n % 7 == 0:
                service.start_thread(writer, service.NewThread("members", f"話題 {n}", "本文"))
            else:
                service.reply(writer, service.NewReply(forum.members_thread_id, f"返信 {n}"))
        db.session.commit()


PAGES = ["/forums", "/forums/c/members", "/forums/t/{thread}", "/forums/t/{thread}?last=1", "/forums/new", "/forums/search?q=返信", "/forums/search?q=温"]


def count_queries(app: Flask, client: FlaskClient, forum: Forum) -> dict[str, int]:
    counts = {}
    for page in PAGES:
        url = page.format(thread=forum.members_thread_id)
        client.get(url)  # warm: the first view writes the read marker
        with statements(app) as seen:
            assert client.get(url).status_code == 200
        counts[page] = len(seen)
    return counts


def test_queries_per_page_do_not_grow_with_posts_or_residents(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, person("resident"))
    grow(app, forum, person, residents=3, posts=70)
    small = count_queries(app, client, forum)
    grow(app, forum, person, residents=25, posts=150)
    large = count_queries(app, client, forum)
    assert small == large
    # The forum itself needs 5 on a thread page (card, thread, posts with authors, page edge,
    # read marker); the rest is sign-in and other features' per-request hooks.
    assert large["/forums/t/{thread}"] <= 16, large


def test_page_views_use_indexes_only(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans depend on table statistics")
    sign_in(client, person("resident"))
    grow(app, forum, person, residents=3, posts=60)
    for page in PAGES:
        with statements(app) as seen:
            client.get(page.format(thread=forum.members_thread_id))
        with app.app_context():
            connection = db.session.connection()
            for statement, parameters in seen:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                details = [row[-1] for row in plan]
                scans = [detail for detail in details if detail.startswith("SCAN ") and detail.split()[1] in BIG_TABLES and " USING " not in detail]
                assert not scans, f"{page}: full scan {scans} in\n{statement}"

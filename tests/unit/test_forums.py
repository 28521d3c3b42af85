"""Forum behaviour: listing order, editing window, soft delete, moderation with audit, reports,
unread markers, Japanese search, pagination, rate limits and what is shown beside a post."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.audit.models import AuditEntry
from app.extensions import db
from community.forums import service
from community.forums.models import ForumCategory, ForumPost, ForumReport, ForumThread
from community.forums.search import grams_of
from tests.unit.conftest_forums import Forum, account, csrf_token, forum, person, write  # noqa: F401


def reply(app: Flask, who, thread_id: int, body: str) -> int:  # type: ignore[no-untyped-def]
    return write(app, lambda writer: service.reply(writer, service.NewReply(thread_id, body)), who)  # type: ignore[no-any-return]


def start(app: Flask, who, slug: str, title: str, body: str = "本文") -> int:  # type: ignore[no-untyped-def]
    return write(app, lambda writer: service.start_thread(writer, service.NewThread(slug, title, body)), who)  # type: ignore[no-any-return]


def audit_actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)  # type: ignore[no-any-return]


# -- threads and posts ---------------------------------------------------------------------------


def test_threads_are_listed_pinned_first_then_by_last_activity(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    older = start(app, forum.author, "members", "古いスレッド")
    newer = start(app, forum.author, "members", "新しいスレッド")
    reply(app, forum.author, older, "古いスレッドに返信")  # activity moves it to the top
    moderator = person("moderator")
    write(app, lambda mod: service.set_thread_flag(mod, newer, "pinned", True), moderator)
    sign_in(client, moderator)
    titles = re.findall(r'<a href="/forums/t/\d+[^"]*">([^<]+)</a>', html(client.get("/forums/c/members")))
    assert titles == ["新しいスレッド", "古いスレッド", "西川町の温泉"]


def test_a_post_shows_name_resident_number_and_card_badge(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, person("resident"))
    page = html(client.get(f"/forums/t/{forum.members_thread_id}", headers={"Accept-Language": "en"}))
    assert "西川 花子" in page
    assert '<span class="card-badge" aria-hidden="true">9001</span>' in page
    assert "Resident No. 9001" in page


def test_a_post_shows_the_small_card_once_the_card_was_issued_here(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from app.cards.models import IssuedCard

    thumbnail = "bafkreigy5tcgloscldzhi2iadhemu2v7dj2u5wme7vgim2jlmnxindpsfi"
    with app.app_context():
        db.session.add(IssuedCard(resident_number=9001, image_cid=thumbnail, thumbnail_cid=thumbnail, metadata_cid=thumbnail, display_name="西川 花子", issued_on=date(2026, 4, 1), batch="test"))
        db.session.commit()
    sign_in(client, person("resident"))
    page = html(client.get(f"/forums/t/{forum.members_thread_id}"))
    assert f'<img class="card-thumb" src="/ipfs/{thumbnail}" alt="" width="36" height="24">' in page
    assert '<span class="card-badge" aria-hidden="true">9001</span>' not in page


def test_markdown_is_rendered_once_and_stored(app: Flask, forum: Forum) -> None:
    post_id = reply(app, forum.author, forum.members_thread_id, "**太字** と [リンク](https://example.jp)")
    with app.app_context():
        post = db.session.get(ForumPost, post_id)
        assert post is not None
        assert post.body_source == "**太字** と [リンク](https://example.jp)"
        assert post.body_html == '<p><strong>太字</strong> と <a href="https://example.jp" rel="nofollow ugc noopener">リンク</a></p>\n'


def test_empty_and_oversized_posts_are_refused_with_the_field_named(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, person("resident"))
    token = csrf_token(client)
    response = client.post(f"/forums/c/members/new", data={"csrf_token": token, "title": "  ", "body": "本文"}, headers={"Accept-Language": "en"})
    assert response.status_code == 422 and "Write a title." in html(response)
    response = client.post(f"/forums/t/{forum.members_thread_id}/reply", data={"csrf_token": token, "body": "x" * (service.BODY_MAX + 1)}, headers={"Accept-Language": "en"})
    assert response.status_code == 422 and "Keep the post under" in html(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ForumThread.id))) == 2


# -- editing and deleting own posts --------------------------------------------------------------


def test_own_post_can_be_edited_within_the_window_and_shows_edited(app: Flask, client: FlaskClient, forum: Forum, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, forum.author)
    token = csrf_token(client)
    response = client.post(f"/forums/p/{forum.members_post_id}/edit", data={"csrf_token": token, "body": "書き直しました"})
    assert response.status_code == 302
    page = html(client.get(f"/forums/t/{forum.members_thread_id}", headers={"Accept-Language": "en"}))
    assert "書き直しました" in page and "月山の麓" not in page
    assert '<span class="post-edited"' in page and ">edited</span>" in page


def test_editing_closes_after_the_configured_window(app: Flask, client: FlaskClient, forum: Forum, sign_in, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        post = db.session.get(ForumPost, forum.members_post_id)
        assert post is not None
        post.created_at = post.created_at - timedelta(minutes=31)
        db.session.commit()
    sign_in(client, forum.author)
    token = csrf_token(client)
    assert app.config["FORUM_EDIT_WINDOW_MINUTES"] == 30
    response = client.post(f"/forums/p/{forum.members_post_id}/edit", data={"csrf_token": token, "body": "遅すぎた"}, headers={"Accept-Language": "en"})
    assert response.status_code == 409 and "30 minutes" in html(response)
    assert ">Edit</a>" not in html(client.get(f"/forums/t/{forum.members_thread_id}", headers={"Accept-Language": "en"}))
    monkeypatch.setitem(app.config, "FORUM_EDIT_WINDOW_MINUTES", 60)
    assert client.post(f"/forums/p/{forum.members_post_id}/edit", data={"csrf_token": token, "body": "まだ間に合う"}).status_code == 302


def test_someone_elses_post_cannot_be_edited_or_deleted(app: Flask, forum: Forum, person) -> None:  # type: ignore[no-untyped-def]
    other = person("resident")
    with app.app_context(), pytest.raises(service.AccessDenied):
        service.edit_post(account(other.id), service.PostEdit(forum.members_post_id, "乗っ取り"))
    with app.app_context(), pytest.raises(service.AccessDenied):
        service.delete_post(account(other.id), forum.members_post_id)


def test_deleting_own_post_leaves_deleted_by_author(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, forum.author)
    assert client.post(f"/forums/p/{forum.members_post_id}/delete", data={"csrf_token": csrf_token(client)}).status_code == 302
    resident = app.test_client()
    sign_in(resident, person("resident"))
    page = html(resident.get(f"/forums/t/{forum.members_thread_id}", headers={"Accept-Language": "en"}))
    assert "Deleted by the author." in page and "月山の麓" not in page
    moderator = app.test_client()
    sign_in(moderator, person("moderator"))
    assert "月山の麓" in html(moderator.get(f"/forums/t/{forum.members_thread_id}")), "moderators can still read what was deleted"
    with app.app_context():
        post = db.session.get(ForumPost, forum.members_post_id)
        assert post is not None and post.deleted_at is not None and post.body_source  # soft: the row stays


# -- moderation ----------------------------------------------------------------------------------


def test_hiding_and_unhiding_a_post_with_a_reason_is_audited(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    moderator = person("moderator")
    sign_in(client, moderator)
    token = csrf_token(client)
    assert client.post(f"/forums/p/{forum.members_post_id}/hide", data={"csrf_token": token, "reason": "個人情報が含まれていました"}).status_code == 302
    resident = app.test_client()
    sign_in(resident, person("resident"))
    page = html(resident.get(f"/forums/t/{forum.members_thread_id}", headers={"Accept-Language": "en"}))
    assert "Hidden by a moderator: 個人情報が含まれていました" in page and "月山の麓" not in page
    assert client.post(f"/forums/p/{forum.members_post_id}/hide", data={"csrf_token": token, "reason": " "}).status_code == 422, "a reason is required"
    assert client.post(f"/forums/p/{forum.members_post_id}/unhide", data={"csrf_token": token}).status_code == 302
    assert "月山の麓" in html(resident.get(f"/forums/t/{forum.members_thread_id}"))
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("forum.post.%")).order_by(AuditEntry.id)).all()
        assert [(entry.action, entry.actor, entry.target) for entry in entries] == [
            ("forum.post.hide", moderator.address, f"forum_post:{forum.members_post_id}"),
            ("forum.post.unhide", moderator.address, f"forum_post:{forum.members_post_id}"),
        ]
        assert entries[0].details["reason"] == "個人情報が含まれていました"


def test_a_locked_thread_takes_no_replies(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    moderator = app.test_client()
    sign_in(moderator, person("moderator"))
    assert moderator.post(f"/forums/t/{forum.members_thread_id}/lock", data={"csrf_token": csrf_token(moderator)}).status_code == 302
    sign_in(client, person("resident"))
    token = csrf_token(client)
    response = client.post(f"/forums/t/{forum.members_thread_id}/reply", data={"csrf_token": token, "body": "まだ話したい"}, headers={"Accept-Language": "en"})
    assert response.status_code == 409 and "locked" in html(response)
    page = html(client.get(f"/forums/t/{forum.members_thread_id}", headers={"Accept-Language": "en"}))
    assert 'id="reply-body"' not in page and "This thread is locked" in page
    assert moderator.post(f"/forums/t/{forum.members_thread_id}/unlock", data={"csrf_token": csrf_token(moderator)}).status_code == 302
    assert client.post(f"/forums/t/{forum.members_thread_id}/reply", data={"csrf_token": token, "body": "再開"}).status_code == 302
    assert audit_actions(app)[-2:] == ["forum.thread.lock", "forum.thread.unlock"]


def test_moving_a_thread_moves_its_counts_and_is_audited(app: Flask, forum: Forum, person) -> None:  # type: ignore[no-untyped-def]
    reply(app, forum.author, forum.members_thread_id, "二つ目")
    write(app, lambda mod: service.move_thread(mod, forum.members_thread_id, forum.town_category_id), person("moderator"))
    with app.app_context():
        members, town = db.session.get(ForumCategory, forum.members_category_id), db.session.get(ForumCategory, forum.town_category_id)
        assert members is not None and town is not None
        assert (members.thread_count, members.post_count, members.last_post_id) == (0, 0, None)
        assert (town.thread_count, town.post_count) == (2, 3)
        thread = db.session.get(ForumThread, forum.members_thread_id)
        assert thread is not None and thread.category_id == town.id
    assert audit_actions(app)[-1] == "forum.thread.move"


def test_pinning_is_audited_and_needs_a_moderator(app: Flask, forum: Forum, person) -> None:  # type: ignore[no-untyped-def]
    with app.app_context(), pytest.raises(service.AccessDenied):
        service.set_thread_flag(account(forum.author.id), forum.members_thread_id, "pinned", True)
    write(app, lambda mod: service.set_thread_flag(mod, forum.members_thread_id, "pinned", True), person("moderator"))
    write(app, lambda mod: service.set_thread_flag(mod, forum.members_thread_id, "pinned", False), person("admin"))
    assert audit_actions(app)[-2:] == ["forum.thread.pin", "forum.thread.unpin"]


# -- reports ---------------------------------------------------------------------------------------


def test_reports_reach_the_queue_and_resolving_hides_the_post(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    first, second = person("resident"), person("resident")
    for reporter, reason in ((first, "宣伝です"), (second, "不快です")):
        reporter_client = app.test_client()
        sign_in(reporter_client, reporter)
        token = csrf_token(reporter_client)
        assert reporter_client.post(f"/forums/p/{forum.members_post_id}/report", data={"csrf_token": token, "reason": reason}).status_code == 302
    again = reporter_client.post(f"/forums/p/{forum.members_post_id}/report", data={"csrf_token": token, "reason": "もう一度"}, headers={"Accept-Language": "en"})
    assert again.status_code == 409 and "already reported" in html(again)
    with app.app_context(), pytest.raises(service.ForumError):
        service.report_post(account(forum.author.id), service.PostReport(forum.members_post_id, "自分の投稿"))

    moderator = person("moderator")
    sign_in(client, moderator)
    queue = html(client.get("/forums/moderation/reports", headers={"Accept-Language": "en"}))
    assert "宣伝です" in queue and "不快です" in queue and "2 open reports on this post" in queue
    with app.app_context():
        report_id = db.session.scalar(sa.select(sa.func.min(ForumReport.id)))
    response = client.post(f"/forums/moderation/reports/{report_id}/resolve", data={"csrf_token": csrf_token(client), "outcome": "hidden", "note": "宣伝のため"})
    assert response.status_code == 302
    assert "No open reports." in html(client.get("/forums/moderation/reports", headers={"Accept-Language": "en"}))
    with app.app_context():
        post = db.session.get(ForumPost, forum.members_post_id)
        assert post is not None and post.hidden_reason == "宣伝のため"
        outcomes = db.session.scalars(sa.select(ForumReport.outcome)).all()
        assert outcomes == ["hidden", "hidden"]
    assert audit_actions(app)[-2:] == ["forum.post.hide", "forum.report.resolve"]


def test_a_dismissed_report_leaves_the_post_alone(app: Flask, forum: Forum, person) -> None:  # type: ignore[no-untyped-def]
    report_id = write(app, lambda who: service.report_post(who, service.PostReport(forum.members_post_id, "よくわからない")), person("resident"))
    write(app, lambda mod: service.resolve_report(mod, service.ReportResolution(report_id, "dismissed")), person("moderator"))
    with app.app_context():
        post = db.session.get(ForumPost, forum.members_post_id)
        assert post is not None and post.hidden_at is None
        assert service.report_queue(account(person("moderator").id)) == []


# -- unread markers --------------------------------------------------------------------------------


def test_unread_markers_and_new_since_last_visit(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    reader = person("resident")
    sign_in(client, reader)
    new_page = html(client.get("/forums/new", headers={"Accept-Language": "en"}))
    assert "西川町の温泉" in new_page and "お知らせ" in new_page, "never-opened threads are new"
    client.get(f"/forums/t/{forum.members_thread_id}")
    new_page = html(client.get("/forums/new"))
    assert "西川町の温泉" not in new_page and "お知らせ" in new_page

    fresh = reply(app, forum.author, forum.members_thread_id, "新しい返信です")
    listing = html(client.get("/forums/c/members", headers={"Accept-Language": "en"}))
    assert f'href="/forums/t/{forum.members_thread_id}?from={forum.members_post_id + 1}#unread"' in listing and ">New</span>" in listing
    thread = html(client.get(f"/forums/t/{forum.members_thread_id}?from={forum.members_post_id + 1}", headers={"Accept-Language": "en"}))
    assert 'id="unread"' in thread and thread.index('id="unread"') < thread.index(f'id="post-{fresh}"')
    assert "西川町の温泉" not in html(client.get("/forums/new")), "reading the page moved the marker"
    assert 'id="unread"' not in html(client.get(f"/forums/t/{forum.members_thread_id}"))

    assert client.post("/forums/read-all", data={"csrf_token": csrf_token(client)}).status_code == 302
    assert "Nothing new" in html(client.get("/forums/new", headers={"Accept-Language": "en"}))


def test_markers_are_per_account(app: Flask, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    one, two = app.test_client(), app.test_client()
    sign_in(one, person("resident"))
    sign_in(two, person("resident"))
    one.get(f"/forums/t/{forum.members_thread_id}")
    assert "西川町の温泉" not in html(one.get("/forums/new"))
    assert "西川町の温泉" in html(two.get("/forums/new"))


# -- search ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "found"),
    [("温泉", True), ("月山", True), ("麓", True), ("月山の麓", True), ("山の麓の温泉", True), ("ｍｏｏｎ", False), ("温泉 月山", True), ("温泉 海", False), ("鳥海", False)],
)
def test_japanese_search_finds_posts_without_spaces(app: Flask, client: FlaskClient, forum: Forum, person, sign_in, query: str, found: bool) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, person("resident"))
    page = html(client.get("/forums/search", query_string={"q": query}))
    assert (f'href="/forums/p/{forum.members_post_id}"' in page) is found


def test_a_two_kanji_query_finds_the_post_through_the_service(app: Flask, forum: Forum, person) -> None:  # type: ignore[no-untyped-def]
    post_id = reply(app, forum.author, forum.town_thread_id, "来月、西川町で交流会があります。Gassan trip!")
    with app.app_context():
        for query in ("西川", "交流", "gassan", "GASSAN TRIP", "会が"):
            results = service.search_forums(None, query)
            assert [hit.post_id for hit in results.posts] == [post_id], query
        assert service.search_forums(None, "西川").threads == [], "titles are searched separately"
        assert [hit.thread.id for hit in service.search_forums(None, "知ら").threads] == [forum.town_thread_id]


def test_search_respects_visibility_and_hidden_posts(app: Flask, forum: Forum, person) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        assert service.search_forums(None, "温泉").posts == [], "anonymous visitors do not see residents-only posts"
        assert [hit.post_id for hit in service.search_forums(account(person("resident").id), "温泉").posts] == [forum.members_post_id]
    write(app, lambda mod: service.hide_post(mod, forum.members_post_id, "spam"), person("moderator"))
    with app.app_context():
        assert service.search_forums(account(person("resident").id), "温泉").posts == []


def test_edited_text_is_searchable_and_the_old_text_is_not(app: Flask, forum: Forum) -> None:
    write(app, lambda me: service.edit_post(me, service.PostEdit(forum.members_post_id, "蔵王の樹氷を見ました")), forum.author)
    with app.app_context():
        resident = account(forum.author.id)
        assert [hit.post_id for hit in service.search_forums(resident, "樹氷").posts] == [forum.members_post_id]
        assert [hit.post_id for hit in service.search_forums(resident, "蔵王の樹氷").posts] == [forum.members_post_id]
        assert service.search_forums(resident, "月山").posts == []


def test_grams_are_one_and_two_characters_within_words() -> None:
    assert grams_of("西川町, ＡＢ") == "a ab b 川 川町 町 西 西川"


def test_punctuation_only_queries_say_so(app: Flask, forum: Forum) -> None:
    with app.app_context():
        assert service.search_forums(None, "!!").unsearchable
        assert service.search_forums(None, "%_").posts == []


# -- pagination, rate limits ----------------------------------------------------------------------


def test_thread_pages_are_keyset_pages_of_fifty(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        writer = account(forum.author.id)
        ids = [service.reply(writer, service.NewReply(forum.members_thread_id, f"返信 {n}")).id for n in range(119)]
        db.session.commit()
    all_ids = [forum.members_post_id, *ids]
    sign_in(client, person("resident"))

    def post_ids(page: str) -> list[int]:
        return [int(found) for found in re.findall(r'<article class="post[^"]*" id="post-(\d+)"', page)]

    first = html(client.get(f"/forums/t/{forum.members_thread_id}"))
    assert post_ids(first) == all_ids[:50]
    assert f'?from={all_ids[50]}"' in first and "before=" not in first
    second = html(client.get(f"/forums/t/{forum.members_thread_id}?from={all_ids[50]}"))
    assert post_ids(second) == all_ids[50:100] and f"before={all_ids[50]}" in second
    last = html(client.get(f"/forums/t/{forum.members_thread_id}?last=1"))
    assert post_ids(last) == all_ids[100:], "the last page is the last run of fifty, not the last fifty posts"
    assert "rel=\"next\"" not in last and f"before={all_ids[100]}" in last
    earlier = html(client.get(f"/forums/t/{forum.members_thread_id}?before={all_ids[100]}"))
    assert post_ids(earlier) == all_ids[50:100]
    # Any post's page is the same fixed page: a cursor in the middle of a page shows the whole page.
    middle = html(client.get(f"/forums/t/{forum.members_thread_id}?from={all_ids[77]}"))
    assert post_ids(middle) == all_ids[50:100]
    permalink = client.get(f"/forums/p/{all_ids[77]}")
    assert permalink.headers["Location"] == f"/forums/t/{forum.members_thread_id}?from={all_ids[50]}#post-{all_ids[77]}"
    on_first_page = client.get(f"/forums/p/{all_ids[7]}")
    assert on_first_page.headers["Location"] == f"/forums/t/{forum.members_thread_id}#post-{all_ids[7]}"
    beyond = html(client.get(f"/forums/t/{forum.members_thread_id}?from={all_ids[-1] + 1000}"))
    assert post_ids(beyond) == all_ids[100:], "a cursor past the end shows the last page"


def test_after_a_reply_or_an_edit_the_whole_short_thread_is_shown_at_the_post(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, forum.author)
    token = csrf_token(client)
    replied = client.post(f"/forums/t/{forum.members_thread_id}/reply", data={"csrf_token": token, "body": "二つ目の投稿"})
    assert replied.status_code == 302
    landed = client.get(replied.headers["Location"])
    assert landed.status_code == 302
    location = landed.headers["Location"]
    assert location.startswith(f"/forums/t/{forum.members_thread_id}#post-"), location
    second = int(location.rsplit("-", 1)[1])
    page = html(client.get(location.split("#")[0]))
    assert f'id="post-{forum.members_post_id}"' in page and f'id="post-{second}"' in page, "the first post is not hidden"
    assert 'class="pager"' not in page, "a thread that fits one page has no pager"
    edited = client.post(f"/forums/p/{second}/edit", data={"csrf_token": token, "body": "二つ目の投稿（直しました）"})
    assert edited.status_code == 302
    assert client.get(edited.headers["Location"]).headers["Location"] == location


def test_posting_is_rate_limited_per_account(app: Flask, forum: Forum, person, sign_in, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "FORUM_POST_RATE_LIMIT", "2 per minute")
    monkeypatch.setitem(app.config, "FORUM_REPORT_RATE_LIMIT", "1 per minute")
    client = app.test_client()
    sign_in(client, person("resident"))
    token = csrf_token(client)
    statuses = [client.post(f"/forums/t/{forum.members_thread_id}/reply", data={"csrf_token": token, "body": f"連投 {n}"}).status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    other = app.test_client()
    sign_in(other, person("resident"))
    assert other.post(f"/forums/t/{forum.members_thread_id}/reply", data={"csrf_token": csrf_token(other), "body": "別の人"}).status_code == 302, "limits are per account"
    with app.app_context():
        second_post = db.session.scalar(sa.select(sa.func.max(ForumPost.id)))
    report = lambda post_id: other.post(f"/forums/p/{post_id}/report", data={"csrf_token": csrf_token(other), "reason": "test"}).status_code  # noqa: E731
    assert report(forum.members_post_id) == 302
    assert report(second_post - 1) == 429


def test_pages_are_in_english_too(client: FlaskClient, forum: Forum) -> None:
    page = html(client.get("/forums", headers={"Accept-Language": "en"}))
    assert "Talk with other digital residents" in page and "Town notices" in page and "Open to everyone" in page
    page = html(client.get("/forums", headers={"Accept-Language": "ja"}))
    assert "町からのお知らせ" in page

"""What forum pages show people: names (never a wallet address) and search snippets (plain text,
the match marked, the post's date)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from community.forums import service
from community.forums.markdown import plain_text
from community.forums.search import marked_pieces
from tests.unit.conftest_forums import Forum, account, csrf_token, forum, person, write  # noqa: F401

ADDRESS = re.compile(r"0x[0-9a-fA-F]{4}")


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)  # type: ignore[no-any-return]


def reply(app: Flask, who, thread_id: int, body: str) -> int:  # type: ignore[no-untyped-def]
    return write(app, lambda writer: service.reply(writer, service.NewReply(thread_id, body)), who)  # type: ignore[no-any-return]


def test_a_resident_without_a_name_is_shown_by_resident_number(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    nameless = person("resident")
    post_id = reply(app, nameless, forum.members_thread_id, "名前のない住民の投稿")
    write(app, lambda writer: service.start_thread(writer, service.NewThread("members", "名前のない住民のスレッド", "本文")), nameless)
    reporter = person("resident")
    with app.app_context():
        number = service.viewer_of(account(nameless.id)).residency.resident_number  # type: ignore[union-attr]
    sign_in(client, reporter)
    assert client.post(f"/forums/p/{post_id}/report", data={"csrf_token": csrf_token(client), "reason": "確認してください"}).status_code == 302
    for path in (f"/forums/t/{forum.members_thread_id}", "/forums/c/members", "/forums/search?q=名前のない"):
        page = html(client.get(path))
        assert f"住民番号 {number}" in page, path
        assert not ADDRESS.search(page.split("<main", 1)[1]), f"{path} shows a wallet address"
    moderator = app.test_client()
    sign_in(moderator, person("moderator"))
    queue = html(moderator.get("/forums/moderation/reports", headers={"Accept-Language": "en"}))
    assert f"Post by Resident No. {number}" in queue and "Reported by Resident No." in queue
    assert not ADDRESS.search(queue.split("<main", 1)[1]), "the moderation queue names people by resident number"


def test_a_named_resident_keeps_the_number_beside_the_name(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, person("resident"))
    page = html(client.get(f"/forums/t/{forum.members_thread_id}", headers={"Accept-Language": "en"}))
    assert "西川 花子" in page and re.search(r'class="resident-number">Resident No\. \d+<', page)


def test_search_snippets_are_plain_text_with_the_match_marked_and_dated(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    body = "# 冬のお知らせ\n\n今年も **雪まつり** を開きます。<script>alert(1)</script> [詳しく](https://example.jp) `code`"
    reply(app, forum.author, forum.members_thread_id, body)
    sign_in(client, person("resident"))
    page = html(client.get("/forums/search?q=雪まつり", headers={"Accept-Language": "en"}))
    excerpt = re.search(r'<p class="excerpt">(.*?)</p>', page, re.S)
    assert excerpt is not None
    text = excerpt.group(1)
    assert "<mark>雪まつり</mark>" in text
    assert "**" not in text and "# " not in text and "](" not in text, "no raw Markdown"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>" not in text, "escaped, then marked"
    assert "詳しく" in text and "code" in text
    assert re.search(r"<time datetime=\"[^\"]+\">\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d JST</time>", page), "the post's date"


def test_a_thread_title_match_is_marked_too(app: Flask, client: FlaskClient, forum: Forum, person, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, person("resident"))
    page = html(client.get("/forums/search?q=温泉"))
    assert re.search(r'class="search-title"[^>]*>[^<]*<mark>温泉</mark>', page)


def test_plain_text_drops_markup_but_keeps_words() -> None:
    assert plain_text("## 見出し\n\n- **太字** と *斜体*\n- [リンク](https://x.jp) ![写真](/ipfs/bafy)\n\n```\nコード\n```") == "見出し 太字 と 斜体 リンク 写真 コード"


def test_marked_pieces_fold_width_and_case_and_cut_a_window() -> None:
    assert marked_pieces("ＧＡＳＳＡＮ と gassan", ["gassan"]) == [("ＧＡＳＳＡＮ", True), (" と ", False), ("gassan", True)]
    long = "あ" * 100 + "温泉" + "い" * 100
    pieces = marked_pieces(long, ["温泉"], width=40)
    assert pieces[0] == ("…", False) and pieces[-1] == ("…", False) and ("温泉", True) in pieces
    assert sum(len(text) for text, _ in pieces[1:-1]) == 40
    assert marked_pieces("<b>", ["b"]) == [("<", False), ("b", True), (">", False)], "pieces are raw text: the template escapes them"


def test_counts_are_written_with_plural_forms(client: FlaskClient, forum: Forum) -> None:
    english = html(client.get("/forums", headers={"Accept-Language": "en"}))
    assert "1 thread, 1 post" in english and "1 threads" not in english and "1 posts" not in english
    assert "スレッド 1 件・投稿 1 件" in html(client.get("/forums", headers={"Accept-Language": "ja"}))

"""Hostile Markdown and HTML (tests/data/xss/corpus.json) never comes out as live markup:
no script elements, no event handlers, no javascript:/data: URLs, images only from /ipfs/."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.inputs import CONTROL
from community.forums.markdown import LINK_REL, render_post
from tests.unit.conftest_forums import Forum, csrf_token, forum, person  # noqa: F401

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "xss" / "corpus.json").read_text(encoding="utf-8"))["payloads"]
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "srcset", "xlink:href", "background", "data", "codebase", "cite"}
#: What sanitized post HTML may contain; anything else got through the sanitizer.
POST_TAGS = {"a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul"}
SAFE_SCHEMES = {None, "http", "https", "mailto"}
IPFS_SRC = re.compile(r"^/ipfs/[A-Za-z0-9]+(/[A-Za-z0-9._~-]+)*$")


def effective_scheme(url: str) -> str | None:
    """The scheme a browser would see (WHATWG URL parsing: trims C0 controls and spaces, drops tabs and newlines)."""
    cleaned = re.sub(r"[\t\n\r]", "", url.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "))
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", cleaned)
    return match.group(1).lower() if match else None


@dataclass
class Elements(HTMLParser):
    """Every start tag with its attributes (entities decoded, as a browser would)."""

    found: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def assert_harmless(html: str, *, post_html: bool) -> None:
    """No script, no handler, no dangerous URL; inside a post, only allow-listed tags and gateway images."""
    for tag, attributes in elements(html):
        assert tag != "script" or (not post_html and attributes.get("src", "").startswith("/static/")), f"script element: {attributes}"
        assert not [name for name in attributes if name.startswith("on")], f"event handler on <{tag}>: {attributes}"
        assert "style" not in attributes or not post_html, f"style attribute on <{tag}>"
        for name, value in attributes.items():
            if name in URL_ATTRIBUTES:
                scheme = effective_scheme(value)
                assert scheme in SAFE_SCHEMES, f"<{tag} {name}={value!r}> has scheme {scheme}"
        if post_html:
            assert tag in POST_TAGS, f"<{tag}> is not allowed in posts"
            if tag == "img":
                assert IPFS_SRC.match(attributes.get("src", "")), f"image from outside the gateway: {attributes}"
            if tag == "a":
                assert attributes.get("rel") == LINK_REL, f"link without rel={LINK_REL!r}: {attributes}"


def test_the_corpus_is_varied() -> None:
    names = {entry["name"] for entry in CORPUS}
    assert len(CORPUS) >= 80 and len(names) == len(CORPUS)
    for needle in ("<script", "onerror", "javascript:", "data:", "<svg", "\u202e", "\u200b", "&#106;", "]("):
        assert any(needle in entry["payload"] for entry in CORPUS), f"no payload with {needle!r}"


@pytest.mark.parametrize("entry", CORPUS, ids=[entry["name"] for entry in CORPUS])
def test_rendering_defuses_the_payload(entry: dict[str, str]) -> None:
    assert_harmless(str(render_post(entry["payload"])), post_html=True)


def test_a_checker_that_would_catch_each_kind_of_attack() -> None:
    # The checker itself must fail on live markup, or the tests above prove nothing.
    for live in ('<script>alert(1)</script>', '<img src="/ipfs/bafyabcdefghij" onerror="alert(1)">', '<a href=" jav&#x09;ascript:alert(1)" rel="nofollow ugc noopener">x</a>',
                 '<a href="data:text/html,x" rel="nofollow ugc noopener">x</a>', '<img src="https://evil.example/x.png">', '<svg></svg>', '<a href="/x">no rel</a>'):
        with pytest.raises(AssertionError):
            assert_harmless(live, post_html=True)


def test_gateway_images_and_plain_links_survive() -> None:
    html = str(render_post("![card](/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy) [町](https://www.town.nishikawa.yamagata.jp/)"))
    found = elements(html)
    assert ("img", {"src": "/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "alt": "card"}) in found
    assert ("a", {"href": "https://www.town.nishikawa.yamagata.jp/", "rel": LINK_REL}) in found
    outside = elements(str(render_post("![pixel](https://evil.example/p.gif)")))
    assert [tag for tag, _ in outside] == ["p", "a"], "an outside image becomes a link, not an <img>"


def test_the_whole_corpus_posted_and_shown_on_the_thread_page(app: Flask, client: FlaskClient, forum: Forum, person, sign_in, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "FORUM_POST_RATE_LIMIT", "1000 per minute")
    sign_in(client, person("resident"))
    token = csrf_token(client)
    posted = 0
    for entry in CORPUS:
        response = client.post(f"/forums/t/{forum.members_thread_id}/reply", data={"csrf_token": token, "body": entry["payload"]}, headers={"Accept-Language": "en"})
        if CONTROL.search(entry["payload"]):
            # The input layer refuses control characters at the door, with the reason.
            assert response.status_code == 400, entry["name"]
            assert "control characters" in response.get_data(as_text=True)
        else:
            assert response.status_code == 302, entry["name"]
            posted += 1
    pages = [client.get(f"/forums/t/{forum.members_thread_id}"), client.get(f"/forums/t/{forum.members_thread_id}?last=1")]
    shown = 0
    for page in pages:
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert_harmless(html, post_html=False)
        bodies = re.findall(r'<div class="post-body">(.*?)</div>\n', html, flags=re.S)
        shown += len(bodies)
        for body in bodies:
            assert_harmless(body, post_html=True)
    assert shown >= posted, "every payload was rendered on the thread pages"

"""The look a town can launch, in Chromium with the demo data (scripts/demo.py): every page type
passes axe at 1280 and 360 px; nothing names a person by wallet address; the header is compact
with a menu on phones; sign-out sits on the line of the other links; one type scale; tables
become cards on phones; the web font comes from the site."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask

from scripts.demo import Demo, seed_demo
from tests.browser.axe import describe, serious_violations
from tests.conftest import session_for

pytestmark = pytest.mark.browser

PHONE, DESKTOP = 360, 1280


@pytest.fixture
def demo(app: Flask) -> Demo:
    return seed_demo(app)


@pytest.fixture
def open_as(browser: Any, app: Flask, live_server: str, sign_in) -> Iterator[Callable[..., Any]]:  # type: ignore[no-untyped-def]
    """Open `path` as the account with id `who` (None: nobody) at `width`, in `locale`."""
    contexts: list[Any] = []

    def open_page(path: str, who: int | None = None, width: int = DESKTOP, locale: str = "ja-JP") -> Any:
        context = browser.new_context(locale=locale, viewport={"width": width, "height": 800})
        contexts.append(context)
        if who is not None:
            client = app.test_client()
            with client.session_transaction() as session:
                session.update(session_for(app, who))  # with its server-side session record
            cookie = client.get_cookie("session")
            assert cookie is not None
            context.add_cookies([{"name": "session", "value": cookie.value, "url": live_server}])
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.console_errors = errors
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, f"{path} answered {response and response.status}"
        return page

    yield open_page
    for context in contexts:
        context.close()


def page_types(demo: Demo) -> list[tuple[str, str, str]]:
    """(name, path, who) for every kind of page: public, resident and staff ones, new and old."""
    return [
        ("home", "/", "nobody"),
        ("home-resident", "/", "resident"),
        ("privacy", "/privacy", "nobody"),
        ("terms", "/terms", "nobody"),
        ("contact", "/contact", "nobody"),
        ("sign-in", "/sign-in", "nobody"),
        ("forums", "/forums", "resident"),
        ("category", "/forums/c/square", "resident"),
        ("thread", f"/forums/t/{demo.thread_id}", "resident"),
        ("search", "/forums/search?q=温泉", "resident"),
        ("new-since", "/forums/new", "resident"),
        ("reply", f"/forums/t/{demo.thread_id}/reply", "resident"),
        ("meetups", "/meetups", "resident"),
        ("meetup", f"/meetups/{demo.meetup_id}", "resident"),
        ("events", "/events", "nobody"),
        ("event", f"/events/{demo.event_id}", "resident"),
        ("my-page", "/me", "resident"),
        ("my-attendance", "/my/attendance", "resident"),
        ("event-pass", f"/events/{demo.event_id}/pass", "resident"),
        ("opendata", "/opendata", "nobody"),
        ("profile", "/residents/2", "nobody"),
        ("reports", "/forums/moderation/reports", "staff"),
        ("categories-admin", "/forums/admin/categories", "staff"),
        ("rsvps", f"/meetups/{demo.meetup_id}/rsvps", "staff"),
        ("attendance", f"/events/{demo.event_id}/attendance", "staff"),
        ("staff-dashboard", "/staff", "staff"),
        ("staff-audit", "/staff/audit", "staff"),
    ]


def who_is(demo: Demo, who: str) -> int | None:
    return {"nobody": None, "resident": demo.nameless_resident_id, "staff": demo.staff_id}[who]


@pytest.mark.parametrize(("width", "locale"), [(DESKTOP, "ja-JP"), (PHONE, "ja-JP"), (DESKTOP, "en-US"), (PHONE, "en-US")])
def test_every_page_type_passes_axe_and_fits_the_screen(open_as, demo: Demo, width: int, locale: str) -> None:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    for name, path, who in page_types(demo):
        page = open_as(path, who_is(demo, who), width=width, locale=locale)
        assert page.locator("html").get_attribute("lang") == locale[:2]
        violations = serious_violations(page)
        if violations:
            problems.append(f"{name} ({path}):\n{describe(violations)}")
        scroll_width = page.evaluate("() => document.scrollingElement.scrollWidth")
        if scroll_width > width:
            problems.append(f"{name} ({path}) is {scroll_width} px wide at {width} px")
        if page.console_errors:
            problems.append(f"{name} ({path}) logged {page.console_errors}")
        page.context.close()
    assert not problems, "\n".join(problems)


# -- 17.4: nobody is named by a wallet address ---------------------------------------------------

ADDRESS = re.compile(r"0x[0-9a-fA-F]{8,}")


class VisibleText(HTMLParser):
    """What a person reads or hears: text and spoken attributes, outside <script> and outside
    the one element that shows the person their own wallet ([data-own-wallet])."""

    SPOKEN = {"alt", "title", "aria-label", "placeholder", "value", "content"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(str(attributes["href"]))
        if tag in self.VOID:
            if not self._skip and not (tag == "input" and attributes.get("type") == "hidden"):
                self.parts.extend(str(value) for name, value in attrs if name in self.SPOKEN and value)
            return
        if self._skip or tag in {"script", "style"} or "data-own-wallet" in attributes:
            self._skip.append(tag)
            return
        self.parts.extend(str(value) for name, value in attrs if name in self.SPOKEN and value)

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def test_crawling_as_a_resident_without_a_name_finds_no_address(app: Flask, demo: Demo, sign_in) -> None:  # type: ignore[no-untyped-def]
    """Follow every link a nameless resident can reach (GET, this site) and read every page."""
    client = sign_in(app.test_client(), type("Who", (), {"id": demo.nameless_resident_id})())
    skip = re.compile(r"^/(static|ipfs)/|\.(ics|csv|json|png|svg)(\?|$)|/calendar/|/qr")
    queue, seen, offences = ["/"], set(), []
    kinds: set[str] = set()
    while queue and len(seen) < 120:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, headers={"Accept-Language": "ja"})
        if response.status_code in (301, 302, 303):
            queue.append(urlsplit(urljoin(path, response.headers["Location"])).path)
            continue
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        kinds.add(re.sub(r"/\d+", "/N", urlsplit(path).path))
        reader = VisibleText()
        reader.feed(response.get_data(as_text=True))
        for found in ADDRESS.findall(" ".join(reader.parts)):
            offences.append(f"{path}: {found}")
        for link in reader.links:
            target = urlsplit(urljoin(path, link))
            if target.netloc or not target.path.startswith("/") or skip.search(target.path + ("?" + target.query if target.query else "")):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    assert not offences, "a wallet address stands for a person:\n" + "\n".join(offences)
    expected = {"/", "/forums", "/forums/c/square", "/forums/t/N", "/meetups", "/meetups/N", "/events", "/events/N", "/me", "/residents/N", "/privacy", "/forums/new"}
    assert expected <= kinds, f"the crawl missed page types: {sorted(expected - kinds)}"


def test_a_nameless_resident_is_shown_by_resident_number_in_the_browser(open_as, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    page = open_as(f"/forums/t/{demo.thread_id}", demo.nameless_resident_id)
    names = page.locator(".author-name").all_inner_texts()
    assert "住民番号 2" in names and "西川 花子" in names
    assert not any(ADDRESS.search(name) for name in names)


# -- 17.12: the header, the type scale, tables as cards ---------------------------------------------


def test_the_header_is_compact_on_a_phone_with_a_menu(open_as, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    page = open_as("/", demo.nameless_resident_id, width=PHONE)
    header = page.locator(".site-header")
    assert header.bounding_box()["height"] <= 72, "the header is one row on a phone"
    menu_button = page.locator(".menu-button")
    assert menu_button.is_visible() and menu_button.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("link", name="フォーラム").is_visible()
    menu_button.click()
    assert menu_button.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("link", name="フォーラム").is_visible()
    assert page.get_by_role("button", name="サインアウト").is_visible()
    page.keyboard.press("Escape")
    assert menu_button.get_attribute("aria-expanded") == "false" and not page.get_by_role("link", name="フォーラム").is_visible()
    desktop = open_as("/", demo.nameless_resident_id, width=DESKTOP)
    assert not desktop.locator(".menu-button").is_visible()
    assert desktop.locator(".site-header").bounding_box()["height"] <= 72, "one row on a wide screen too"


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_sign_out_sits_on_the_line_of_the_other_links(open_as, demo: Demo, width: int) -> None:  # type: ignore[no-untyped-def]
    page = open_as("/", demo.nameless_resident_id, width=width)
    if page.locator(".menu-button").is_visible():
        page.locator(".menu-button").click()
    link = page.locator(".site-nav a").first.evaluate("e => { const r = document.createRange(); r.selectNodeContents(e); const b = r.getBoundingClientRect(); return [b.top, b.height, e.getBoundingClientRect().height]; }")
    button = page.locator(".site-nav .link-button").evaluate("e => { const r = document.createRange(); r.selectNodeContents(e); const b = r.getBoundingClientRect(); return [b.top, b.height, e.getBoundingClientRect().height]; }")
    assert link[1] == pytest.approx(button[1], abs=0.5) and link[2] == pytest.approx(button[2], abs=0.5), (link, button)
    if width == DESKTOP:
        assert link[0] == pytest.approx(button[0], abs=0.5), f"sign-out's text is {button[0] - link[0]:.1f} px off the links' line"


def test_one_type_scale_the_thread_title_is_larger_than_its_sections(open_as, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    for width in (DESKTOP, PHONE):
        page = open_as(f"/forums/t/{demo.thread_id}", demo.nameless_resident_id, width=width)
        size = lambda selector: page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")  # noqa: E731
        assert size("h1") > size(".reply h2") > size(".post-body") - 0.1, "h1 > h2 > text"
    sizes = {}
    for path, who in [("/", None), (f"/meetups/{demo.meetup_id}", demo.nameless_resident_id), ("/staff", demo.staff_id), (f"/events/{demo.event_id}", None)]:
        page = open_as(path, who)
        sizes[path] = (page.locator("h1").first.evaluate("e => getComputedStyle(e).fontSize"), page.locator("main h2").first.evaluate("e => getComputedStyle(e).fontSize"))
    assert len(set(sizes.values())) == 1, f"every page uses the same h1 and h2 sizes: {sizes}"


def test_staff_tables_become_cards_on_a_phone(open_as, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    page = open_as("/staff/audit", demo.staff_id, width=PHONE)
    assert page.locator(".audit-table thead").evaluate("e => e.getBoundingClientRect().height") <= 1, "the column headings are hidden"
    first_row = page.locator(".audit-table tbody tr").first
    assert first_row.evaluate("e => getComputedStyle(e).display") == "block"
    label = page.locator(".audit-table tbody td").first.evaluate("e => getComputedStyle(e, '::before').content")
    assert label.strip('"') == "日時"
    # An address wraps over a few lines, not one character per line.
    who = page.locator(".audit-table tbody td.staff-location").first
    assert who.evaluate("e => e.getBoundingClientRect().height") < 100
    wide = open_as("/staff/audit", demo.staff_id, width=DESKTOP)
    assert wide.locator(".audit-table tbody tr").first.evaluate("e => getComputedStyle(e).display") == "table-row"
    dashboard = open_as("/staff", demo.staff_id, width=PHONE)
    assert dashboard.locator("table.table-cards tbody tr").first.evaluate("e => getComputedStyle(e).display") == "block"


# -- 17.14: the web font comes from the site -----------------------------------------------------


def test_japanese_is_drawn_with_the_sites_own_font(open_as, demo: Demo, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page = open_as("/privacy")
    page.evaluate("document.fonts.ready")
    loaded = page.evaluate("() => [...document.fonts].filter((face) => face.status === 'loaded').map((face) => face.family + ' ' + face.weight)")
    assert any("Nishikawa Sans" in face for face in loaded), loaded
    assert page.evaluate("() => document.fonts.check('16px \"Nishikawa Sans\"', 'プライバシーポリシー')")
    fetched = page.evaluate("() => performance.getEntriesByType('resource').map((entry) => new URL(entry.name).pathname).filter((path) => path.endsWith('.woff2'))")
    assert "/static/fonts/noto-sans-jp-400-site.woff2" in fetched
    assert not any("kanji" in path for path in fetched), "a page of the site's own text needs only the small file"
    response = page.request.get(live_server + "/static/fonts/noto-sans-jp-400-site.woff2")
    assert response.status == 200 and response.body()[:4] == b"wOF2"

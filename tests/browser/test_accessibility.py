"""Accessibility in Chromium: axe-core finds no serious or critical violation on the site's main
pages (as the people who use them), keyboard-only use works with visible focus, and nothing
scrolls sideways on a 360 px wide phone.

Pages of features that are not registered yet are skipped with the reason; they join the run as
soon as their blueprint exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from app.audit.models import AuditEntry
from app.chain.models import Holding
from app.extensions import db
from app.timeutil import utcnow
from tests.browser.axe import describe, serious_violations
from tests.conftest import new_address

pytestmark = pytest.mark.browser

#: (name, endpoint, who is signed in). Forum, meetup and event pages are looked at both as the
#: public sees them and as a resident does.
PAGES = [
    ("home", "home.index", None),
    ("home-resident", "home.index", "resident"),
    ("sign-in", "auth.sign_in", None),
    ("forums", "forums.index", None),
    ("forums-resident", "forums.index", "resident"),
    ("meetups", "meetups.index", None),
    ("meetups-resident", "meetups.index", "resident"),
    ("events", "exchange.index", None),
    ("events-resident", "exchange.index", "resident"),
    ("my-page", "auth.my_page", "resident"),
    ("staff-dashboard", "staff.dashboard", "organizer"),
    ("staff-audit", "staff.audit", "organizer"),
]
PHONE_WIDTH = 360


@pytest.fixture
def people(app: Flask, create_account) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A resident with a card, an organizer, and a few months of cards and audit entries."""
    resident = create_account(display_name="西川 花子")
    organizer = create_account(roles=("organizer",))
    now = utcnow()
    with app.app_context():
        db.session.add(Holding(resident_number=1, holder=resident.address, locked=True, minted_block=1, minted_at=now - timedelta(days=40), acquired_block=1))
        for number in range(2, 12):
            db.session.add(Holding(resident_number=number, holder=new_address(), locked=True, minted_block=number, minted_at=now - timedelta(days=number * 17), acquired_block=number))
        for minute, (action, details) in enumerate([("role.grant", {"role": "organizer"}), ("contract.deploy", {"chain_id": 31337}), ("meetup.create", {"title_ja": "年末の交流会"})]):
            db.session.add(AuditEntry(occurred_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=minute), actor=organizer.address, action=action, target="0x" + "ab" * 20, details=details))
        db.session.commit()
    return {"resident": resident, "organizer": organizer}


@pytest.fixture
def open_page(browser: Any, app: Flask, live_server: str, people: dict[str, Any], sign_in) -> Iterator[Callable[..., Any]]:  # type: ignore[no-untyped-def]
    """Open a page as `who` (None: nobody signed in) in a fresh context of the given width."""
    contexts: list[Any] = []

    def open_as(endpoint: str, who: str | None, width: int = 1280, locale: str = "ja-JP") -> Any:
        if endpoint not in app.view_functions:
            print(f"skipping {endpoint}: the endpoint is not registered (its feature has not landed yet)")
            pytest.skip(f"{endpoint} is not registered yet: its feature has not landed")
        context = browser.new_context(locale=locale, viewport={"width": width, "height": 800})
        contexts.append(context)
        if who is not None:
            # The session cookie of a test client signed in as `who`, handed to the browser.
            client = sign_in(app.test_client(), people[who])
            cookie = client.get_cookie("session")
            assert cookie is not None
            context.add_cookies([{"name": "session", "value": cookie.value, "url": live_server}])
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.console_errors = errors
        with app.test_request_context():
            from flask import url_for

            path = url_for(endpoint)
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, f"{path} as {who or 'anonymous'} answered {response and response.status}"
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.mark.parametrize(("name", "endpoint", "who"), PAGES, ids=[page[0] for page in PAGES])
def test_no_serious_or_critical_axe_violations(open_page, name: str, endpoint: str, who: str | None) -> None:  # type: ignore[no-untyped-def]
    page = open_page(endpoint, who)
    violations = serious_violations(page)
    assert not violations, f"axe found serious or critical problems on {name} ({page.url}):\n{describe(violations)}"
    assert page.console_errors == [], f"{name} logged errors (CSP violations show up here): {page.console_errors}"


@pytest.mark.parametrize(("name", "endpoint", "who"), PAGES, ids=[page[0] for page in PAGES])
def test_nothing_scrolls_sideways_at_360_px(open_page, name: str, endpoint: str, who: str | None) -> None:  # type: ignore[no-untyped-def]
    page = open_page(endpoint, who, width=PHONE_WIDTH)
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    if width > PHONE_WIDTH:
        culprits = page.evaluate(
            """(limit) => [...document.querySelectorAll("body *")]
                .filter((element) => element.getBoundingClientRect().right > limit + 0.5)
                .slice(0, 8).map((element) => element.tagName.toLowerCase() + (element.className ? "." + String(element.className).split(" ").join(".") : ""))""",
            PHONE_WIDTH,
        )
        pytest.fail(f"{name} is {width} px wide at a {PHONE_WIDTH} px viewport; too wide: {culprits}")
    assert not serious_violations(page), f"axe found serious problems on {name} at {PHONE_WIDTH} px"


# -- keyboard only -----------------------------------------------------------------------------------

FOCUS_STYLE = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    return {
        tag: element.tagName.toLowerCase(), id: element.id, type: element.getAttribute("type"), text: (element.innerText || element.value || "").trim().slice(0, 40),
        href: element.getAttribute("href"), outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
        focusVisible: element.matches(":focus-visible"),
    };
}"""


def tab_to(page: Any, matches: Callable[[dict[str, Any]], bool], limit: int = 60) -> list[dict[str, Any]]:
    """Press Tab until the focused element matches; return every element focused on the way."""
    seen: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_STYLE)
        seen.append(focused)
        if matches(focused):
            return seen
    pytest.fail(f"Tab never reached the element; focused on the way: {[(item['tag'], item['text']) for item in seen]}")


def assert_focus_is_visible(seen: list[dict[str, Any]]) -> None:
    """Every element Tab reached shows an outline of at least 2 px.

    Links, buttons and summaries must get it from :focus-visible (the site's rule). Date inputs
    are Chromium's own widget: Tab visits the day, month and year fields (outlined by staff.css
    on :focus) and then the calendar button, which draws its own focus ring that page CSS cannot
    reach; at that last step the input matches neither :focus-visible nor gets the outline.
    """
    for focused in seen:
        if focused["tag"] == "body":
            continue
        if focused["tag"] == "input" and focused["type"] == "date" and not focused["focusVisible"]:
            continue
        if focused["tag"] in {"a", "button", "summary"}:
            assert focused["focusVisible"], f"{focused} does not match :focus-visible after Tab"
        assert focused["outline"] != "none" and focused["width"] >= 2, f"no visible focus outline on {focused}"


def test_language_switch_by_keyboard(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page("home.index", None)
    assert page.locator("html").get_attribute("lang") == "ja"
    seen = tab_to(page, lambda focused: focused["tag"] == "button" and focused["text"] == "English")
    assert_focus_is_visible(seen)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "en"
    tab_to(page, lambda focused: focused["tag"] == "button" and focused["text"] == "日本語")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "ja"


def test_staff_dashboard_and_audit_log_by_keyboard(open_page, people: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    page = open_page("staff.dashboard", "organizer", width=PHONE_WIDTH)
    # The first thing Tab reaches is the skip link, and it works.
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS_STYLE)["href"] == "#main"
    page.keyboard.press("Enter")
    # A chart's numbers open as a table from the keyboard.
    seen = tab_to(page, lambda focused: focused["tag"] == "summary")
    assert_focus_is_visible(seen)
    page.keyboard.press("Enter")
    assert page.locator("details.chart-table").first.get_attribute("open") is not None
    # Back to the audit link near the top, then into the audit log.
    page.goto(page.url)
    seen = tab_to(page, lambda focused: focused["href"] == "/staff/audit")
    assert_focus_is_visible(seen)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/staff/audit")
    seen = tab_to(page, lambda focused: focused["id"] == "actor")
    assert_focus_is_visible(seen)
    page.keyboard.type(people["organizer"].address.lower())
    seen = tab_to(page, lambda focused: focused["tag"] == "button" and focused["type"] == "submit" and focused["text"] != page.locator(".language-switch button").inner_text())
    assert_focus_is_visible(seen)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "actor=" in page.url
    assert page.locator(".audit-table tbody tr").count() == 3


def test_axe_runs_under_the_sites_policy_and_finds_problems(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page("home.index", None)
    assert "script-src 'self'" in page.evaluate("async () => (await fetch('/')).headers.get('content-security-policy')")
    assert serious_violations(page) == []
    page.evaluate("() => { const image = document.createElement('img'); image.src = '/static/favicon.svg'; document.querySelector('main').append(image); }")
    found = serious_violations(page)
    assert [violation["id"] for violation in found] == ["image-alt"], describe(found)

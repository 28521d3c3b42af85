"""In Chromium: an organizer schedules a meetup with the form, a resident RSVPs and then sees
the join link. The browser is signed in by copying a test client's session cookie into it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from app.timeutil import utcnow
from tests.unit.conftest_meetups import JOIN_URL, new_resident, organizer  # noqa: F401
from tests.unit.conftest_meetups import tokyo_form as tokyo_input_value

pytestmark = pytest.mark.browser


def _sign_browser_in(page, app: Flask, sign_in, account, live_server: str) -> None:  # type: ignore[no-untyped-def]
    """Make a Flask-Login session with the test client and hand its cookie to the browser."""
    client = app.test_client()
    sign_in(client, account)
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    page.context.clear_cookies()
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server, "httpOnly": True, "sameSite": "Lax"}])


def test_an_organizer_schedules_and_a_resident_rsvps_and_sees_the_join_link(page, live_server: str, app: Flask, sign_in, organizer, new_resident) -> None:  # type: ignore[no-untyped-def]
    starts = (utcnow() + timedelta(days=14)).replace(minute=0, second=0, microsecond=0)

    _sign_browser_in(page, app, sign_in, organizer, live_server)
    page.goto(live_server + "/meetups")
    page.locator("a[href='/meetups/new']").click()
    page.fill("#title_ja", "町長と話そう 12月")
    page.fill("#title_en", "Talk with the mayor in December")
    page.fill("#description_ja", "今年を振り返ります。\n質問歓迎。")
    page.fill("#starts_at", tokyo_input_value(starts))
    page.fill("#ends_at", tokyo_input_value(starts + timedelta(minutes=90)))
    page.select_option("#platform", "cluster")
    page.fill("#join_url", JOIN_URL)
    page.fill("#capacity", "20")
    page.locator("form.meetup-form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/meetups/*")
    assert page.locator("h1").inner_text() == "町長と話そう 12月"
    assert page.locator("dd.meetup-when").inner_text().endswith(" 日本時間")
    meetup_url = page.url
    assert page.locator(".meetup-join-link").count() == 0, "an organizer who is not going sees no join link on the page"

    _sign_browser_in(page, app, sign_in, new_resident("西川 花子"), live_server)
    page.goto(meetup_url)
    assert page.locator(".meetup-join-link").count() == 0
    assert "質問歓迎。" in page.locator(".meetup-description").inner_text()
    page.locator(f"form[action$='/rsvp'] input[value='going'] ~ button").click()
    page.wait_for_load_state()
    link = page.locator(".meetup-join-link")
    assert link.inner_text() == JOIN_URL
    assert link.get_attribute("href") == JOIN_URL
    assert page.locator(".meetup-badge-going").count() == 1
    # The stylesheet loaded under the CSP: the description keeps its line breaks.
    assert page.locator(".meetup-description").evaluate("element => getComputedStyle(element).whiteSpace") == "pre-line"
    # Usable at 360 px: nothing sticks out sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.console_errors == [], f"the page logged errors (CSP violations show up here): {page.console_errors}"

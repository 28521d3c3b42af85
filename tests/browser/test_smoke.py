"""The home page in a real browser: it renders, obeys its own Content-Security-Policy, and the
language switch works."""

import pytest

pytestmark = pytest.mark.browser


def test_home_page_in_chromium(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    response = page.goto(live_server + "/")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("h1").inner_text() == "西川町のデジタル住民になりませんか"
    # The stylesheet loaded under the policy: the header is laid out as a flex row.
    assert page.locator(".site-header").evaluate("element => getComputedStyle(element).display") == "flex"

    menu = page.locator(".menu-button")
    if menu.is_visible():  # a phone-sized page keeps the language switch in the menu
        menu.click()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Become a digital resident of Nishikawa"

    page.reload()
    assert page.locator("html").get_attribute("lang") == "en", "the language choice was not remembered"
    assert page.console_errors == [], f"the page logged errors (CSP violations show up here): {page.console_errors}"

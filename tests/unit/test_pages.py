"""The home page, the town's own pages, the one way to include feature CSS, and the admin
command list."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.timeutil import utcnow
from scripts.demo import seed_demo

ROOT = Path(__file__).resolve().parents[2]


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)  # type: ignore[no-any-return]


def test_the_home_page_shows_what_is_coming_and_how_to_join(app: Flask, client: FlaskClient) -> None:
    seed_demo(app)
    page = html(client.get("/", headers={"Accept-Language": "en"}))
    assert 'class="site-mark" src="/town-mark.png"' in page
    assert 'src="/example-card.png"' in page
    assert "Talk with the mayor: winter" in page and "Walking Gassan (online)" in page
    assert "Snow festival: digital residents&#39; gathering" in page
    assert "Announcements from the town" in page and "冬の雪まつりでデジタル住民の集いを開きます" in page
    assert 'href="#become-a-resident"' in page and 'id="become-a-resident"' in page
    assert re.search(r"Thu \d+ \w{3} \d{4}, 20:00–21:00 JST|\w{3} \d+ \w{3} \d{4}, 20:00–21:00 JST", page)


def test_the_home_page_asks_the_database_a_few_small_questions(app: Flask, client: FlaskClient) -> None:
    seed_demo(app)
    from tests.unit.test_forums_queries import statements

    client.get("/")
    with statements(app) as seen:
        assert client.get("/").status_code == 200
    assert len(seen) <= 4, [statement for statement, _ in seen]


def test_without_an_announcements_category_the_section_is_left_out(client: FlaskClient) -> None:
    page = html(client.get("/", headers={"Accept-Language": "en"}))
    assert "Announcements from the town" not in page
    assert "No meetups are scheduled yet" in page and "No exchange events are scheduled right now." in page


def test_the_artwork_is_served(client: FlaskClient) -> None:
    mark = client.get("/town-mark.png")
    card = client.get("/example-card.png")
    assert mark.status_code == card.status_code == 200
    assert mark.data[:8] == card.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert card.headers["Cache-Control"].startswith("public")


@pytest.mark.parametrize(("path", "ja", "en"), [("/privacy", "プライバシーポリシー", "Privacy policy"), ("/terms", "利用規約", "Terms of use"), ("/contact", "お問い合わせ", "Contact")])
def test_the_towns_pages_in_both_languages_linked_from_every_page(client: FlaskClient, path: str, ja: str, en: str) -> None:
    assert f"<h1>{ja}</h1>" in html(client.get(path, headers={"Accept-Language": "ja"}))
    assert f"<h1>{en}</h1>" in html(client.get(path, headers={"Accept-Language": "en"}))
    footer = html(client.get("/forums")).split('<footer class="site-footer">')[1]
    assert f'href="{path}"' in footer and 'href="https://www.town.nishikawa.yamagata.jp/"' in footer


def test_the_contact_page_shows_the_configured_address(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "mailto:" not in html(client.get("/contact"))
    monkeypatch.setitem(app.config, "CONTACT_EMAIL", "digital@town.example.jp")
    monkeypatch.setitem(app.config, "CONTACT_PHONE", "0237-00-0000")
    page = html(client.get("/contact"))
    assert 'href="mailto:digital@town.example.jp"' in page and "0237-00-0000" in page


def test_the_town_replaces_a_page_with_a_template_in_its_instance_folder(app: Flask, client: FlaskClient) -> None:
    override = Path(app.instance_path) / "templates" / "pages" / "terms.html"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text('{% extends "base.html" %}{% block content %}<h1>西川町デジタル住民 利用規約（2027年版）</h1>{% endblock %}', encoding="utf-8")
    try:
        app.jinja_env.cache.clear()
        page = html(client.get("/terms"))
        assert "利用規約（2027年版）" in page and 'class="site-footer"' in page
    finally:
        override.unlink()
        app.jinja_env.cache.clear()


def test_feature_stylesheets_are_included_one_way() -> None:
    """Only base.html writes <link rel="stylesheet">; templates name their feature's CSS with
    {% set feature_css = "…" %}, and each one named exists."""
    templates = [path for package in ("app", "community") for path in (ROOT / package).rglob("templates/**/*.html")]
    linking = [str(path.relative_to(ROOT)) for path in templates if 'rel="stylesheet"' in path.read_text(encoding="utf-8")]
    assert sorted(linking) == ["app/templates/base.html", "app/templates/errors/unavailable.html"], linking
    named = {match for path in templates for match in re.findall(r'{%\s*set feature_css = "(\w+)"\s*%}', path.read_text(encoding="utf-8"))}
    assert named >= {"forums", "meetups", "exchange", "staff", "auth", "home", "pages"}
    assert all((ROOT / "app" / "static" / "css" / f"{name}.css").exists() for name in named)


def test_one_wallet_finder_for_every_page() -> None:
    scripts = ROOT / "app" / "static" / "js"
    finders = [path.name for path in scripts.glob("*.js") if "eip6963:requestProvider" in path.read_text(encoding="utf-8")]
    assert finders == ["wallets.js"]
    for page in ("signin.js", "exchange-checkin.js"):
        assert 'from "./wallets.js"' in (scripts / page).read_text(encoding="utf-8")


def test_the_admin_command_list_hides_the_limiter(runner) -> None:  # type: ignore[no-untyped-def]
    listing = runner.invoke(args=["--help"]).output
    assert "reminders" in listing and "limiter" not in listing
    assert runner.invoke(args=["limiter", "--help"]).exit_code == 0, "still there for whoever needs it"


def test_upcoming_lists_skip_what_is_over_or_cancelled(app: Flask) -> None:
    seed_demo(app)
    from community.home.service import home_page

    with app.app_context():
        later = home_page("announcements", now=utcnow() + timedelta(days=400))
    assert later.meetups == [] and later.events == []

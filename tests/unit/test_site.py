import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import Config
from app.i18n import safe_next


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def test_home_is_japanese_by_default(client: FlaskClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<html lang="ja">' in text
    assert "西川町のデジタル住民になりませんか" in text


def test_home_follows_the_browser_language(client: FlaskClient) -> None:
    text = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in text
    assert "Become a digital resident of Nishikawa" in text


def test_the_language_switch_is_remembered_and_needs_csrf(client: FlaskClient) -> None:
    refused = client.post("/language", data={"locale": "en", "next": "/"})
    assert refused.status_code == 400
    assert "フォームの有効期限" in refused.get_data(as_text=True)

    switched = client.post("/language", data={"locale": "en", "next": "/", "csrf_token": csrf_token(client)})
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/"
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_the_language_switch_never_redirects_off_site(client: FlaskClient) -> None:
    response = client.post("/language", data={"locale": "ja", "next": "https://evil.example/", "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/forums?page=2", "/forums?page=2"), ("//evil.example", "/"), ("https://evil.example", "/"), ("/\\evil", "/"), ("", "/"), (None, "/")],
)
def test_safe_next_keeps_redirects_on_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_every_page_sends_a_strict_content_security_policy(client: FlaskClient) -> None:
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert "<script>" not in html, "inline scripts would be blocked by the policy"
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", html), "inline event handlers would be blocked by the policy"
    assert "style=" not in html


@pytest.mark.parametrize(("language", "title"), [("ja", "ページが見つかりません"), ("en", "Page not found")])
def test_not_found_page_in_both_languages(client: FlaskClient, language: str, title: str) -> None:
    response = client.get("/no-such-page", headers={"Accept-Language": language})
    assert response.status_code == 404
    assert title in response.get_data(as_text=True)


def test_scripts_get_errors_as_json(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept": "application/json", "Accept-Language": "en"})
    assert response.status_code == 404
    assert response.get_json() == {
        "error": "Page not found",
        "detail": "The address may be mistyped, or the page has moved. Try the home page.",
        "status": 404,
    }


@pytest.mark.parametrize(("status", "ja_title"), [(400, "リクエストを処理できませんでした"), (403, "このページを表示する権限がありません"), (500, "システムで問題が発生しました")])
def test_error_pages_in_japanese(session_app: Flask, status: int, ja_title: str) -> None:
    app = create_app(Config({"RESIDENTS_ENV": "testing", "INSTANCE_PATH": session_app.instance_path, "SECRET_KEY": "x"}))

    @app.get("/fail")
    def fail() -> str:
        if status == 500:
            raise RuntimeError("boom")
        from flask import abort

        abort(status)

    response = app.test_client().get("/fail")
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert ja_title in text
    assert "boom" not in text and "Traceback" not in text


def test_secure_cookies_outside_development(tmp_path: object) -> None:
    app = create_app(Config({"RESIDENTS_ENV": "production", "SECRET_KEY": "s" * 40, "INSTANCE_PATH": str(tmp_path)}))
    # A page that needs no database (this app's database was never migrated).
    response = app.test_client().get("/privacy")
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")

"""Structured logs: one JSON line per request with its id, status, duration and account."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.config import Config, ConfigError
from app.logs import REQUEST_ID_HEADER, JsonFormatter, install_log_handler
from tests.conftest import make_config

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """Switch the site's log handler to JSON; return a reader of the JSON lines written so far."""
    install_log_handler("json")

    def read() -> list[dict[str, Any]]:
        lines = capsys.readouterr().err.splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    yield read
    install_log_handler("text")


def request_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"] == "residents.requests"]


def test_each_request_is_one_json_line(client: FlaskClient, json_logs) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/sign-in?next=/forums")
    [line] = request_lines(json_logs())
    assert line["method"] == "GET"
    assert line["path"] == "/sign-in"  # the query string is not logged
    assert line["status"] == response.status_code == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == response.headers[REQUEST_ID_HEADER]
    assert HEX_ID.fullmatch(line["request_id"])
    assert "account_id" not in line  # nobody signed in
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


def test_request_id_from_the_proxy_is_kept(client: FlaskClient, json_logs) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/sign-in", headers={REQUEST_ID_HEADER: "edge-7f3a.42"})
    assert response.headers[REQUEST_ID_HEADER] == "edge-7f3a.42"
    assert request_lines(json_logs())[0]["request_id"] == "edge-7f3a.42"


@pytest.mark.parametrize("offered", ["two\nlines", "x" * 129, "<script>", "", "id with spaces", "日本語"])
def test_strange_request_ids_are_replaced(client: FlaskClient, json_logs, offered: str) -> None:  # type: ignore[no-untyped-def]
    # In the WSGI environ directly: the test client refuses to build a header with a line break.
    response = client.get("/sign-in", environ_base={"HTTP_X_REQUEST_ID": offered})
    assert HEX_ID.fullmatch(response.headers[REQUEST_ID_HEADER])
    assert request_lines(json_logs())[0]["request_id"] == response.headers[REQUEST_ID_HEADER]


def test_signed_in_account_is_logged(client: FlaskClient, create_account, sign_in, json_logs) -> None:  # type: ignore[no-untyped-def]
    account = create_account()
    sign_in(client, account)
    assert client.get("/me").status_code == 200
    [line] = request_lines(json_logs())
    assert line["account_id"] == account.id
    assert line["path"] == "/me"


def test_refused_requests_are_logged_with_their_status(client: FlaskClient, json_logs) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/no-such-page").status_code == 404
    assert client.post("/sign-in/message", json={}).status_code == 400  # no CSRF token
    assert [line["status"] for line in request_lines(json_logs())] == [404, 400]


def test_secret_tokens_in_paths_are_not_logged(client: FlaskClient, json_logs) -> None:  # type: ignore[no-untyped-def]
    client.get("/meetups/calendar/s3cret-feed-token.ics")
    [line] = request_lines(json_logs())
    assert "s3cret" not in json.dumps(line)
    assert line["path"] == "/meetups/calendar/<token>.ics"


def test_lines_written_during_a_request_carry_its_id(app: Flask, json_logs) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/forums", headers={REQUEST_ID_HEADER: "req-boom"}):
        app.preprocess_request()
        try:
            raise RuntimeError("kaboom")
        except RuntimeError:
            app.logger.exception("card rendering failed")
    [error] = [line for line in json_logs() if line["level"] == "ERROR"]
    assert error["request_id"] == "req-boom"
    assert error["message"] == "card rendering failed"
    assert "RuntimeError: kaboom" in error["exception"]


def test_lines_outside_requests_have_no_request_id(json_logs) -> None:  # type: ignore[no-untyped-def]
    logging.getLogger("app.chain.indexer").info("caught up to block %d", 12)
    [line] = [line for line in json_logs() if line["logger"] == "app.chain.indexer"]
    assert line["message"] == "caught up to block 12"
    assert "request_id" not in line


def test_json_formatter_keeps_extra_fields_and_unicode() -> None:
    record = logging.LogRecord("residents.test", logging.WARNING, __file__, 1, "住民 %s", ("山田",), None)
    record.resident_number = 42
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "住民 山田"
    assert entry["resident_number"] == 42
    assert entry["level"] == "WARNING"
    assert "住民" in JsonFormatter().format(record)  # not \\u-escaped: readable in a terminal


def test_text_format_is_one_readable_line(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    install_log_handler("text")
    response = client.get("/sign-in", headers={REQUEST_ID_HEADER: "plain-1"})
    lines = [line for line in capsys.readouterr().err.splitlines() if "residents.requests" in line and "[request plain-1]" in line]
    assert len(lines) == 1
    assert f"GET /sign-in {response.status_code}" in lines[0]


def test_log_format_setting_is_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert Config({"LOG_FORMAT": "json"}).LOG_FORMAT == "json"
    assert Config({}).LOG_FORMAT == "text"
    with pytest.raises(ConfigError, match="LOG_FORMAT: expected text or json, got 'xml'"):
        Config({"LOG_FORMAT": "xml"})
    assert make_config(tmp_path, "sqlite://", 1).LOG_FORMAT == "text"

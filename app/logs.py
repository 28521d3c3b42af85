"""Logs: one line per request (method, path, status, duration, request id, account), as JSON
for log collectors (`LOG_FORMAT=json`) or as plain text for people (`LOG_FORMAT=text`).

A request id arriving in `X-Request-ID` (from the reverse proxy) is kept, so one id follows a
request through proxy, app and database logs; otherwise one is made. Either way it goes back in
the response's `X-Request-ID` and into every log line written during the request.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request, session
from flask.logging import default_handler

from app.security import credential_urls, redact

#: The logger of the per-request lines.
REQUEST_LOGGER = "residents.requests"
REQUEST_ID_HEADER = "X-Request-ID"
#: An incoming id is kept only when it looks like one; anything else (a log-injection attempt,
#: a megabyte of text) is replaced by a fresh id.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
#: URL arguments that are secrets (a calendar feed token): the route's pattern is logged instead.
SECRET_URL_ARGUMENTS = frozenset({"token"})
#: Loggers of this project's packages (Flask's app.logger is "app"), logged from INFO up.
OWN_LOGGERS = ("app", "community", "minting", "scripts", "residents")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FORMATS = ("text", "json")

#: Attributes every LogRecord has; anything else on a record is an `extra=` field worth keeping.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def current_request_id() -> str | None:
    """Return the id of the request being served, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Stamp every record written during a request with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """Write a record as one JSON object per line: time, level, logger, message, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES and value is not None})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The usual one-line text, with the request id appended when there is one."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [request {request_id}]" if request_id else line


class _ResidentsHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler this module installs on the root logger (found again by its class).

    It looks up `sys.stderr` at each line rather than once, so a test runner (or gunicorn)
    that swaps stderr gets the lines instead of a closed stream. Every line it writes has the
    credential-bearing URLs of the site's settings cut to scheme and host, whoever logged them
    (a library's exception text included).
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.secrets: set[str] = set()

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        return redact(line, tuple(self.secrets)) if self.secrets else line

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(app: Flask) -> None:
    """Send every log line through one handler in LOG_FORMAT, and log each request once."""
    handler = install_log_handler(app.config.get("LOG_FORMAT", "text"))
    handler.secrets.update(credential_urls(app))
    # Flask's own handler would write app.logger lines a second time, unformatted.
    app.logger.removeHandler(default_handler)
    register_request_logging(app)


def install_log_handler(log_format: str) -> _ResidentsHandler:
    """Put the one stderr handler on the root logger (again, if something removed it) in `log_format`.

    Alembic's env.py replaces the root's handlers (logging.config.fileConfig) when migrations
    run in-process; production runs them in their own process, before the workers start.
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _ResidentsHandler)), None)
    if handler is None:
        handler = _ResidentsHandler()
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    # INFO for our own packages only: the root stays at WARNING, so libraries (httpx logs every
    # call at INFO) do not flood the log.
    for name in OWN_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
    return handler


def _incoming_request_id() -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if REQUEST_ID_PATTERN.fullmatch(offered) else uuid.uuid4().hex


def _logged_path() -> str:
    if request.url_rule is not None and SECRET_URL_ARGUMENTS & set(request.view_args or {}):
        return request.url_rule.rule
    return request.path


def _account_id() -> int | None:
    """The signed-in account's id as Flask-Login keeps it in the session: no database query (the
    loaded account may be expired, and the database may be the reason this request failed)."""
    # dict.get skips the session's "accessed" flag, which would add `Vary: Cookie` to every response.
    raw = dict.get(session._get_current_object(), "_user_id")  # type: ignore[attr-defined]
    return int(raw) if isinstance(raw, str) and raw.isdigit() else None


def register_request_logging(app: Flask) -> None:
    """Give each request an id and write one line when its response is ready."""
    logger = logging.getLogger(REQUEST_LOGGER)

    @app.before_request
    def start_request_clock() -> None:
        g.request_id = _incoming_request_id()
        g.request_started = time.perf_counter()

    # Registered before the other after_request hooks, so it runs last and sees the final status.
    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = g.get("request_id") or _incoming_request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 2) if started is not None else None
        fields = {
            "method": request.method,
            "path": _logged_path(),
            "status": response.status_code,
            "duration_ms": duration_ms,
            "request_id": request_id,
            "account_id": _account_id(),
            "remote_addr": request.remote_addr,
        }
        logger.info("%s %s %s %sms", request.method, fields["path"], response.status_code, duration_ms, extra=fields)
        return response

"""One unit of work per request: services flush, the request commits, errors roll back."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from werkzeug.routing import IntegerConverter, Map

from app.extensions import db


def register_unit_of_work(app: Flask) -> None:
    @app.after_request
    def commit_unit_of_work(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response


#: The largest id a BIGINT (and SQLite's INTEGER) column holds; larger numbers in a URL name nothing.
MAX_ROW_ID = 2**63 - 1


def row_id(text: str) -> int:
    """Parse a positive row id from a URL or query string; ValueError when no row could have it."""
    value = int(text)
    if not 0 < value <= MAX_ROW_ID:
        raise ValueError(f"{text!r} is not a row id")
    return value


class RowIdConverter(IntegerConverter):
    """`<int:…>` in every route: numbers past 64 bits are a 404, not a database overflow."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)

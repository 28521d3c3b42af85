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


#: The largest id our smallest id column holds (INTEGER primary keys are 32-bit on PostgreSQL);
#: a larger number in a URL names nothing and must not reach the database, which would refuse it.
MAX_ROW_ID = 2**31 - 1


def row_id(text: str) -> int:
    """Parse a positive row id from a URL or query string; ValueError when no row could have it."""
    value = int(text)
    if not 0 < value <= MAX_ROW_ID:
        raise ValueError(f"{text!r} is not a row id")
    return value


class RowIdConverter(IntegerConverter):
    """`<int:…>` in every route: numbers past MAX_ROW_ID are a 404, not a database error."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)

"""One unit of work per request: services flush, the request commits, errors roll back."""

from __future__ import annotations

from flask import Flask, Response

from app.extensions import db


def register_unit_of_work(app: Flask) -> None:
    @app.after_request
    def commit_unit_of_work(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

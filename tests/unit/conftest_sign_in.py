"""Helpers for the sign-in tests (unit and integration): drive /sign-in the way signin.js does."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account as LocalWallet
from eth_account.messages import encode_defunct
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.extensions import limiter


@pytest.fixture(autouse=True)
def fresh_rate_limits(app: Flask) -> Iterator[None]:
    """Start every test with empty rate-limit counters (the limiter lives as long as the app)."""
    with app.app_context():
        limiter.reset()
    yield


def sign_in_data(client: FlaskClient, path: str = "/sign-in", **headers: str) -> dict[str, Any]:
    page = client.get(path, headers=headers).get_data(as_text=True)
    match = re.search(r'<script type="application/json" id="sign-in-data">(.*?)</script>', page, re.S)
    assert match, "the sign-in page has no data block"
    return json.loads(match.group(1))


def request_message(client: FlaskClient, address: str, *, csrf: str | None = None, **headers: str) -> TestResponse:
    token = csrf if csrf is not None else sign_in_data(client)["csrfToken"]
    return client.post("/sign-in/message", json={"address": address}, headers={"X-CSRFToken": token, **headers})


def post_signature(client: FlaskClient, message: str, signature: str, *, next_page: str | None = None, csrf: str | None = None) -> TestResponse:
    token = csrf if csrf is not None else sign_in_data(client)["csrfToken"]
    body: dict[str, str] = {"message": message, "signature": signature}
    if next_page is not None:
        body["next"] = next_page
    return client.post("/sign-in", json=body, headers={"X-CSRFToken": token})


def personal_sign(key: bytes, text: str) -> str:
    """Sign `text` the way a wallet's personal_sign does (EIP-191 version 0x45)."""
    return "0x" + bytes(LocalWallet.sign_message(encode_defunct(text=text), key).signature).hex()


def new_wallet() -> tuple[str, bytes]:
    wallet = LocalWallet.create()
    return wallet.address, bytes(wallet.key)

"""The read-only IPFS gateway at /ipfs/<cid> and the issued-card image URLs pages use."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.cards.models import IssuedCard
from app.cards.service import card_image_url
from app.extensions import db
from minting.gateway import IMMUTABLE, local_blockstore
from minting.ipfs import file_cid

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
METADATA = '{"name":"西川町デジタル住民票 #1"}'.encode()
#: Larger than one 256 KiB chunk, so the CID is a dag-pb root over raw leaves.
LARGE = bytes(i % 251 for i in range(300_000))


@pytest.fixture
def stored(app: Flask) -> dict[str, str]:
    store = local_blockstore(app.config["SETTINGS"], durable=False)
    return {"png": store.add(PNG), "json": store.add(METADATA), "large": store.add(LARGE)}


@pytest.mark.parametrize(("kind", "content_type", "body"), [("png", "image/png", PNG), ("json", "application/json", METADATA), ("large", "application/octet-stream", LARGE)])
def test_a_stored_file_is_served_with_its_type_and_immutable_caching(client: FlaskClient, stored: dict[str, str], kind: str, content_type: str, body: bytes) -> None:
    cid = stored[kind]
    response = client.get(f"/ipfs/{cid}")
    assert response.status_code == 200
    assert response.data == body
    assert response.mimetype == content_type
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.headers["ETag"] == f'"{cid}"'
    assert response.content_length == len(body)
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_a_known_etag_gets_not_modified(client: FlaskClient, stored: dict[str, str]) -> None:
    cid = stored["png"]
    response = client.get(f"/ipfs/{cid}", headers={"If-None-Match": f'"{cid}"'})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_head_sends_the_headers_only(client: FlaskClient, stored: dict[str, str]) -> None:
    response = client.head(f"/ipfs/{stored['png']}")
    assert response.status_code == 200
    assert response.data == b""
    assert response.mimetype == "image/png"
    assert response.content_length == len(PNG)


def test_an_unknown_cid_is_not_found(client: FlaskClient, stored: dict[str, str]) -> None:
    missing = file_cid(b"never stored")
    response = client.get(f"/ipfs/{missing}")
    assert response.status_code == 404
    assert "Cache-Control" not in response.headers or "immutable" not in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "cid",
    [
        "not-a-cid",
        "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",  # CIDv0: Kubo's default, not ours
        "BAFKREIHDWDCEFGH4DQKJV67UZCMW7OJEE6XEDZDETOJUZJEVTENXQUVYKU",  # upper case base32
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk",  # one character short
    ],
)
def test_an_invalid_cid_is_a_bad_request(client: FlaskClient, cid: str) -> None:
    response = client.get(f"/ipfs/{cid}")
    assert response.status_code == 400


def test_a_damaged_block_is_a_server_error_not_wrong_bytes(app: Flask, client: FlaskClient, stored: dict[str, str]) -> None:
    cid = stored["json"]
    path = next(local_blockstore(app.config["SETTINGS"]).root.rglob(cid))
    path.write_bytes(b"tampered")
    response = client.get(f"/ipfs/{cid}")
    assert response.status_code == 500
    assert b"tampered" not in response.data


def test_card_image_url_points_at_the_gateway(app_context: Flask, stored: dict[str, str]) -> None:
    db.session.add(IssuedCard(resident_number=7, image_cid=stored["png"], metadata_cid=stored["json"], display_name="山田 太郎", issued_on=date(2026, 4, 1), batch="spring"))
    db.session.commit()
    assert card_image_url(7) == f"/ipfs/{stored['png']}"
    assert card_image_url(8) is None


def test_the_card_image_url_serves_the_image(app: Flask, client: FlaskClient, stored: dict[str, str]) -> None:
    with app.app_context():
        db.session.add(IssuedCard(resident_number=9, image_cid=stored["png"], metadata_cid=stored["json"], display_name="Jane Doe", issued_on=date(2026, 4, 1), batch="spring"))
        db.session.commit()
        url = card_image_url(9)
    assert url is not None
    assert client.get(url).mimetype == "image/png"

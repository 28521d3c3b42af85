"""Kiosk check-in by a smart-contract wallet (ERC-1271) against a real anvil node: the wallet's
owner signs the EIP-712 check-in, and the site asks the wallet on the chain, as sign-in does."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from web3 import Web3

from app.chain.anvil import AnvilProcess
from app.chain.artifacts import load_artifact
from app.chain.models import Deployment
from app.extensions import db
from app.timeutil import utcnow
from community.exchange import checkin, service
from community.exchange.models import CheckIn
from tests.unit.conftest_exchange import CONTRACT, attached, draft

pytestmark = pytest.mark.chain
EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def w3(anvil: AnvilProcess) -> Iterator[Web3]:
    yield Web3(Web3.HTTPProvider(anvil.rpc_url))


@pytest.fixture(scope="module")
def contract_wallet(w3: Web3) -> tuple[str, str]:
    """An ERC1271WalletMock owned by anvil's dev account 8: (wallet address, owner address)."""
    owner = w3.eth.accounts[8]
    artifact = load_artifact("ERC1271WalletMock", "mocks/ERC1271WalletMock")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(owner).transact({"from": owner}))
    assert receipt["status"] == 1
    return Web3.to_checksum_address(receipt["contractAddress"]), owner


def owner_signs(w3: Web3, owner: str, typed_data: dict) -> str:  # type: ignore[type-arg]
    """Have anvil sign the typed data with the unlocked owner key, as a wallet's eth_signTypedData_v4 does."""
    answer = w3.provider.make_request("eth_signTypedData_v4", [owner, json.dumps(typed_data)])  # type: ignore[arg-type]
    assert "result" in answer, answer
    return str(answer["result"])


@pytest.fixture
def open_event(app: Flask, create_account, give_card, contract_wallet: tuple[str, str]) -> tuple[int, object]:  # type: ignore[no-untyped-def]
    wallet, _ = contract_wallet
    resident = create_account(wallet)
    give_card(wallet)
    organizer = create_account(roles=("organizer",))
    starts = utcnow() - timedelta(minutes=10)
    with app.test_request_context():
        db.session.add(Deployment(chain_id=31337, contract_name="DigitalResident", address=CONTRACT, block_number=1, transaction_hash="0x" + "55" * 32, soulbound=True))
        event = service.create_event(attached(organizer), draft(starts_at=starts, ends_at=starts + timedelta(hours=2), registration_deadline=starts - timedelta(hours=1)), now=starts - timedelta(days=1))
        service.register(attached(resident), event.id, now=starts - timedelta(days=1))
        db.session.commit()
        return event.id, resident


def typed_data_for(app: Flask, client: FlaskClient, event_id: int) -> tuple[str, dict, str]:  # type: ignore[type-arg]
    with app.test_request_context():
        code = "0x" + checkin.kiosk_code(app.config["SECRET_KEY"], event_id, checkin.kiosk_window(utcnow().timestamp())).hex()
    html = client.get(f"/events/{event_id}/check-in?code={code}", headers=EN).get_data(as_text=True)
    typed = json.loads(re.search(r'id="check-in-typed-data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    token = re.search(r'name="csrf_token" value="([^"]+)"|data-csrf-token="([^"]+)"', html)
    assert token
    return code, typed, token.group(1) or token.group(2)


def test_a_smart_contract_wallet_resident_checks_in_at_the_kiosk(app: Flask, client: FlaskClient, sign_in, w3: Web3, contract_wallet: tuple[str, str], open_event) -> None:  # type: ignore[no-untyped-def]
    wallet, owner = contract_wallet
    event_id, resident = open_event
    sign_in(client, resident)
    code, typed, token = typed_data_for(app, client, event_id)
    assert typed["message"]["resident"] == wallet
    body = {"kioskCode": code, "issuedAt": typed["message"]["issuedAt"], "signature": owner_signs(w3, owner, typed)}
    response = client.post(f"/events/{event_id}/check-in", json=body, headers={**EN, "X-CSRFToken": token})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["ok"]
    with app.app_context():
        record = db.session.scalar(sa.select(CheckIn))
        assert record is not None and record.address == wallet and record.method == "kiosk"


def test_a_stranger_cannot_check_a_contract_wallet_in(app: Flask, client: FlaskClient, sign_in, w3: Web3, open_event) -> None:  # type: ignore[no-untyped-def]
    event_id, resident = open_event
    sign_in(client, resident)
    code, typed, token = typed_data_for(app, client, event_id)
    body = {"kioskCode": code, "issuedAt": typed["message"]["issuedAt"], "signature": owner_signs(w3, w3.eth.accounts[9], typed)}
    response = client.post(f"/events/{event_id}/check-in", json=body, headers={**EN, "X-CSRFToken": token})
    assert response.status_code == 422 and "different wallet" in response.get_json()["message"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0

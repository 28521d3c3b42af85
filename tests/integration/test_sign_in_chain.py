"""Signing in against a real anvil node: a dev account signs with `personal_sign`, and a
smart-contract wallet (ERC-1271) is asked on the chain whether its owner's signature counts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from eth_account.messages import defunct_hash_message
from flask import Flask
from flask.testing import FlaskClient
from web3 import Web3

from app.auth.models import Account
from app.auth.siwe import personal_message_hash
from app.chain.anvil import AnvilProcess
from app.chain.artifacts import load_artifact
from app.chain.signatures import is_valid_signature
from app.extensions import db
from tests.conftest import new_address
from tests.unit.conftest_sign_in import fresh_rate_limits  # noqa: F401  (autouse fixture)
from tests.unit.conftest_sign_in import post_signature, request_message

pytestmark = pytest.mark.chain


@pytest.fixture(scope="module")
def w3(anvil: AnvilProcess) -> Iterator[Web3]:
    yield Web3(Web3.HTTPProvider(anvil.rpc_url))


def wallet_signs(w3: Web3, address: str, text: str) -> str:
    """Have anvil sign `text` with its unlocked dev account, exactly as a wallet's personal_sign does."""
    answer = w3.provider.make_request("personal_sign", ["0x" + text.encode().hex(), address])  # type: ignore[arg-type]
    assert "result" in answer, answer
    return str(answer["result"])


def issued_text(client: FlaskClient, address: str) -> str:
    response = request_message(client, address)
    assert response.status_code == 200, response.get_json()
    return str(response.get_json()["message"])


@pytest.fixture(scope="module")
def contract_wallet(w3: Web3) -> tuple[str, str]:
    """An ERC1271WalletMock owned by anvil's dev account 6: (wallet address, owner address)."""
    owner = w3.eth.accounts[6]
    artifact = load_artifact("ERC1271WalletMock", "mocks/ERC1271WalletMock")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(owner).transact({"from": owner}))
    assert receipt["status"] == 1
    return Web3.to_checksum_address(receipt["contractAddress"]), owner


def test_a_dev_account_signs_in_with_personal_sign(app: Flask, client: FlaskClient, w3: Web3) -> None:
    address = w3.eth.accounts[3]
    message = issued_text(client, address)
    response = post_signature(client, message, wallet_signs(w3, address, message))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["address"] == address
    assert address in client.get("/me").get_data(as_text=True)


def test_another_accounts_signature_is_refused_after_asking_the_chain(client: FlaskClient, w3: Web3) -> None:
    victim, attacker = w3.eth.accounts[3], w3.eth.accounts[4]
    message = issued_text(client, victim)
    # Recovery gives the attacker, so the site asks the chain whether `victim` is a contract
    # wallet accepting it: an EOA has no code, so the answer is no.
    response = post_signature(client, message, wallet_signs(w3, attacker, message))
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_signature"


def test_a_contract_wallet_signs_in_through_erc1271(app: Flask, client: FlaskClient, w3: Web3, contract_wallet: tuple[str, str]) -> None:
    wallet, owner = contract_wallet
    message = issued_text(client, wallet)
    response = post_signature(client, message, wallet_signs(w3, owner, message))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["address"] == wallet
    with app.app_context():
        assert db.session.scalar(sa.select(Account).where(Account.address == wallet)) is not None
    assert wallet in client.get("/me").get_data(as_text=True)


def test_a_contract_wallet_refuses_a_stranger(client: FlaskClient, w3: Web3, contract_wallet: tuple[str, str]) -> None:
    wallet, _ = contract_wallet
    message = issued_text(client, wallet)
    response = post_signature(client, message, wallet_signs(w3, w3.eth.accounts[7], message))
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_signature"
    assert client.get("/me").status_code == 302


def test_is_valid_signature_asks_the_wallet(w3: Web3, contract_wallet: tuple[str, str]) -> None:
    wallet, owner = contract_wallet
    text = "Nishikawa"
    by_owner = bytes.fromhex(wallet_signs(w3, owner, text)[2:])
    by_stranger = bytes.fromhex(wallet_signs(w3, w3.eth.accounts[7], text)[2:])
    digest = personal_message_hash(text)
    assert digest == bytes(defunct_hash_message(text=text))
    assert is_valid_signature(w3, wallet, digest, by_owner) is True
    assert is_valid_signature(w3, wallet, digest, by_stranger) is False
    assert is_valid_signature(w3, wallet, digest, b"\x00" * 3) is False, "a garbled signature must be a no, not an error"
    assert is_valid_signature(w3, owner, digest, by_owner) is False, "an EOA is not a contract wallet"
    assert is_valid_signature(w3, new_address(), digest, by_owner) is False

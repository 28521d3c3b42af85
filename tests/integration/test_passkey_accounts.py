"""A passkey resident's account on a real anvil chain: deploy the implementation and factory,
predict the account of a registered passkey, mint a card to it before it exists, deploy it
(paid by the minter), and show that one assertion is accepted by the WebAuthn library off-chain
and by the account's isValidSignature on chain, and a tampered one by neither."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import sqlalchemy as sa
from eth_account.messages import encode_typed_data
from flask import Flask
from web3 import Web3

from app.audit.models import AuditEntry
from app.auth.webauthn import PasskeyError, RelyingParty, authentication_options, new_challenge, read_assertion, registration_options, verify_assertion, verify_registration
from app.chain.anvil import AnvilProcess
from app.chain.client import connect
from app.chain.errors import ChainError
from app.chain.erc7739 import TypedContents, encode_webauthn_signature, message_hash, nest_typed_data_signature, personal_sign_hash, typed_data_sign_hash
from app.chain.models import Deployment
from app.chain.passkey_accounts import AccountFactoryMissing, InvalidPasskeyKey, PasskeyAccounts, PasskeyKey, open_passkey_accounts, predict_account_address
from app.extensions import db
from minting.minter import Minter, deploy_passkey_account, deploy_passkey_account_factory
from minting.passkey_accounts import deploy_account_factory, deploy_resident_account
from tests.integration.town_keys import TownKeys, deploy_card, town_keys
from tests.soft_authenticator import SoftAuthenticator, b64url, unb64url

pytestmark = pytest.mark.chain

RP = RelyingParty.from_site_url("http://localhost:5000")


@pytest.fixture
def w3(anvil: AnvilProcess) -> Web3:
    return connect(anvil.rpc_url, 31337)


@pytest.fixture
def keys(w3: Web3) -> TownKeys:
    return town_keys(w3)


@pytest.fixture
def minter(keys: TownKeys) -> Minter:
    """The minting key: it pays for the factory and every account (no admin power is needed)."""
    return keys.minter


@pytest.fixture
def accounts(minter: Minter) -> PasskeyAccounts:
    deployed = deploy_passkey_account_factory(minter)
    assert deployed.factory.contract_address is not None
    return PasskeyAccounts(minter.w3, deployed.factory.contract_address)


@pytest.fixture
def phone() -> SoftAuthenticator:
    return SoftAuthenticator(origin=RP.origin)


@pytest.fixture
def passkey(phone: SoftAuthenticator) -> Any:
    challenge = new_challenge()
    options = registration_options(RP, user_handle=b"resident-account-1", user_name="resident-1", display_name="山田 太郎", challenge=challenge)
    return verify_registration(RP, phone.create(options), expected_challenge=challenge)


def sign(phone: SoftAuthenticator, passkey: Any, challenge: bytes, **spoil: Any) -> dict[str, Any]:
    """The resident signs `challenge` with the passkey, as a page asking for a signature would."""
    return phone.get(authentication_options(RP, challenge=challenge, credential_ids=[passkey.credential_id]), **spoil)


def on_chain_signature(response: dict[str, Any]) -> bytes:
    answer = read_assertion(response)
    return encode_webauthn_signature(answer.authenticator_data, answer.client_data_json, answer.signature)


def test_a_card_minted_before_the_account_exists_is_held_by_the_passkey_after_deployment(
    keys: TownKeys, minter: Minter, accounts: PasskeyAccounts, phone: SoftAuthenticator, passkey: Any
) -> None:
    key = PasskeyKey(passkey.qx, passkey.qy)
    address = accounts.address_of(key)
    # The prediction needs no chain call but the implementation's address, and agrees with the factory.
    implementation = accounts.check()
    assert predict_account_address(accounts.factory_address, implementation, key) == address
    assert accounts.factory_prediction(key) == address

    card = deploy_card(keys, soulbound=True)
    minter.mint(card.address, address, hashlib.sha256(b"card of resident 1").digest())
    assert card.owner_of(1) == address
    assert not accounts.is_deployed(key)
    assert minter.w3.eth.get_code(address) == b""

    balance = minter.w3.eth.get_balance(minter.address)
    deployed = deploy_passkey_account(minter, accounts.factory_address, passkey.qx, passkey.qy)
    assert deployed.address == address and deployed.receipt is not None
    assert accounts.is_deployed(key)
    assert minter.w3.eth.get_balance(minter.address) < balance, "the town's minter paid for the deployment"
    assert card.owner_of(1) == address

    again = deploy_passkey_account(minter, accounts.factory_address, passkey.qx, passkey.qy)
    assert (again.address, again.receipt) == (address, None)

    # One check-in signed by the passkey: its challenge is the ERC-7739 hash for this account.
    chain_id = minter.w3.eth.chain_id
    check_in = message_hash("西川町 exchange event 12, check-in at 2026-05-03T10:00+09:00")
    challenge = personal_sign_hash(address, chain_id, check_in)
    response = sign(phone, passkey, challenge, high_s=True)
    verified = verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=passkey.public_key, stored_sign_count=passkey.sign_count)
    assert verified.sign_count == 1
    assert accounts.accepts(key, check_in, on_chain_signature(response))

    # The same assertion tampered with (a counter the passkey did not sign): neither side accepts it.
    tampered = dict(response, response=dict(response["response"]))
    auth_data = bytearray(unb64url(response["response"]["authenticatorData"]))
    auth_data[-1] ^= 0x02
    tampered["response"]["authenticatorData"] = b64url(bytes(auth_data))
    with pytest.raises(PasskeyError) as refused:
        verify_assertion(RP, tampered, expected_challenge=challenge, credential_public_key=passkey.public_key, stored_sign_count=passkey.sign_count)
    assert refused.value.code == "invalid_signature"
    assert not accounts.accepts(key, check_in, on_chain_signature(tampered))
    # Nor is the genuine assertion valid for another message.
    assert not accounts.accepts(key, message_hash("another check-in"), on_chain_signature(response))


def test_a_ballot_signed_as_typed_data_verifies_off_chain_and_on_chain(
    minter: Minter, accounts: PasskeyAccounts, phone: SoftAuthenticator, passkey: Any
) -> None:
    key = PasskeyKey(passkey.qx, passkey.qy)
    address = deploy_passkey_account(minter, accounts.factory_address, passkey.qx, passkey.qy).address
    chain_id = minter.w3.eth.chain_id
    card_address = "0x" + "ca" * 20
    ballot = encode_typed_data(
        full_message={
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Ballot": [
                    {"name": "proposal", "type": "uint256"},
                    {"name": "card", "type": "uint256"},
                    {"name": "choices", "type": "uint16[]"},
                    {"name": "signedAt", "type": "uint64"},
                ],
            },
            "primaryType": "Ballot",
            "domain": {"name": "Nishikawa Digital Residents", "version": "1", "chainId": chain_id, "verifyingContract": Web3.to_checksum_address(card_address)},
            "message": {"proposal": 3, "card": 1, "choices": [1], "signedAt": 1775000000},
        }
    )
    contents = TypedContents(ballot.header, ballot.body, "Ballot(uint256 proposal,uint256 card,uint16[] choices,uint64 signedAt)")
    challenge = typed_data_sign_hash(address, chain_id, contents)
    response = sign(phone, passkey, challenge)
    verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=passkey.public_key, stored_sign_count=0)
    signature = nest_typed_data_signature(on_chain_signature(response), contents)
    assert accounts.accepts(key, contents.hash, signature)
    # Without the nesting the account reads it as a personal-sign signature, and refuses it.
    assert not accounts.accepts(key, contents.hash, on_chain_signature(response))


def test_a_sign_in_challenge_is_not_an_on_chain_signature(minter: Minter, accounts: PasskeyAccounts, phone: SoftAuthenticator, passkey: Any) -> None:
    """Signing in uses a random challenge, checked off-chain only: the account refuses it as a signature of it."""
    key = PasskeyKey(passkey.qx, passkey.qy)
    deploy_passkey_account(minter, accounts.factory_address, passkey.qx, passkey.qy)
    challenge = new_challenge()
    response = sign(phone, passkey, challenge)
    verify_assertion(RP, response, expected_challenge=challenge, credential_public_key=passkey.public_key, stored_sign_count=0)
    assert not accounts.accepts(key, challenge, on_chain_signature(response))


def test_an_invalid_key_is_refused_before_anything_is_sent(minter: Minter, accounts: PasskeyAccounts) -> None:
    nonce = minter.w3.eth.get_transaction_count(minter.address)
    with pytest.raises(InvalidPasskeyKey):
        deploy_passkey_account(minter, accounts.factory_address, b"\x01" * 32, b"\x02" * 32)
    assert minter.w3.eth.get_transaction_count(minter.address) == nonce


def test_check_refuses_an_address_that_is_not_a_factory(keys: TownKeys, minter: Minter, accounts: PasskeyAccounts) -> None:
    with pytest.raises(ChainError, match="no contract code"):
        PasskeyAccounts(minter.w3, "0x" + "ab" * 20).check()
    card = deploy_card(keys, soulbound=False)
    with pytest.raises(ChainError, match="is not a ResidentAccountFactory"):
        PasskeyAccounts(minter.w3, card.address).check()


# --- recording the factory (the service `residents deploy` will call) ------------------------


def test_the_factory_is_deployed_once_per_chain_recorded_and_audited(minter: Minter, app_context: Flask, phone: SoftAuthenticator, passkey: Any) -> None:
    first = deploy_account_factory(minter, 31337, "test")
    assert first.created
    second = deploy_account_factory(minter, 31337, "test")
    assert (second.created, second.factory.address) == (False, first.factory.address)
    recorded = {d.contract_name: d.address for d in db.session.scalars(sa.select(Deployment))}
    assert recorded == {"ResidentAccountFactory": first.factory.address, "ResidentAccount": first.implementation.address}
    assert PasskeyAccounts(minter.w3, first.factory.address).check() == first.implementation.address
    site = open_passkey_accounts(app_context.config["SETTINGS"])
    assert site.factory_address == first.factory.address
    assert site.address_of(PasskeyKey(passkey.qx, passkey.qy)) == site.factory_prediction(PasskeyKey(passkey.qx, passkey.qy))

    account = deploy_resident_account(minter, 31337, passkey.qx, passkey.qy, "test")
    assert deploy_resident_account(minter, 31337, passkey.qx, passkey.qy, "test").receipt is None
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.target) for e in entries] == [("passkey_factory.deploy", first.factory.address), ("passkey_account.deploy", account.address)]
    assert entries[0].details["implementation"] == first.implementation.address


def test_an_account_needs_a_recorded_factory(minter: Minter, app_context: Flask, passkey: Any) -> None:
    with pytest.raises(AccountFactoryMissing):
        open_passkey_accounts(app_context.config["SETTINGS"])
    nonce = minter.w3.eth.get_transaction_count(minter.address)
    with pytest.raises(AccountFactoryMissing, match="residents deploy"):
        deploy_resident_account(minter, 31337, passkey.qx, passkey.qy, "test")
    assert minter.w3.eth.get_transaction_count(minter.address) == nonce

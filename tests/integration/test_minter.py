"""Every write of the three signers (admin, minter, anchor key) on a real anvil chain: the
success path, and the contract's refusals turned into errors that name the custom error and its
arguments."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from eth_account import Account
from flask import Flask
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD
from web3.types import TxReceipt

from app.audit.models import AuditEntry
from app.chain.anvil import AnvilProcess, start_anvil
from app.chain.artifacts import load_artifact
from app.chain.client import ResidentRegistry, Role, connect, resident_revert_decoder
from app.extensions import db
from minting.errors import ChainNodeStopped, ContractRejected, InvalidMintRequest, MintError
from minting.minter import AnchorSigner, CardAdmin, Minter, RevocationReason
from minting.service import ContractSettings, deploy_resident_contract
from tests.integration.town_keys import TownKeys, deploy_card, town_keys

pytestmark = pytest.mark.chain

#: anvil's second dev account: a resident's wallet, or a stranger without roles.
SECOND_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
SECOND_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

ADDRESS = r"0x[0-9a-fA-F]{40}"


def wallet(index: int) -> str:
    return Web3.to_checksum_address(f"0x{0x7000 + index:040x}")


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


@pytest.fixture
def w3(anvil: AnvilProcess) -> Web3:
    return connect(anvil.rpc_url, 31337)


@pytest.fixture
def keys(w3: Web3) -> TownKeys:
    return town_keys(w3)


@pytest.fixture
def minter(keys: TownKeys) -> Minter:
    return keys.minter


@pytest.fixture
def admin(keys: TownKeys) -> CardAdmin:
    return keys.admin


@pytest.fixture
def anchor(keys: TownKeys) -> AnchorSigner:
    return keys.anchor


@pytest.fixture
def stranger(w3: Web3) -> Minter:
    """A minter signing with an account that holds no role."""
    return Minter(w3, Account.from_key(SECOND_KEY))


@pytest.fixture
def stranger_admin(w3: Web3) -> CardAdmin:
    """Admin writes signed with an account that holds no role."""
    return CardAdmin(w3, Account.from_key(SECOND_KEY))


@pytest.fixture
def registry(keys: TownKeys) -> ResidentRegistry:
    """A fresh soulbound contract: admin, minter and organizer each on their own key."""
    return deploy_card(keys)


def refused(caught: pytest.ExceptionInfo[ContractRejected], name: str, **arguments: Any) -> None:
    assert caught.value.error_name == name
    assert caught.value.arguments == arguments
    assert caught.value.transaction_hash is None


def events(w3: Web3, registry: ResidentRegistry, name: str, transaction_hash: str) -> list[Any]:
    receipt: TxReceipt = w3.eth.get_transaction_receipt(transaction_hash)  # type: ignore[arg-type]
    return list(getattr(registry.contract.events, name)().process_receipt(receipt, errors=DISCARD))


# --- mint ----------------------------------------------------------------------------------


def test_mint_issues_the_next_number(minter: Minter, registry: ResidentRegistry) -> None:
    receipt = minter.mint(registry.address, wallet(1), digest("one"))
    assert receipt.gas_used > 0 and receipt.transaction_hash.startswith("0x")
    minter.mint(registry.address, wallet(2), digest("two"))
    assert (registry.owner_of(1), registry.owner_of(2)) == (wallet(1), wallet(2))
    assert registry.last_resident_number() == 2


def test_mint_to_a_holder_names_the_wallet(minter: Minter, registry: ResidentRegistry) -> None:
    minter.mint(registry.address, wallet(1), digest("one"))
    with pytest.raises(ContractRejected) as caught:
        minter.mint(registry.address, wallet(1), digest("again"))
    refused(caught, "WalletAlreadyHoldsCard", wallet=wallet(1))
    assert str(caught.value) == (
        f"Minting a card to {wallet(1)} failed: the contract refused: WalletAlreadyHoldsCard(wallet={wallet(1)}). "
        "Nothing was sent. A wallet holds at most one card: leave this wallet out, or revoke or recover its card first."
    )
    assert registry.last_resident_number() == 1


def test_mint_refuses_a_zero_digest_and_the_zero_address(minter: Minter, registry: ResidentRegistry) -> None:
    with pytest.raises(ContractRejected) as caught:
        minter.mint(registry.address, wallet(1), bytes(32))
    refused(caught, "MissingMetadataDigest")
    assert "the contract refused: MissingMetadataDigest()." in str(caught.value)
    with pytest.raises(ContractRejected) as caught:
        minter.mint(registry.address, "0x" + "00" * 20, digest("one"))
    refused(caught, "ERC721InvalidReceiver", receiver="0x" + "00" * 20)


def test_mint_without_the_minter_role_names_the_role(stranger: Minter, registry: ResidentRegistry) -> None:
    with pytest.raises(ContractRejected) as caught:
        stranger.mint(registry.address, wallet(1), digest("one"))
    refused(caught, "AccessControlUnauthorizedAccount", account=SECOND_ADDRESS, neededRole=Role.MINTER.id)
    assert f"AccessControlUnauthorizedAccount(account={SECOND_ADDRESS}, neededRole=MINTER_ROLE)" in str(caught.value)


def test_bad_arguments_are_refused_before_signing(minter: Minter, admin: CardAdmin, anchor: AnchorSigner, registry: ResidentRegistry, w3: Web3) -> None:
    nonces = [w3.eth.get_transaction_count(signer.address) for signer in (minter, admin, anchor)]
    with pytest.raises(InvalidMintRequest, match=r"'0x1234' is not an Ethereum address"):
        minter.mint(registry.address, "0x1234", digest("one"))
    with pytest.raises(InvalidMintRequest, match=r"a metadata digest is the 32-byte sha2-256"):
        minter.mint(registry.address, wallet(1), b"\x01" * 31)
    with pytest.raises(InvalidMintRequest, match=r"reason code must be 0 to 255, got 256"):
        admin.revoke(registry.address, 1, 256)
    with pytest.raises(InvalidMintRequest, match=r"^There is no role named 'MAYOR_ROLE'"):
        admin.grant_role(registry.address, "MAYOR_ROLE", wallet(1))
    with pytest.raises(InvalidMintRequest, match=r"^The admin role cannot be granted directly"):
        admin.grant_role(registry.address, Role.ADMIN, wallet(1))
    with pytest.raises(InvalidMintRequest, match=r"the event key must be 32 raw bytes"):
        anchor.anchor_attendance(registry.address, "0x" + "11" * 32, digest("root"), 3)  # type: ignore[arg-type]
    with pytest.raises(InvalidMintRequest, match=r"the attendee count must be 1 to"):
        anchor.anchor_attendance(registry.address, digest("key"), digest("root"), 0)
    assert [w3.eth.get_transaction_count(signer.address) for signer in (minter, admin, anchor)] == nonces


# --- mint_batch ----------------------------------------------------------------------------


def test_mint_batch_assigns_sequential_numbers_from_the_receipt(minter: Minter, registry: ResidentRegistry) -> None:
    minter.mint(registry.address, wallet(0), digest("first"))
    recipients = [wallet(index) for index in range(1, 6)]
    issued = minter.mint_batch(registry.address, recipients, [digest(f"card {index}") for index in range(1, 6)])
    assert issued.resident_numbers == (2, 3, 4, 5, 6)
    assert issued.receipt.gas_used > 0
    for number, recipient in zip(issued.resident_numbers, recipients):
        assert registry.owner_of(number) == recipient
        assert registry.metadata_digest(number) == digest(f"card {number - 1}")
    assert registry.last_resident_number() == 6

    again = minter.mint_batch(registry.address, [wallet(10), wallet(11)], [digest("x"), digest("y")])
    assert again.resident_numbers == (7, 8)


@pytest.mark.parametrize(
    ("recipients", "digests", "name", "arguments"),
    [
        pytest.param([wallet(1), wallet(2), wallet(1)], [digest("a"), digest("b"), digest("c")], "MintBatchDuplicateRecipient", {"index": 2, "recipient": wallet(1), "firstIndex": 0}, id="duplicate"),
        pytest.param([wallet(1), wallet(0)], [digest("a"), digest("b")], "MintBatchRecipientHoldsCard", {"index": 1, "recipient": wallet(0)}, id="holder"),
        pytest.param([wallet(1), "0x" + "00" * 20], [digest("a"), digest("b")], "MintBatchInvalidRecipient", {"index": 1}, id="zero-address"),
        pytest.param([wallet(1), wallet(2)], [digest("a"), bytes(32)], "MintBatchMissingMetadataDigest", {"index": 1}, id="zero-digest"),
        pytest.param([wallet(1), wallet(2)], [digest("a")], "MintBatchLengthMismatch", {"recipients": 2, "digests": 1}, id="length-mismatch"),
        pytest.param([], [], "MintBatchEmpty", {}, id="empty"),
    ],
)
def test_mint_batch_refusals_name_the_entry(
    minter: Minter, registry: ResidentRegistry, recipients: list[str], digests: list[bytes], name: str, arguments: dict[str, Any]
) -> None:
    minter.mint(registry.address, wallet(0), digest("first"))
    with pytest.raises(ContractRejected) as caught:
        minter.mint_batch(registry.address, recipients, digests)
    refused(caught, name, **arguments)
    assert registry.last_resident_number() == 1, "a refused batch issued cards"


def test_a_duplicate_in_a_batch_reads_plainly(minter: Minter, registry: ResidentRegistry) -> None:
    with pytest.raises(ContractRejected) as caught:
        minter.mint_batch(registry.address, [wallet(1), wallet(1)], [digest("a"), digest("b")])
    assert str(caught.value) == (
        "Minting a batch of 2 cards failed: the contract refused: "
        f"MintBatchDuplicateRecipient(index=1, recipient={wallet(1)}, firstIndex=0). "
        "Nothing was sent. A wallet may appear once per batch: remove the repeated entry and rerun."
    )


# --- recover -------------------------------------------------------------------------------


def test_recover_moves_a_locked_card(minter: Minter, admin: CardAdmin, registry: ResidentRegistry, w3: Web3) -> None:
    minter.mint(registry.address, wallet(1), digest("one"))
    assert registry.locked(1) is True
    receipt = admin.recover(registry.address, 1, wallet(2))
    assert registry.owner_of(1) == wallet(2)
    assert (registry.card_of(wallet(1)), registry.card_of(wallet(2))) == (None, 1)
    assert registry.locked(1) is True
    [recovered] = events(w3, registry, "ResidentCardRecovered", receipt.transaction_hash)
    assert (recovered["args"]["residentNumber"], recovered["args"]["from"], recovered["args"]["to"]) == (1, wallet(1), wallet(2))


def test_recover_refusals(minter: Minter, admin: CardAdmin, registry: ResidentRegistry, w3: Web3) -> None:
    minter.mint_batch(registry.address, [wallet(1), wallet(2)], [digest("one"), digest("two")])
    with pytest.raises(ContractRejected) as caught:
        admin.recover(registry.address, 1, wallet(2))
    refused(caught, "WalletAlreadyHoldsCard", wallet=wallet(2))
    with pytest.raises(ContractRejected) as caught:
        admin.recover(registry.address, 9, wallet(3))
    refused(caught, "ERC721NonexistentToken", tokenId=9)
    # The minting key cannot move cards: only the admin key can.
    with pytest.raises(ContractRejected) as caught:
        CardAdmin(w3, minter.account).recover(registry.address, 1, wallet(3))
    refused(caught, "AccessControlUnauthorizedAccount", account=minter.address, neededRole=Role.ADMIN.id)
    assert "neededRole=DEFAULT_ADMIN_ROLE)" in str(caught.value)


# --- revoke --------------------------------------------------------------------------------


def test_revoke_burns_the_card_and_its_number_is_never_reused(minter: Minter, admin: CardAdmin, registry: ResidentRegistry, w3: Web3) -> None:
    minter.mint(registry.address, wallet(1), digest("one"))
    receipt = admin.revoke(registry.address, 1, RevocationReason.ISSUED_IN_ERROR)
    assert registry.owner_of(1) is None
    assert registry.card_of(wallet(1)) is None
    assert registry.token_uri(1) is None
    [revoked] = events(w3, registry, "ResidentCardRevoked", receipt.transaction_hash)
    assert (revoked["args"]["residentNumber"], revoked["args"]["holder"], revoked["args"]["reason"]) == (1, wallet(1), 2)

    minter.mint(registry.address, wallet(1), digest("one, reissued"))
    assert registry.card_of(wallet(1)) == 2
    assert registry.owner_of(1) is None
    assert registry.last_resident_number() == 2


def test_revoke_refusals(minter: Minter, admin: CardAdmin, stranger_admin: CardAdmin, registry: ResidentRegistry) -> None:
    minter.mint(registry.address, wallet(1), digest("one"))
    with pytest.raises(ContractRejected) as caught:
        stranger_admin.revoke(registry.address, 1, RevocationReason.TERMS_BREACHED)
    refused(caught, "AccessControlUnauthorizedAccount", account=SECOND_ADDRESS, neededRole=Role.ADMIN.id)
    admin.revoke(registry.address, 1, RevocationReason.HOLDER_REQUEST)
    with pytest.raises(ContractRejected) as caught:
        admin.revoke(registry.address, 1, RevocationReason.HOLDER_REQUEST)
    refused(caught, "ERC721NonexistentToken", tokenId=1)
    assert str(caught.value).endswith("Nothing was sent. Check the resident number: that card was never issued, or it was revoked.")


# --- update_metadata -----------------------------------------------------------------------


def test_update_metadata_changes_the_token_uri(minter: Minter, registry: ResidentRegistry, w3: Web3) -> None:
    minter.mint(registry.address, wallet(1), digest("design 1"))
    before = registry.token_uri(1)
    receipt = minter.update_metadata(registry.address, 1, digest("design 2"))
    assert registry.metadata_digest(1) == digest("design 2")
    assert registry.token_uri(1) != before
    [update] = events(w3, registry, "MetadataUpdate", receipt.transaction_hash)
    assert update["args"]["_tokenId"] == 1


def test_update_metadata_refusals(minter: Minter, admin: CardAdmin, registry: ResidentRegistry, w3: Web3) -> None:
    minter.mint(registry.address, wallet(1), digest("design 1"))
    with pytest.raises(ContractRejected) as caught:
        Minter(w3, admin.account).update_metadata(registry.address, 1, digest("design 2"))
    refused(caught, "AccessControlUnauthorizedAccount", account=admin.address, neededRole=Role.MINTER.id)
    with pytest.raises(ContractRejected) as caught:
        minter.update_metadata(registry.address, 1, bytes(32))
    refused(caught, "MissingMetadataDigest")
    with pytest.raises(ContractRejected) as caught:
        minter.update_metadata(registry.address, 2, digest("design 2"))
    refused(caught, "ERC721NonexistentToken", tokenId=2)


# --- anchors ---------------------------------------------------------------------------------


def test_the_three_anchors_are_written_once_and_read_back(anchor: AnchorSigner, registry: ResidentRegistry, w3: Web3) -> None:
    event, round_, proposal = digest("event key"), digest("round key"), digest("proposal key")
    receipt = anchor.anchor_attendance(registry.address, event, digest("attendees"), 12)
    attendance = registry.attendance_root(event)
    assert attendance is not None and (attendance.event_key, attendance.merkle_root, attendance.attendee_count) == (event, digest("attendees"), 12)
    assert attendance.anchored_at.timestamp() == w3.eth.get_block(receipt.block_number)["timestamp"]

    draw_block = w3.eth.block_number + 5
    anchor.commit_draw(registry.address, round_, digest("entries"), draw_block)
    draw = registry.draw_commitment(round_)
    assert draw is not None and (draw.commitment, draw.draw_block) == (digest("entries"), draw_block)

    anchor.anchor_vote_result(registry.address, proposal, digest("ballots"))
    vote = registry.vote_result(proposal)
    assert vote is not None and vote.ballots_root == digest("ballots")

    assert (registry.attendance_root(round_), registry.draw_commitment(proposal), registry.vote_result(event)) == (None, None, None)
    with pytest.raises(ContractRejected) as caught:
        anchor.anchor_attendance(registry.address, event, digest("a second list"), 13)
    refused(caught, "AnchorKeyUsed", key=event)
    assert str(caught.value).endswith("If it is wrong, an admin voids it and the record is anchored again under a new key.")
    with pytest.raises(ContractRejected) as caught:
        anchor.commit_draw(registry.address, digest("another round"), digest("entries"), w3.eth.block_number)
    refused(caught, "InvalidDrawCommitment", roundKey=digest("another round"), commitment=digest("entries"), drawBlock=w3.eth.block_number)


def test_only_the_anchor_key_anchors_and_only_the_admin_voids(keys: TownKeys, registry: ResidentRegistry, w3: Web3) -> None:
    for signer in (keys.admin, keys.minter):
        with pytest.raises(ContractRejected) as caught:
            AnchorSigner(w3, signer.account).anchor_attendance(registry.address, digest("key"), digest("root"), 5)
        refused(caught, "AccessControlUnauthorizedAccount", account=signer.address, neededRole=Role.ORGANIZER.id)
    keys.anchor.anchor_attendance(registry.address, digest("key"), digest("root"), 5)
    with pytest.raises(ContractRejected) as caught:
        CardAdmin(w3, keys.anchor.account).void_anchor(registry.address, digest("key"))
    refused(caught, "AccessControlUnauthorizedAccount", account=keys.anchor.address, neededRole=Role.ADMIN.id)
    keys.admin.void_anchor(registry.address, digest("key"))
    assert registry.attendance_root(digest("key")) is None
    with pytest.raises(ContractRejected) as caught:
        keys.anchor.anchor_attendance(registry.address, digest("key"), digest("root"), 5)
    refused(caught, "AnchorKeyVoided", key=digest("key"))


# --- grant_role / revoke_role --------------------------------------------------------------


def test_grant_and_revoke_a_role(admin: CardAdmin, stranger: Minter, registry: ResidentRegistry) -> None:
    admin.grant_role(registry.address, "MINTER_ROLE", SECOND_ADDRESS)
    assert registry.has_role(Role.MINTER, SECOND_ADDRESS)
    stranger.mint(registry.address, wallet(1), digest("one"))
    assert registry.owner_of(1) == wallet(1)

    admin.revoke_role(registry.address, Role.MINTER, SECOND_ADDRESS)
    assert not registry.has_role(Role.MINTER, SECOND_ADDRESS)
    with pytest.raises(ContractRejected) as caught:
        stranger.mint(registry.address, wallet(2), digest("two"))
    refused(caught, "AccessControlUnauthorizedAccount", account=SECOND_ADDRESS, neededRole=Role.MINTER.id)


def test_role_changes_need_the_admin_role(minter: Minter, stranger_admin: CardAdmin, registry: ResidentRegistry) -> None:
    with pytest.raises(ContractRejected) as caught:
        stranger_admin.grant_role(registry.address, Role.ORGANIZER, SECOND_ADDRESS)
    refused(caught, "AccessControlUnauthorizedAccount", account=SECOND_ADDRESS, neededRole=Role.ADMIN.id)
    with pytest.raises(ContractRejected) as caught:
        stranger_admin.revoke_role(registry.address, Role.MINTER, minter.address)
    refused(caught, "AccessControlUnauthorizedAccount", account=SECOND_ADDRESS, neededRole=Role.ADMIN.id)
    assert registry.has_role(Role.MINTER, minter.address)


# --- soulbound and transferable ------------------------------------------------------------


def transfer_as_holder(w3: Web3, registry: ResidentRegistry, to: str, resident_number: int) -> None:
    """The holder (anvil's second account) calls transferFrom with plain web3, as a wallet would."""
    holder = Account.from_key(SECOND_KEY)
    contract = w3.eth.contract(address=registry.address, abi=load_artifact("DigitalResident").abi)
    transaction = contract.functions.transferFrom(holder.address, to, resident_number).build_transaction(
        {"from": holder.address, "nonce": w3.eth.get_transaction_count(holder.address, "pending")}
    )
    signed = holder.sign_transaction(transaction)
    assert w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))["status"] == 1


def test_a_soulbound_card_refuses_a_transfer(minter: Minter, registry: ResidentRegistry, w3: Web3) -> None:
    minter.mint(registry.address, SECOND_ADDRESS, digest("one"))
    with pytest.raises(ContractLogicError) as caught:
        transfer_as_holder(w3, registry, wallet(5), 1)
    revert = resident_revert_decoder().from_exception(caught.value)
    assert (revert.name, dict(revert.arguments), str(revert)) == ("ResidentCardLocked", {"residentNumber": 1}, "ResidentCardLocked(residentNumber=1)")
    assert registry.owner_of(1) == SECOND_ADDRESS


def test_a_transferable_card_moves_but_not_onto_a_holder(keys: TownKeys, minter: Minter, w3: Web3) -> None:
    registry = deploy_card(keys, soulbound=False)
    minter.mint_batch(registry.address, [SECOND_ADDRESS, wallet(6)], [digest("one"), digest("two")])
    with pytest.raises(ContractLogicError) as caught:
        transfer_as_holder(w3, registry, wallet(6), 1)
    assert str(resident_revert_decoder().from_exception(caught.value)) == f"WalletAlreadyHoldsCard(wallet={wallet(6)})"

    transfer_as_holder(w3, registry, wallet(5), 1)
    assert registry.owner_of(1) == wallet(5)
    assert registry.locked(1) is False


# --- failures between estimation and receipt -----------------------------------------------


def test_a_revert_when_mined_is_replayed_and_named(minter: Minter, registry: ResidentRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    minter.mint(registry.address, wallet(1), digest("one"))
    # A fixed gas limit skips estimation, as if the chain changed between estimation and mining.
    build = minter._build
    monkeypatch.setattr(minter, "_build", lambda action, make, chain_id, lowest=0: build(action, lambda base: make({**base, "gas": 200_000}), chain_id, lowest))
    with pytest.raises(ContractRejected) as caught:
        minter.mint(registry.address, wallet(1), digest("again"))
    assert caught.value.error_name == "WalletAlreadyHoldsCard"
    assert caught.value.transaction_hash is not None
    assert str(caught.value).startswith(f"Minting a card to {wallet(1)} failed (transaction {caught.value.transaction_hash}): the contract refused: WalletAlreadyHoldsCard(")
    assert minter.w3.eth.get_transaction_receipt(caught.value.transaction_hash)["status"] == 0  # type: ignore[arg-type]


@pytest.fixture
def own_anvil() -> Iterator[AnvilProcess]:
    """An anvil this test may stop."""
    node = start_anvil()
    yield node
    node.stop()


def test_a_node_that_stops_before_sending_is_named(own_anvil: AnvilProcess) -> None:
    keys = town_keys(connect(own_anvil.rpc_url, 31337))
    minter, registry = keys.minter, deploy_card(keys)
    own_anvil.stop()
    with pytest.raises(ChainNodeStopped) as caught:
        minter.mint(registry.address, wallet(1), digest("one"))
    assert str(caught.value) == (
        f"Minting a card to {wallet(1)} failed: the chain node at {own_anvil.rpc_url} stopped answering (connection refused) "
        "before anything was sent. Start the node again (or check the network), then rerun the command to continue."
    )


def test_a_node_that_stops_while_waiting_for_the_receipt_is_named(own_anvil: AnvilProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    w3 = connect(own_anvil.rpc_url, 31337)
    keys = town_keys(w3)
    minter, registry = keys.minter, deploy_card(keys)
    send = w3.eth.send_raw_transaction

    def send_then_stop(raw: bytes) -> Any:
        sent = send(raw)
        own_anvil.stop()
        return sent

    monkeypatch.setattr(w3.eth, "send_raw_transaction", send_then_stop)
    with pytest.raises(ChainNodeStopped) as caught:
        minter.mint(registry.address, wallet(1), digest("one"))
    assert caught.value.transaction_hash is not None
    assert isinstance(caught.value, MintError)
    assert f"stopped answering (connection refused) after transaction {caught.value.transaction_hash} was signed; it may or may not be mined." in str(caught.value)
    assert str(caught.value).endswith("rerun the command to continue.")


# --- deploying through the service ---------------------------------------------------------


def test_a_deploy_gives_each_key_its_own_role_and_nothing_more(keys: TownKeys, app_context: Flask) -> None:
    outcome = deploy_resident_contract(keys.admin, 31337, ContractSettings(), "test", minter=keys.minter.address, organizer=keys.anchor.address)
    registry = ResidentRegistry(keys.w3, outcome.deployment.address)
    held = {signer.address: {role for role in Role if registry.has_role(role, signer.address)} for signer in (keys.admin, keys.minter, keys.anchor)}
    assert held == {keys.admin.address: {Role.ADMIN}, keys.minter.address: {Role.MINTER}, keys.anchor.address: {Role.ORGANIZER}}
    assert registry.admin_state().delay_seconds == 0, "no admin transfer delay on the local chain"
    audit = db.session.scalars(sa.select(AuditEntry)).one()
    assert (audit.details["admin"], audit.details["minter"], audit.details["organizer"]) == (keys.admin.address, keys.minter.address, keys.anchor.address)


def test_a_deploy_elsewhere_delays_admin_transfers(keys: TownKeys, app_context: Flask) -> None:
    # The service trusts the chain id it is given; anvil stands in for chain 11155111 here.
    outcome = deploy_resident_contract(keys.admin, 11155111, ContractSettings(), "test", minter=keys.minter.address, organizer=keys.anchor.address)
    registry = ResidentRegistry(keys.w3, outcome.deployment.address)
    assert registry.admin_state().delay_seconds == 48 * 3600

"""Typed reads of the resident contract on a real anvil chain."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from eth_account import Account
from web3 import Web3

from app.chain.anvil import AnvilProcess, start_anvil
from app.chain.client import AttendanceAnchor, ResidentRegistry, Role, connect
from app.chain.errors import CardNotFound, ContractMissing, NodeStoppedAnswering, UnknownRole
from minting.keys import ANVIL_DEV_KEY
from minting.minter import Minter

pytestmark = pytest.mark.chain

METADATA_DOCUMENTS = [
    {"name": "Digital Resident #1", "description": "A resident card of Nishikawa-machi."},
    {"name": "デジタル住民 #2", "description": "西川町のデジタル住民票です。月山のふもとへようこそ。", "attributes": [{"trait_type": "地区", "value": "大井沢"}]},
    {"name": "住民 #3 🌸", "description": "誰一人取り残さない", "image": "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"},
    {},
]


def raw_cid(block: bytes) -> str:
    """CIDv1, raw codec, sha2-256, base32 lower with multibase prefix `b`, computed here from first principles."""
    binary = bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(block).digest()
    return "b" + base64.b32encode(binary).decode("ascii").lower().rstrip("=")


def metadata_block(document: dict[str, object]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def wallet(index: int) -> str:
    return Web3.to_checksum_address(f"0x{0x5000 + index:040x}")


@pytest.fixture
def w3(anvil: AnvilProcess) -> Web3:
    return connect(anvil.rpc_url, 31337)


@pytest.fixture
def minter(w3: Web3) -> Minter:
    return Minter(w3, Account.from_key(ANVIL_DEV_KEY))


def deploy(minter: Minter, soulbound: bool = True, contract_uri: str = "") -> ResidentRegistry:
    receipt = minter.deploy_resident_contract("Nishikawa Digital Resident", "NDR", soulbound, contract_uri)
    assert receipt.contract_address is not None
    return ResidentRegistry(minter.w3, receipt.contract_address).ensure_deployed()


def test_token_uri_is_the_cid_of_each_metadata_document(minter: Minter) -> None:
    registry = deploy(minter)
    blocks = [metadata_block(document) for document in METADATA_DOCUMENTS]
    for index, block in enumerate(blocks):
        minter.mint(registry.address, wallet(index), hashlib.sha256(block).digest())

    for number, block in enumerate(blocks, start=1):
        cid = raw_cid(block)
        assert cid.startswith("bafkrei") and len(cid) == 59
        assert registry.token_uri(number) == f"ipfs://{cid}"
        assert registry.metadata_digest(number) == hashlib.sha256(block).digest()


def test_a_known_cid_matches(minter: Minter) -> None:
    # `ipfs add --cid-version=1 --raw-leaves` of the 12 bytes "hello world\n", as Kubo prints it.
    assert raw_cid(b"hello world\n") == "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
    registry = deploy(minter)
    minter.mint(registry.address, wallet(0), hashlib.sha256(b"hello world\n").digest())
    assert registry.token_uri(1) == "ipfs://bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"


def test_holder_and_card_are_read_both_ways(minter: Minter) -> None:
    registry = deploy(minter)
    minter.mint(registry.address, wallet(1), hashlib.sha256(b"{}").digest())
    assert registry.owner_of(1) == wallet(1)
    assert registry.card_of(wallet(1)) == 1
    assert registry.card_of(wallet(1).lower()) == 1
    assert registry.card_of(wallet(2)) is None


def test_cards_that_do_not_exist_read_as_none(minter: Minter) -> None:
    registry = deploy(minter)
    assert registry.last_resident_number() == 0
    assert registry.owner_of(1) is None
    assert registry.token_uri(1) is None
    assert registry.metadata_digest(1) is None
    with pytest.raises(CardNotFound, match=r"^Card 1 does not exist on 0x[0-9a-fA-F]{40}: it was never issued, or it was revoked\. Check"):
        registry.locked(1)


@pytest.mark.parametrize("soulbound", [True, False], ids=["soulbound", "transferable"])
def test_collection_settings_are_read_back(minter: Minter, soulbound: bool) -> None:
    registry = deploy(minter, soulbound=soulbound, contract_uri="ipfs://bafkreiexamplecollection")
    assert registry.soulbound() is soulbound
    assert registry.contract_uri() == "ipfs://bafkreiexamplecollection"
    minter.mint(registry.address, wallet(0), hashlib.sha256(b"card").digest())
    assert registry.last_resident_number() == 1
    assert registry.locked(1) is soulbound


def test_attendance_root_is_none_until_anchored(minter: Minter, w3: Web3) -> None:
    registry = deploy(minter)
    minter.grant_role(registry.address, Role.ORGANIZER, minter.address)
    assert registry.attendance_root(7) is None

    root = hashlib.sha256(b"attendance of event 7").digest()
    receipt = minter.anchor_attendance(registry.address, 7, root, 42)
    timestamp = w3.eth.get_block(receipt.block_number)["timestamp"]
    assert registry.attendance_root(7) == AttendanceAnchor(7, root, 42, datetime.fromtimestamp(timestamp, UTC))
    assert registry.attendance_root(8) is None


def test_roles_are_read_by_name(minter: Minter) -> None:
    registry = deploy(minter)
    assert registry.has_role(Role.ADMIN, minter.address)
    assert registry.has_role("MINTER_ROLE", minter.address)
    assert not registry.has_role(Role.ORGANIZER, minter.address)
    assert not registry.has_role(Role.MINTER, wallet(0))
    with pytest.raises(UnknownRole, match=r"^There is no role named 'MAYOR_ROLE' on the resident contract\. Use one of: DEFAULT_ADMIN_ROLE, MINTER_ROLE, ORGANIZER_ROLE\.$"):
        registry.has_role("MAYOR_ROLE", minter.address)


def test_a_read_of_an_address_without_code_names_the_setting(w3: Web3) -> None:
    registry = ResidentRegistry(w3, wallet(99))
    with pytest.raises(ContractMissing, match=r"^Setting RESIDENT_CONTRACT_ADDRESS: there is no contract code at"):
        registry.owner_of(1)


@pytest.fixture
def own_anvil() -> Iterator[AnvilProcess]:
    """An anvil this test may stop."""
    node = start_anvil()
    yield node
    node.stop()


def test_a_read_after_the_node_stopped_says_so(own_anvil: AnvilProcess) -> None:
    minter = Minter(connect(own_anvil.rpc_url, 31337), Account.from_key(ANVIL_DEV_KEY))
    registry = deploy(minter)
    own_anvil.stop()
    with pytest.raises(NodeStoppedAnswering) as caught:
        registry.owner_of(1)
    assert str(caught.value) == (
        f"Reading the holder of card 1 failed: the chain node at {own_anvil.rpc_url} stopped answering (connection refused). "
        "Check that it is running (`residents chain` starts the local one) or that the network is up, then retry."
    )

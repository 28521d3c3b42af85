"""Typed reads of the resident contract on a real anvil chain."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from web3 import Web3

from app.chain.anvil import AnvilProcess, start_anvil
from app.chain.client import AttendanceAnchor, ResidentRegistry, Role, connect
from app.chain.errors import CardNotFound, ContractMissing, NodeStoppedAnswering, UnknownRole
from minting.minter import Minter
from tests.integration.town_keys import TownKeys, deploy_card, town_keys

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
def keys(w3: Web3) -> TownKeys:
    return town_keys(w3)


@pytest.fixture
def minter(keys: TownKeys) -> Minter:
    return keys.minter


def deploy(minter: Minter, soulbound: bool = True, contract_uri: str = "") -> ResidentRegistry:
    return deploy_card(town_keys(minter.w3), soulbound=soulbound, contract_uri=contract_uri)


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


def test_which_card_a_wallet_holds_follows_its_transfers(keys: TownKeys) -> None:
    """The contract keeps no reverse mapping: the newest Transfer to a wallet whose card it still
    holds says which card that is, across cards given away, recovered and revoked."""
    registry = deploy_card(keys, soulbound=False)
    digest = hashlib.sha256(b"card").digest()
    keys.minter.mint_batch(registry.address, [wallet(1), wallet(2), wallet(3)], [digest] * 3)
    keys.admin.recover(registry.address, 1, wallet(4))  # wallet 1 lost card 1 ...
    keys.minter.mint(registry.address, wallet(1), digest)  # ... and got card 4
    keys.admin.revoke(registry.address, 2, 0)
    assert registry.cards_of([wallet(1), wallet(2), wallet(3), wallet(4), wallet(5)]) == {wallet(1): 4, wallet(3): 3, wallet(4): 1}
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


def test_attendance_root_is_none_until_anchored(keys: TownKeys, w3: Web3) -> None:
    registry = deploy_card(keys)
    seven, eight = (hashlib.sha256(f"event key {n}".encode()).digest() for n in (7, 8))
    assert registry.attendance_root(seven) is None

    root = hashlib.sha256(b"attendance of event 7").digest()
    receipt = keys.anchor.anchor_attendance(registry.address, seven, root, 42)
    timestamp = w3.eth.get_block(receipt.block_number)["timestamp"]
    assert registry.attendance_root(seven) == AttendanceAnchor(seven, root, 42, datetime.fromtimestamp(timestamp, UTC))
    assert registry.attendance_root(eight) is None


def test_roles_are_read_by_name(keys: TownKeys) -> None:
    registry = deploy_card(keys)
    assert registry.has_role(Role.ADMIN, keys.admin.address)
    assert registry.has_role("MINTER_ROLE", keys.minter.address)
    assert not registry.has_role(Role.ORGANIZER, keys.minter.address)
    assert not registry.has_role(Role.MINTER, wallet(0))
    with pytest.raises(UnknownRole, match=r"^There is no role named 'MAYOR_ROLE' on the resident contract\. Use one of: DEFAULT_ADMIN_ROLE, MINTER_ROLE, ORGANIZER_ROLE\.$"):
        registry.has_role("MAYOR_ROLE", keys.minter.address)


def test_role_members_and_the_admin_come_from_the_chain(keys: TownKeys) -> None:
    registry = deploy_card(keys)
    keys.admin.grant_role(registry.address, Role.MINTER, wallet(7))
    keys.admin.grant_role(registry.address, Role.ORGANIZER, wallet(8))
    keys.admin.revoke_role(registry.address, Role.ORGANIZER, wallet(8))
    assert registry.role_members(Role.MINTER) == sorted([keys.minter.address, wallet(7)])
    assert registry.role_members(Role.ORGANIZER) == [keys.anchor.address]
    state = registry.admin_state()
    assert (state.admin, state.pending_admin, state.accept_after) == (keys.admin.address, None, None)


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
    registry = deploy_card(town_keys(connect(own_anvil.rpc_url, 31337)))
    own_anvil.stop()
    with pytest.raises(NodeStoppedAnswering) as caught:
        registry.owner_of(1)
    assert str(caught.value) == (
        f"Reading the holder of card 1 failed: the chain node at {own_anvil.rpc_url} stopped answering (connection refused). "
        "Check that it is running (`residents chain` starts the local one) or that the network is up, then retry."
    )

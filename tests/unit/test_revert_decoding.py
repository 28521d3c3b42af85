"""Decoding the resident contract's reverts, wherever a node or provider puts the revert data."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak
from web3 import EthereumTesterProvider, Web3
from web3.exceptions import ContractCustomError, ContractLogicError

from app.chain.artifacts import load_artifact
from app.chain.client import ContractRevert, Role, resident_revert_decoder, revert_data
from minting.errors import ContractRejected

HOLDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def error_data(signature: str, types: list[str], values: list[Any]) -> bytes:
    return keccak(text=signature)[:4] + encode(types, values)


WALLET_HOLDS_CARD = error_data("WalletAlreadyHoldsCard(address)", ["address"], [HOLDER])


@pytest.mark.parametrize(
    "exception",
    [
        pytest.param(ContractCustomError("0x" + WALLET_HOLDS_CARD.hex(), data="0x" + WALLET_HOLDS_CARD.hex()), id="anvil-and-geth"),
        pytest.param(ContractLogicError("execution reverted", data={"data": "0x" + WALLET_HOLDS_CARD.hex()}), id="dict"),
        pytest.param(ContractLogicError("execution reverted", data={"message": "reverted", "originalError": {"data": "0x" + WALLET_HOLDS_CARD.hex()}}), id="nested"),
        pytest.param(ContractLogicError("execution reverted", data="Reverted 0x" + WALLET_HOLDS_CARD.hex()), id="reverted-prefix"),
        pytest.param(ContractLogicError("0x" + WALLET_HOLDS_CARD.hex()), id="only-in-args"),
        pytest.param(ContractLogicError("execution reverted", data=WALLET_HOLDS_CARD), id="bytes"),
    ],
)
def test_revert_data_is_found_in_every_shape(exception: Exception) -> None:
    revert = resident_revert_decoder().from_exception(exception)
    assert revert == ContractRevert("WalletAlreadyHoldsCard", {"wallet": HOLDER}, WALLET_HOLDS_CARD)
    assert str(revert) == f"WalletAlreadyHoldsCard(wallet={HOLDER})"


def test_revert_data_is_found_on_the_exception_raised_from() -> None:
    try:
        try:
            raise RuntimeError(WALLET_HOLDS_CARD)
        except RuntimeError:
            raise ContractLogicError("execution reverted: b'...'") from None
    except ContractLogicError as outer:
        # `from None` suppresses display, not the context: providers that re-raise keep it.
        assert revert_data(outer) == WALLET_HOLDS_CARD


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(error_data("MintBatchEmpty()", [], []), "MintBatchEmpty()", id="no-arguments"),
        pytest.param(
            error_data("AccessControlUnauthorizedAccount(address,bytes32)", ["address", "bytes32"], [HOLDER, Role.ORGANIZER.id]),
            f"AccessControlUnauthorizedAccount(account={HOLDER}, neededRole=ORGANIZER_ROLE)",
            id="role-by-name",
        ),
        pytest.param(
            error_data("InvalidAttendanceAnchor(bytes32,bytes32,uint32)", ["bytes32", "bytes32", "uint32"], [b"\xcd" * 32, b"\xab" * 32, 0]),
            "InvalidAttendanceAnchor(eventKey=0x" + "cd" * 32 + ", merkleRoot=0x" + "ab" * 32 + ", attendeeCount=0)",
            id="bytes32-as-hex",
        ),
        pytest.param(error_data("Error(string)", ["string"], ["西川町: 拒否"]), "Error(message='西川町: 拒否')", id="error-string"),
        pytest.param(error_data("Panic(uint256)", ["uint256"], [0x11]), "Panic(code=17)", id="panic"),
        pytest.param(bytes.fromhex("deadbeef") + bytes(32), "an error this contract's ABI does not declare (revert data 0xdeadbeef" + "00" * 32 + ")", id="unknown-selector"),
        pytest.param(WALLET_HOLDS_CARD[:20], "an error this contract's ABI does not declare (revert data 0x" + WALLET_HOLDS_CARD[:20].hex() + ")", id="truncated"),
        pytest.param(b"", "a revert without an error (no revert data)", id="empty"),
    ],
)
def test_decoded_reverts_read_plainly(data: bytes, expected: str) -> None:
    assert str(resident_revert_decoder().decode(data)) == expected


def test_a_revert_without_data_is_said_so() -> None:
    revert = resident_revert_decoder().from_exception(ContractLogicError("execution reverted", data=None))
    assert (revert.name, str(revert)) == (None, "a revert without an error (no revert data)")


def test_the_minting_error_names_the_error_and_what_to_do() -> None:
    revert = resident_revert_decoder().decode(error_data("MintBatchInvalidRecipient(uint256)", ["uint256"], [4]))
    error = ContractRejected("Minting a batch of 5 cards", revert)
    assert (error.error_name, error.arguments) == ("MintBatchInvalidRecipient", {"index": 4})
    assert str(error) == (
        "Minting a batch of 5 cards failed: the contract refused: MintBatchInvalidRecipient(index=4). "
        "Nothing was sent. That entry is the zero address: fix or remove it and rerun."
    )


def test_an_in_process_evm_revert_is_decoded() -> None:
    """eth-tester (py-evm, Prague) raises its own exception; the revert bytes sit on its context."""
    w3 = Web3(EthereumTesterProvider())
    deployer = w3.eth.accounts[0]
    artifact = load_artifact("DigitalResident")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor("NDR", "NDR", deployer, 0, deployer, deployer, True, "").transact({"from": deployer}))
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)
    holder = Account.create().address
    contract.functions.mint(holder, hashlib.sha256(b"{}").digest()).transact({"from": deployer})

    with pytest.raises(TransactionFailed) as caught:
        contract.functions.mint(holder, hashlib.sha256(b"{}").digest()).estimate_gas({"from": deployer})
    revert = resident_revert_decoder().from_exception(caught.value)
    assert str(revert) == f"WalletAlreadyHoldsCard(wallet={holder})"

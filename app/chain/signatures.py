"""Signatures of smart-contract wallets (ERC-1271), checked by asking the wallet on the chain."""

from __future__ import annotations

from eth_abi import encode as abi_encode
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3Exception, Web3RPCError

from app.chain.client import NODE_FAILURES, failure_reason, node_url
from app.chain.errors import NodeStoppedAnswering

#: bytes4(keccak256("isValidSignature(bytes32,bytes)")): the selector, and the answer meaning "valid".
ERC1271_MAGIC_VALUE = bytes.fromhex("1626ba7e")
#: The answer as a whole ABI word, compared in full like OpenZeppelin's SignatureChecker does,
#: so a contract whose fallback echoes junk cannot pass by accident.
_MAGIC_WORD = ERC1271_MAGIC_VALUE + bytes(28)


def is_valid_signature(w3: Web3, address: str, hash32: bytes, signature: bytes) -> bool:
    """Ask the contract wallet at `address` whether it accepts `signature` for `hash32` (ERC-1271).

    False when the address has no code, the call reverts or the answer is not the magic value;
    NodeStoppedAnswering when the node cannot be asked, which is not the same as "no".
    """
    if len(hash32) != 32:
        raise ValueError("an ERC-1271 hash is exactly 32 bytes")
    data = ERC1271_MAGIC_VALUE + abi_encode(["bytes32", "bytes"], [hash32, signature])
    try:
        answer = w3.eth.call({"to": Web3.to_checksum_address(address), "data": Web3.to_hex(data)})
    except ContractLogicError:
        return False
    except Web3RPCError as exc:
        # Nodes disagree on how a revert without data is reported; a JSON-RPC "execution
        # reverted" is a refusal, anything else means the node itself failed.
        if "revert" in str(exc).lower():
            return False
        raise NodeStoppedAnswering(node_url(w3), "Checking a smart-contract wallet's signature", type(exc).__name__) from None
    except (*NODE_FAILURES, Web3Exception) as exc:
        raise NodeStoppedAnswering(node_url(w3), "Checking a smart-contract wallet's signature", failure_reason(exc)) from None
    return bytes(answer)[:32] == _MAGIC_WORD

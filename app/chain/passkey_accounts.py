"""Passkey residents' accounts on the chain: where a passkey's account lives (computed off-chain,
before it is deployed), whether it is deployed, and what it says about a signature.

Each account is a clone of the `ResidentAccount` implementation made by the
`ResidentAccountFactory` with CREATE2 (OpenZeppelin `Clones.cloneDeterministicWithImmutableArgs`,
zero salt, the key `qx ‖ qy` as immutable args), so its address is a function of the factory,
the implementation and the passkey's public key only. The minter deploys accounts
(`minting.minter.Minter.deploy_passkey_account`); this module only reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils import keccak, to_canonical_address, to_checksum_address
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3Exception

from app.chain.artifacts import load_artifact
from app.chain.client import NODE_FAILURES, failure_reason, node_url
from app.chain.errors import ChainError, ContractMissing, NodeStoppedAnswering
from app.chain.service import find_deployment, open_chain
from app.chain.signatures import is_valid_signature
from app.config import Config

ACCOUNT_CONTRACT = "ResidentAccount"
FACTORY_CONTRACT = "ResidentAccountFactory"
#: Hardhat puts both under contracts/account/.
ACCOUNT_SOURCE = "account/ResidentAccount"
FACTORY_SOURCE = "account/ResidentAccountFactory"

#: The factory's CREATE2 salt: the key in the clone's code already makes every address unique.
ACCOUNT_SALT = bytes(32)

# OpenZeppelin Clones, ERC-1167 with immutable args: `61 <len> 3d81600a3d39f3 <runtime> <args>`,
# where the runtime is `363d3d373d3d3d363d73 <implementation> 5af43d82803e903d91602b57fd5bf3`.
_RUNTIME_LENGTH = 0x2D
_CREATION_PREFIX = bytes.fromhex("3d81600a3d39f3")
_RUNTIME_PREFIX = bytes.fromhex("363d3d373d3d3d363d73")
_RUNTIME_SUFFIX = bytes.fromhex("5af43d82803e903d91602b57fd5bf3")

#: The P-256 curve: y² = x³ + ax + b over the prime field p.
_P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_P256_A = _P256_P - 3
_P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


class AccountFactoryMissing(ChainError):
    def __init__(self, chain_id: int) -> None:
        super().__init__(f"No passkey account factory is recorded for chain {chain_id}. Run `residents deploy` to deploy it.")


class InvalidPasskeyKey(ChainError):
    def __init__(self, problem: str) -> None:
        super().__init__(f"That is not a passkey public key the resident's account can use: {problem}. Register the passkey again.")


@dataclass(frozen=True)
class PasskeyKey:
    """A passkey's P-256 public key as the account factory takes it: two 32-byte coordinates."""

    qx: bytes
    qy: bytes

    def __post_init__(self) -> None:
        if len(self.qx) != 32 or len(self.qy) != 32:
            raise InvalidPasskeyKey("each coordinate is exactly 32 bytes")
        x, y = int.from_bytes(self.qx, "big"), int.from_bytes(self.qy, "big")
        # The factory refuses a key off the curve; refuse it here first, before anything is sent.
        if not (x < _P256_P and y < _P256_P and (y * y - (x * x * x + _P256_A * x + _P256_B)) % _P256_P == 0):
            raise InvalidPasskeyKey("the point is not on the P-256 curve")

    @property
    def clone_args(self) -> bytes:
        return self.qx + self.qy


def clone_runtime_code(implementation: str, key: PasskeyKey) -> bytes:
    """The code an account has once deployed: the ERC-1167 proxy, then the key."""
    return _RUNTIME_PREFIX + to_canonical_address(implementation) + _RUNTIME_SUFFIX + key.clone_args


def predict_account_address(factory: str, implementation: str, key: PasskeyKey) -> ChecksumAddress:
    """The address of `key`'s account made by `factory` (CREATE2), deployed or not; no chain call."""
    args = key.clone_args
    init_code = b"\x61" + (_RUNTIME_LENGTH + len(args)).to_bytes(2, "big") + _CREATION_PREFIX + clone_runtime_code(implementation, key)
    digest = keccak(b"\xff" + to_canonical_address(factory) + ACCOUNT_SALT + keccak(init_code))
    return to_checksum_address(digest[12:])


class PasskeyAccounts:
    """Reads of the account factory on one chain."""

    def __init__(self, w3: Web3, factory_address: str) -> None:
        self.w3 = w3
        self.factory_address = Web3.to_checksum_address(factory_address)
        self._factory = w3.eth.contract(address=self.factory_address, abi=load_artifact(FACTORY_CONTRACT, FACTORY_SOURCE).abi)
        self._implementation: ChecksumAddress | None = None

    def implementation(self) -> ChecksumAddress:
        """The implementation every account of this factory delegates to (asked once, it is immutable)."""
        if self._implementation is None:
            self._implementation = Web3.to_checksum_address(self._read("Reading the account factory", self._factory.functions.implementation().call))
        return self._implementation

    def address_of(self, key: PasskeyKey) -> ChecksumAddress:
        """The account address of `key`, computed off-chain (the implementation is read once)."""
        return predict_account_address(self.factory_address, self.implementation(), key)

    def factory_prediction(self, key: PasskeyKey) -> ChecksumAddress:
        """The factory's own answer for `key`'s address (a chain call; `address_of` needs none)."""
        predicted = self._read("Reading the account factory", self._factory.functions.predictAccount(key.qx, key.qy).call)
        return Web3.to_checksum_address(predicted)

    def is_deployed(self, key: PasskeyKey) -> bool:
        """Whether `key`'s account has its code on the chain (a card can be held before it has)."""
        address = self.address_of(key)
        code = self._read("Checking a passkey account", lambda: self.w3.eth.get_code(address))
        return bytes(code) == clone_runtime_code(self.implementation(), key)

    def accepts(self, key: PasskeyKey, hash32: bytes, signature: bytes) -> bool:
        """Ask `key`'s deployed account whether `signature` is valid for `hash32` (ERC-1271)."""
        return is_valid_signature(self.w3, self.address_of(key), hash32, signature)

    def check(self) -> ChecksumAddress:
        """Check that the factory is deployed and predicts addresses as this module does; return its implementation.

        For `residents check`: a factory built from other sources would put accounts elsewhere.
        """
        if not self._read("Checking the account factory", lambda: self.w3.eth.get_code(self.factory_address)):
            raise ContractMissing(self.factory_address, self.w3.eth.chain_id, setting="the recorded ResidentAccountFactory")
        probe = _GENERATOR
        on_chain = self.factory_prediction(probe)
        if on_chain != self.address_of(probe):
            raise ChainError(
                f"The account factory at {self.factory_address} puts accounts at {on_chain}, but this checkout expects "
                f"{self.address_of(probe)}. Deploy the factory from this checkout (`residents deploy`)."
            )
        return self.implementation()

    def _read(self, action: str, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except ContractLogicError:
            raise ChainError(f"{action} failed: {self.factory_address} is not a ResidentAccountFactory. Check the recorded deployment.") from None
        except (*NODE_FAILURES, Web3Exception) as exc:
            raise NodeStoppedAnswering(node_url(self.w3), action, failure_reason(exc)) from None


#: The curve's generator, a valid key that no resident uses: the probe for `PasskeyAccounts.check`.
_GENERATOR = PasskeyKey(
    qx=bytes.fromhex("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"),
    qy=bytes.fromhex("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5"),
)


def open_passkey_accounts(config: Config) -> PasskeyAccounts:
    """The account factory recorded for the configured chain, connected to its node."""
    factory = find_deployment(config.CHAIN_ID, FACTORY_CONTRACT)
    if factory is None:
        raise AccountFactoryMissing(config.CHAIN_ID)
    return PasskeyAccounts(open_chain(config), factory.address)

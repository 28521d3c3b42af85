"""Where the town's three signing keys come from. A key itself is never logged or stored.

Each role has its own key, from the environment (`RESIDENTS_<ROLE>_KEY`) or an encrypted JSON
keystore (`RESIDENTS_<ROLE>_KEYSTORE`, unlocked with `RESIDENTS_<ROLE>_KEYSTORE_PASSWORD` or a
password typed on the terminal). The settings are read here, when a command asks for the key,
never by `Config`: a web process that never asks for the admin or minter key never reads them.
On the local chain 31337 each role defaults to its own anvil development key; anywhere else
every well-known test key (anvil's ten, Hardhat's twenty) is refused.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address

from app.chain.client import Role
from app.config import LOCAL_CHAIN_ID, Config
from minting.errors import SigningKeyError


class KeyRole(StrEnum):
    """The three keys, by what they may do on the card contract."""

    #: DEFAULT_ADMIN_ROLE: deploy, recover, revoke, roles, void anchors. Cold; admin commands only.
    ADMIN = "admin"
    #: MINTER_ROLE: mint, metadata updates. The mint commands only.
    MINTER = "minter"
    #: ORGANIZER_ROLE: anchors (attendance, lottery commitments, vote roots). The only key a web
    #: process may load.
    ANCHOR = "anchor"

    @property
    def key_setting(self) -> str:
        return f"RESIDENTS_{self.name}_KEY"

    @property
    def keystore_setting(self) -> str:
        return f"RESIDENTS_{self.name}_KEYSTORE"

    @property
    def password_setting(self) -> str:
        return f"RESIDENTS_{self.name}_KEYSTORE_PASSWORD"

    @property
    def chain_role(self) -> Role:
        return {KeyRole.ADMIN: Role.ADMIN, KeyRole.MINTER: Role.MINTER, KeyRole.ANCHOR: Role.ORGANIZER}[self]


#: anvil's well-known development accounts #0, #8 and #9 (public knowledge, from the mnemonic
#: "test test … junk"): the admin, minter and anchor keys of the local chain 31337 only.
#: #1–#7 stay free for residents' wallets in development and tests.
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
DEV_KEYS: dict[KeyRole, tuple[int, str]] = {
    KeyRole.ADMIN: (0, ANVIL_DEV_KEY),
    KeyRole.MINTER: (8, "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"),
    KeyRole.ANCHOR: (9, "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"),
}

#: The accounts of the public test mnemonic: anvil's ten (#0–#9) and Hardhat's twenty, of which
#: the first ten are the same. Anyone holds these keys; they are refused off chain 31337.
PUBLIC_TEST_ADDRESSES: frozenset[str] = frozenset(
    {
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
        "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
        "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
        "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
        "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
        "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
        "0xBcd4042DE499D14e55001CcbB24a551F3b954096",
        "0x71bE63f3384f5fb98995898A86B02Fb2426c5788",
        "0xFABB0ac9d68B0B445fB7357272Ff202C5651694a",
        "0x1CBd3b2770909D4e10f157cABC84C7264073C9Ec",
        "0xdF3e18d64BC6A983f673Ab319CCaE4f1a57C7097",
        "0xcd3B766CCDd6AE721141F452C550Ca635964ce71",
        "0x2546BcD3c84621e976D8185a91A922aE77ECEc30",
        "0xbDA5747bFD65F08deb54cb465eB87D40e51B197E",
        "0xdD2FD4581271e230360230F9337D5c0430Bf44C0",
        "0x8626f6940E2eb28930eFb4CeF49B2d1F2C9C1199",
    }
)


@dataclass(frozen=True)
class ConfiguredKey:
    """Which account a role's key is, and where it comes from (nothing secret)."""

    role: KeyRole
    address: str
    #: The setting it came from ("RESIDENTS_MINTER_KEYSTORE /secure/minter.json"), or the dev key.
    origin: str


def load_signing_account(role: KeyRole, config: Config, *, interactive: bool = True) -> LocalAccount:
    """Return `role`'s signing account: its key or keystore from the environment, or on the
    local chain its anvil development key."""
    key = _setting(config, role.key_setting)
    keystore = _setting(config, role.keystore_setting)
    if key:
        try:
            account: LocalAccount = Account.from_key(key)
        except (ValueError, TypeError):
            raise SigningKeyError(f"Setting {role.key_setting}: not a valid hex private key (64 hex digits, optionally 0x-prefixed).") from None
        _refuse_public_key_off_local(account.address, role.key_setting, config)
        return account
    if keystore:
        # Refused before any password is asked for; checked again on the key itself, since the
        # address in a keystore's clear text is only a claim.
        _refuse_public_key_off_local(_keystore_address(role, Path(keystore)), role.keystore_setting, config)
        account = _unlock(role, config, Path(keystore), interactive)
        _refuse_public_key_off_local(account.address, role.keystore_setting, config)
        return account
    if config.CHAIN_ID == LOCAL_CHAIN_ID:
        return Account.from_key(DEV_KEYS[role][1])
    raise SigningKeyError(_missing(role, config))


def configured_key(role: KeyRole, config: Config) -> ConfiguredKey:
    """Return which account `role`'s key is without unlocking it (a keystore names its address)."""
    key = _setting(config, role.key_setting)
    keystore = _setting(config, role.keystore_setting)
    if key:
        return ConfiguredKey(role, load_signing_account(role, config, interactive=False).address, role.key_setting)
    if keystore:
        address = _refuse_public_key_off_local(_keystore_address(role, Path(keystore)), role.keystore_setting, config)
        return ConfiguredKey(role, address, f"{role.keystore_setting} {keystore}")
    if config.CHAIN_ID == LOCAL_CHAIN_ID:
        index, dev_key = DEV_KEYS[role]
        return ConfiguredKey(role, Account.from_key(dev_key).address, f"anvil development key #{index}")
    raise SigningKeyError(_missing(role, config))


def _setting(config: Config, name: str) -> str | None:
    value = config.environ.get(name)
    return value or None


def _missing(role: KeyRole, config: Config) -> str:
    return (
        f"Setting {role.key_setting}: chain {config.CHAIN_ID} needs the {role.value} key. "
        f"Set {role.key_setting}, or {role.keystore_setting} with its password (see the README's table of keys)."
    )


def _read_keystore(role: KeyRole, path: Path) -> dict[str, object]:
    try:
        keystore = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SigningKeyError(f"Setting {role.keystore_setting}: cannot read a JSON keystore at {path} ({exc.__class__.__name__}).") from None
    if not isinstance(keystore, dict):
        raise SigningKeyError(f"Setting {role.keystore_setting}: {path} is JSON but not a keystore (expected an object with `crypto`).")
    return keystore


def _keystore_address(role: KeyRole, path: Path) -> str:
    """The address a keystore names in the clear (every keystore Account.encrypt writes has it)."""
    address = _read_keystore(role, path).get("address")
    if not isinstance(address, str) or not is_address("0x" + address.removeprefix("0x")):
        raise SigningKeyError(f"Setting {role.keystore_setting}: the keystore {path} does not name its address; write it again with Account.encrypt.")
    return to_checksum_address("0x" + address.removeprefix("0x"))


def _unlock(role: KeyRole, config: Config, path: Path, interactive: bool) -> LocalAccount:
    keystore = _read_keystore(role, path)
    password = config.environ.get(role.password_setting)
    if password is None:
        if not interactive:
            raise SigningKeyError(f"Setting {role.password_setting}: needed to unlock the {role.value} keystore when no terminal is attached.")
        password = getpass.getpass(f"Password for the {role.value} keystore {path.name}: ")
    try:
        account: LocalAccount = Account.from_key(Account.decrypt(keystore, password))
    except ValueError:
        raise SigningKeyError(f"Setting {role.password_setting}: wrong password for {path}.") from None
    return account


def _refuse_public_key_off_local(address: str, setting: str, config: Config) -> str:
    if address in PUBLIC_TEST_ADDRESSES and config.CHAIN_ID != LOCAL_CHAIN_ID:
        raise SigningKeyError(
            f"Setting {setting}: {address} is a public test account (anvil's and Hardhat's keys are known to everyone) "
            f"and is refused on chain {config.CHAIN_ID}; use a key of your own."
        )
    return address

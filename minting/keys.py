"""Where the minting wallet's key comes from. The key itself is never logged or stored."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from app.config import LOCAL_CHAIN_ID, Config
from minting.errors import SigningKeyError

#: anvil's first well-known development account. Public knowledge; accepted only on chain 31337.
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def load_minter_account(config: Config, *, interactive: bool = True) -> LocalAccount:
    """Return the signing account: a key or keystore from the environment, or anvil's on the local chain."""
    if config.RESIDENTS_MINTER_KEY:
        try:
            account: LocalAccount = Account.from_key(config.RESIDENTS_MINTER_KEY)
        except (ValueError, TypeError):
            raise SigningKeyError("Setting RESIDENTS_MINTER_KEY: not a valid hex private key (64 hex digits, optionally 0x-prefixed).") from None
        return _refuse_dev_key_off_local(account, config)
    if config.RESIDENTS_MINTER_KEYSTORE:
        return _refuse_dev_key_off_local(_from_keystore(config, interactive), config)
    if config.CHAIN_ID == LOCAL_CHAIN_ID:
        return Account.from_key(ANVIL_DEV_KEY)
    raise SigningKeyError(
        f"Setting RESIDENTS_MINTER_KEY: chain {config.CHAIN_ID} needs a signing key. "
        "Set RESIDENTS_MINTER_KEY, or RESIDENTS_MINTER_KEYSTORE with its password."
    )


def _from_keystore(config: Config, interactive: bool) -> LocalAccount:
    path = Path(config.RESIDENTS_MINTER_KEYSTORE or "")
    try:
        keystore = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SigningKeyError(f"Setting RESIDENTS_MINTER_KEYSTORE: cannot read a JSON keystore at {path} ({exc.__class__.__name__}).") from None
    password = config.RESIDENTS_MINTER_KEYSTORE_PASSWORD
    if password is None:
        if not interactive:
            raise SigningKeyError("Setting RESIDENTS_MINTER_KEYSTORE_PASSWORD: needed to unlock the keystore when no terminal is attached.")
        password = getpass.getpass(f"Password for {path.name}: ")
    try:
        return Account.from_key(Account.decrypt(keystore, password))
    except ValueError:
        raise SigningKeyError(f"Setting RESIDENTS_MINTER_KEYSTORE_PASSWORD: wrong password for {path}.") from None


def _refuse_dev_key_off_local(account: LocalAccount, config: Config) -> LocalAccount:
    if account.key.hex().removeprefix("0x") == ANVIL_DEV_KEY[2:] and config.CHAIN_ID != LOCAL_CHAIN_ID:
        raise SigningKeyError(f"Setting RESIDENTS_MINTER_KEY: anvil's public development key is refused on chain {config.CHAIN_ID}; use a key of your own.")
    return account

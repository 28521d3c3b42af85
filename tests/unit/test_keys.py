"""The three signing keys: where each comes from, the local chain's defaults, and every public
test key (anvil's ten, Hardhat's twenty) refused off chain 31337 for every role."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from app.config import Config
from minting.errors import SigningKeyError
from minting.keys import DEV_KEYS, PUBLIC_TEST_ADDRESSES, KeyRole, configured_key, load_signing_account

MNEMONIC = "test test test test test test test test test test test junk"


def public_test_keys() -> list[str]:
    """The first twenty accounts of the public mnemonic, derived here (Hardhat's defaults; anvil's are the first ten)."""
    Account.enable_unaudited_hdwallet_features()
    return [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key.hex() for i in range(20)]


PUBLIC_KEYS = public_test_keys()


def sepolia(**settings: str) -> Config:
    return Config({"CHAIN_ID": "11155111", **settings})


def keystore(tmp_path: Path, key: str, password: str = "pw", name: str = "key.json") -> Path:
    path = tmp_path / name
    # One PBKDF2 round: these tests check which key is refused, not how hard it is to crack.
    path.write_text(json.dumps(Account.encrypt(key, password, kdf="pbkdf2", iterations=1)))
    return path


def test_the_refused_addresses_are_exactly_the_public_mnemonics_first_twenty() -> None:
    assert PUBLIC_TEST_ADDRESSES == {Account.from_key(key).address for key in PUBLIC_KEYS}


@pytest.mark.parametrize("role", list(KeyRole))
@pytest.mark.parametrize("index", range(20))
def test_every_public_test_key_is_refused_off_the_local_chain_from_the_environment(role: KeyRole, index: int) -> None:
    with pytest.raises(SigningKeyError, match=rf"^Setting {role.key_setting}: 0x[0-9a-fA-F]{{40}} is a public test account .* refused on chain 11155111"):
        load_signing_account(role, sepolia(**{role.key_setting: PUBLIC_KEYS[index]}), interactive=False)


@pytest.mark.parametrize("role", list(KeyRole))
@pytest.mark.parametrize("index", [0, 1, 9, 10, 19])
def test_a_public_test_key_in_a_keystore_is_refused_before_any_password(role: KeyRole, index: int, tmp_path: Path) -> None:
    path = keystore(tmp_path, PUBLIC_KEYS[index])
    config = sepolia(**{role.keystore_setting: str(path)})  # no password: refused before one is asked for
    with pytest.raises(SigningKeyError, match=rf"^Setting {role.keystore_setting}: .* is a public test account"):
        load_signing_account(role, config, interactive=False)
    with pytest.raises(SigningKeyError, match="public test account"):
        configured_key(role, config)


def test_a_keystore_that_hides_its_public_key_behind_another_address_is_still_refused(tmp_path: Path) -> None:
    path = keystore(tmp_path, PUBLIC_KEYS[3])
    forged = json.loads(path.read_text())
    forged["address"] = Account.create().address[2:].lower()
    path.write_text(json.dumps(forged))
    config = sepolia(RESIDENTS_ANCHOR_KEYSTORE=str(path), RESIDENTS_ANCHOR_KEYSTORE_PASSWORD="pw")
    with pytest.raises(SigningKeyError, match="public test account"):
        load_signing_account(KeyRole.ANCHOR, config, interactive=False)


def test_on_the_local_chain_each_role_has_its_own_development_key() -> None:
    config = Config({"CHAIN_ID": "31337"})
    addresses = {role: load_signing_account(role, config).address for role in KeyRole}
    assert len(set(addresses.values())) == 3
    assert {role: configured_key(role, config).address for role in KeyRole} == addresses
    assert configured_key(KeyRole.MINTER, config).origin == "anvil development key #8"
    assert addresses[KeyRole.ADMIN] == Account.from_key(DEV_KEYS[KeyRole.ADMIN][1]).address


def test_a_key_of_ones_own_is_used_for_its_role_only(tmp_path: Path) -> None:
    own = Account.create()
    config = sepolia(RESIDENTS_MINTER_KEY=own.key.hex())
    assert load_signing_account(KeyRole.MINTER, config).address == own.address
    for role in (KeyRole.ADMIN, KeyRole.ANCHOR):
        with pytest.raises(SigningKeyError, match=rf"^Setting {role.key_setting}: chain 11155111 needs the {role.value} key\. Set {role.key_setting}, or {role.keystore_setting}"):
            load_signing_account(role, config)


def test_a_keystore_names_its_address_without_a_password_and_unlocks_with_one(tmp_path: Path) -> None:
    own = Account.create()
    path = keystore(tmp_path, own.key.hex(), password="月山")
    config = sepolia(RESIDENTS_ADMIN_KEYSTORE=str(path))
    found = configured_key(KeyRole.ADMIN, config)
    assert (found.address, found.origin) == (own.address, f"RESIDENTS_ADMIN_KEYSTORE {path}")
    with pytest.raises(SigningKeyError, match=r"^Setting RESIDENTS_ADMIN_KEYSTORE_PASSWORD: needed to unlock the admin keystore"):
        load_signing_account(KeyRole.ADMIN, config, interactive=False)
    wrong = sepolia(RESIDENTS_ADMIN_KEYSTORE=str(path), RESIDENTS_ADMIN_KEYSTORE_PASSWORD="wrong")
    with pytest.raises(SigningKeyError, match="wrong password"):
        load_signing_account(KeyRole.ADMIN, wrong, interactive=False)
    right = sepolia(RESIDENTS_ADMIN_KEYSTORE=str(path), RESIDENTS_ADMIN_KEYSTORE_PASSWORD="月山")
    assert load_signing_account(KeyRole.ADMIN, right, interactive=False).address == own.address


def test_a_malformed_key_or_keystore_names_its_setting(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError, match=r"^Setting RESIDENTS_ANCHOR_KEY: not a valid hex private key"):
        load_signing_account(KeyRole.ANCHOR, sepolia(RESIDENTS_ANCHOR_KEY="0x1234"))
    (tmp_path / "bad.json").write_text("[]")
    with pytest.raises(SigningKeyError, match=r"^Setting RESIDENTS_MINTER_KEYSTORE: .* is JSON but not a keystore"):
        configured_key(KeyRole.MINTER, sepolia(RESIDENTS_MINTER_KEYSTORE=str(tmp_path / "bad.json")))
    with pytest.raises(SigningKeyError, match=r"^Setting RESIDENTS_MINTER_KEYSTORE: cannot read a JSON keystore"):
        configured_key(KeyRole.MINTER, sepolia(RESIDENTS_MINTER_KEYSTORE=str(tmp_path / "missing.json")))

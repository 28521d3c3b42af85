"""The web process holds the anchor key and nothing else: the production app, serving pages and
anchoring an exchange event's attendance, never reads the admin or minting key settings."""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping
from datetime import timedelta
from pathlib import Path

import pytest
from eth_account import Account
from flask import Flask

from app import create_app
from app.chain.anvil import AnvilProcess
from app.chain.client import connect
from app.config import Config
from app.extensions import db
from community.exchange import attendance, service
from minting.keys import DEV_KEYS, KeyRole
from tests.integration.town_keys import deploy_card, town_keys
from tests.unit.conftest_exchange import ENDS, STARTS, T0, attached, draft

pytestmark = pytest.mark.chain

FORBIDDEN = {setting for role in (KeyRole.ADMIN, KeyRole.MINTER) for setting in (role.key_setting, role.keystore_setting, role.password_setting)}


class RecordingEnviron(MutableMapping[str, str]):
    """An environment that remembers every name looked up in it. Iterating it counts as reading
    every name, unless `lookups_only`: urllib's proxy discovery walks the whole process
    environment for `*_proxy` variables, which reads no setting of ours."""

    def __init__(self, values: dict[str, str], *, lookups_only: bool = False) -> None:
        self._values = dict(values)
        self.read: set[str] = set()
        self.lookups_only = lookups_only

    def items(self):  # type: ignore[no-untyped-def,override]
        if not self.lookups_only:
            self.read.update(self._values)
        return self._values.items()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        self.read.add(str(name))
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        if not self.lookups_only:
            self.read.update(self._values)
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __setitem__(self, name: str, value: str) -> None:
        self._values[name] = value

    def __delitem__(self, name: str) -> None:
        del self._values[name]


@pytest.fixture
def production_env(app: Flask, anvil: AnvilProcess, tmp_path: Path) -> dict[str, str]:
    """Everything a production web server is given, including (wrongly) all nine key settings."""
    secret = {
        **{role.key_setting: Account.create().key.hex() for role in (KeyRole.ADMIN, KeyRole.MINTER)},
        **{role.keystore_setting: str(tmp_path / f"{role.value}.json") for role in (KeyRole.ADMIN, KeyRole.MINTER)},
        **{role.password_setting: "never read" for role in (KeyRole.ADMIN, KeyRole.MINTER)},
        KeyRole.ANCHOR.key_setting: DEV_KEYS[KeyRole.ANCHOR][1],
    }
    return {
        "RESIDENTS_ENV": "production",
        "SECRET_KEY": "production-test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": app.config["SETTINGS"].SQLALCHEMY_DATABASE_URI,
        "SITE_URL": "https://residents.example.jp",
        "CHAIN_RPC_URL": anvil.rpc_url,
        "CHAIN_ID": "31337",
        **secret,
    }


def test_the_production_web_app_reads_the_anchor_key_and_never_the_admin_or_minting_key(
    app: Flask, anvil: AnvilProcess, production_env: dict[str, str], create_account, give_card, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    keys = town_keys(connect(anvil.rpc_url, 31337))
    registry = deploy_card(keys)
    settings = RecordingEnviron({**production_env, "RESIDENT_CONTRACT_ADDRESS": registry.address})
    process_env = RecordingEnviron({**os.environ, **production_env}, lookups_only=True)
    monkeypatch.setattr(os, "environ", process_env)

    site = create_app(Config(settings))
    assert not FORBIDDEN & set(site.config), "no key setting is copied into the app's config"
    client = site.test_client()
    for path in ("/", "/events", "/meetups", "/forums", "/opendata", "/sign-in", "/staff"):
        assert client.get(path, headers={"Accept-Language": "en"}).status_code < 500, path
    client.get("/healthz")  # 503 here (no indexer runs): what matters is what it read

    # What the organizer's Close button does: close the event and anchor with the anchor key.
    organizer_id = create_account(roles=("organizer",)).id
    resident = create_account()
    give_card(resident.address)
    checkins = service.CheckInSettings("production-test-secret", 31337, None)
    with site.test_request_context(headers={"Accept-Language": "en"}):
        organizer = db.session.get(service.Account, organizer_id)  # type: ignore[attr-defined]
        event = service.create_event(organizer, draft(), now=T0)
        service.register(attached(resident), event.id, now=T0)  # the door admits registered residents
        token = service.issue_pass(attached(resident), event.id, checkins, now=T0).token
        service.check_in_with_pass(organizer, event.id, token, checkins, now=STARTS + timedelta(minutes=5))
        outcome = attendance.close_event_on_chain(organizer, event.id, site, now=ENDS + timedelta(minutes=1))
        db.session.commit()
        assert outcome.transaction is not None
        key = bytes.fromhex((outcome.event.anchor_key or "").removeprefix("0x"))
    assert registry.attendance_root(key) is not None

    assert KeyRole.ANCHOR.key_setting in settings.read, "the recorder sees the anchor key being read"
    assert not FORBIDDEN & settings.read, f"the web app read {sorted(FORBIDDEN & settings.read)}"
    assert not FORBIDDEN & process_env.read, f"the web app read {sorted(FORBIDDEN & process_env.read)} from os.environ"

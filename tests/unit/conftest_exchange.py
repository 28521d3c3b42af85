"""Shared helpers for the exchange-event tests: a fixed clock, drafts, signing, a fake anchor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from eth_account import Account as EthAccount
from eth_account.messages import encode_typed_data

from app.auth.models import Account
from app.extensions import db
from community.exchange import service

#: 2030-05-01 10:00 JST. Events in the tests are scheduled relative to this moment.
T0 = datetime(2030, 5, 1, 1, 0, tzinfo=UTC)
STARTS = T0 + timedelta(days=7)
ENDS = STARTS + timedelta(hours=3)
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SETTINGS = service.CheckInSettings("test-secret-key", 31337, CONTRACT)


def draft(**overrides: Any) -> service.EventDraft:
    values: dict[str, Any] = {
        "title_ja": "月山の麓で語る会",
        "title_en": "An evening at the foot of Gassan",
        "description_ja": "町長とデジタル住民の交流会です。",
        "description_en": "The mayor meets digital residents.",
        "starts_at": STARTS,
        "ends_at": ENDS,
        "registration_deadline": STARTS - timedelta(days=1),
        "place_name": "西川町交流センター あいべ",
        "place_address": "山形県西村山郡西川町大字海味510",
        "latitude": Decimal("38.4239"),
        "longitude": Decimal("140.1500"),
        "capacity": 2,
    }
    values.update(overrides)
    return service.EventDraft(**values)


def attached(account: Account) -> Account:
    """The factory's detached account, loaded into the current session."""
    found = db.session.get(Account, account.id)
    assert found is not None
    return found


def sign_typed(typed_data: dict[str, Any], private_key: str) -> str:
    return EthAccount.sign_message(encode_typed_data(full_message=typed_data), private_key).signature.to_0x_hex()


@dataclass
class FakeAnchor:
    """An in-memory contract: records anchors, refuses a second one per key like the real one."""

    chain_id: int = 31337
    contract_address: str = CONTRACT
    site_id: str = "127.0.0.1:5000"
    roots: dict[bytes, service.OnChainAnchor] = field(default_factory=dict)
    sent: list[bytes] = field(default_factory=list)

    def anchored(self, event_key: bytes) -> service.OnChainAnchor | None:
        return self.roots.get(event_key)

    def anchor(self, event_key: bytes, merkle_root: bytes, attendee_count: int) -> str:
        assert event_key not in self.roots, "anchored twice"
        self.roots[event_key] = service.OnChainAnchor(merkle_root, attendee_count)
        self.sent.append(event_key)
        return "0x" + f"{len(self.sent):064x}"

    def key_of(self, event: object) -> bytes:
        """The anchor key the service derives for `event` here."""
        from app.chain.anchors import record_key

        return record_key("attendance", self.site_id, event.anchor_uid, chain_id=self.chain_id, contract_address=self.contract_address)  # type: ignore[attr-defined]

"""The kiosk check-in in Chromium: staff show the rotating QR code; a resident's phone opens the
check-in page, an injected EIP-6963 wallet signs the EIP-712 message, and the server records it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from eth_account import Account as EthAccount
from eth_account.messages import encode_typed_data
from flask import Flask

from app.chain.models import Deployment
from app.extensions import db
from app.timeutil import utcnow
from tests.conftest import session_for
from community.exchange import checkin, service
from community.exchange.models import CheckIn
from tests.unit.conftest_exchange import CONTRACT, attached, draft

pytestmark = pytest.mark.browser

#: anvil's dev account #1: the resident's wallet.
RESIDENT_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
RESIDENT_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

#: An EIP-1193 provider announced through EIP-6963, as a wallet extension would inject it.
#: Typed-data signing is forwarded to the test (eth-account with the resident's key).
WALLET = """
(() => {
  const address = "%(address)s";
  const provider = {
    isTestWallet: true,
    async request({ method, params }) {
      if (method === "eth_requestAccounts" || method === "eth_accounts") return [address];
      if (method === "eth_chainId") return "0x7a69";
      if (method === "eth_signTypedData_v4") {
        if (params[0].toLowerCase() !== address.toLowerCase()) throw { code: 4100, message: "unknown account" };
        return await window.testWalletSignTypedData(params[1]);
      }
      throw { code: 4200, message: "unsupported " + method };
    },
    on() {}, removeListener() {},
  };
  const info = { uuid: "5b4e2f0e-0000-4000-8000-000000000001", name: "Test Wallet", icon: "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'/>", rdns: "jp.nishikawa.test" };
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
""" % {"address": RESIDENT_ADDRESS}


def _session_cookie(app: Flask, account_id: int) -> str:
    client = app.test_client()
    signed_in = session_for(app, account_id)
    with client.session_transaction() as session:
        session.update(signed_in)
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_resident_checks_in_at_the_kiosk_with_an_injected_wallet(app: Flask, live_server: str, browser, page, create_account, give_card) -> None:  # type: ignore[no-untyped-def]
    resident = create_account(RESIDENT_ADDRESS)
    give_card(RESIDENT_ADDRESS, 7)
    organizer = create_account(roles=("organizer",))
    starts = utcnow() + timedelta(minutes=20)  # check-in opens an hour before the start
    with app.test_request_context():
        db.session.add(Deployment(chain_id=31337, contract_name="DigitalResident", address=CONTRACT, block_number=1, transaction_hash="0x" + "22" * 32, soulbound=True))
        event = service.create_event(attached(organizer), draft(starts_at=starts, ends_at=starts + timedelta(hours=2), registration_deadline=starts), now=utcnow())
        service.register(attached(resident), event.id, now=utcnow())
        db.session.commit()
        event_id = event.id

    # Staff: the kiosk screen shows a QR image that the page's module keeps refreshing.
    staff = browser.new_context(locale="ja-JP", viewport={"width": 800, "height": 900})
    staff.add_cookies([{"name": "session", "value": _session_cookie(app, organizer.id), "url": live_server}])
    kiosk = staff.new_page()
    kiosk_errors: list[str] = []
    kiosk.on("console", lambda message: kiosk_errors.append(message.text) if message.type == "error" else None)
    assert kiosk.goto(f"{live_server}/events/{event_id}/kiosk").status == 200
    qr = kiosk.locator("#kiosk-qr")
    kiosk.wait_for_function("() => document.getElementById('kiosk-qr').naturalWidth > 0")
    kiosk.wait_for_function("() => document.getElementById('kiosk-qr').src.includes('?t=')", timeout=10_000)
    assert qr.evaluate("image => image.naturalWidth") > 100
    staff.close()
    assert kiosk_errors == [], kiosk_errors

    # Resident: the phone opens the URL the QR code holds (the current code) and signs.
    with app.test_request_context():
        code = "0x" + checkin.kiosk_code(app.config["SECRET_KEY"], event_id, checkin.kiosk_window(utcnow().timestamp())).hex()
    signed_messages: list[dict] = []

    def sign_typed_data(payload: str) -> str:
        typed = json.loads(payload)
        signed_messages.append(typed)
        return EthAccount.sign_message(encode_typed_data(full_message=typed), RESIDENT_KEY).signature.to_0x_hex()

    page.expose_function("testWalletSignTypedData", sign_typed_data)
    page.add_init_script(WALLET)
    page.context.add_cookies([{"name": "session", "value": _session_cookie(app, resident.id), "url": live_server}])
    response = page.goto(f"{live_server}/events/{event_id}/check-in?code={code}")
    assert response.status == 200
    page.locator("#check-in-sign").click()
    result = page.locator("#check-in-result")
    result.wait_for(state="visible", timeout=10_000)
    page.wait_for_function("() => document.getElementById('check-in-result').classList.contains('exchange-result-ok')", timeout=10_000)
    assert result.inner_text().strip() != ""
    assert page.locator("#check-in-sign").is_hidden()

    assert len(signed_messages) == 1
    typed = signed_messages[0]
    assert typed["primaryType"] == "CheckIn" and typed["domain"]["name"] == "Nishikawa Digital Residents"
    assert typed["message"]["resident"] == RESIDENT_ADDRESS and typed["message"]["kioskCode"] == code
    with app.app_context():
        record = db.session.scalar(sa.select(CheckIn).filter_by(event_id=event_id))
        assert record is not None and record.address == RESIDENT_ADDRESS and record.method == "kiosk" and record.resident_number == 7
        assert checkin.recover_check_in_signer(typed, record.evidence) == RESIDENT_ADDRESS
    assert page.console_errors == [], f"the page logged errors (CSP violations show up here): {page.console_errors}"

    # The attendance history on my page lists the event.
    page.goto(f"{live_server}/my/attendance")
    assert page.locator(".exchange-card-title").first.inner_text() == draft().title_ja


#: A second wallet in the same browser (an extension holding another account), announced first.
OTHER_WALLET = """
(() => {
  const provider = {
    async request({ method }) {
      window.otherWalletCalls = (window.otherWalletCalls || 0) + 1;
      if (method === "eth_requestAccounts" || method === "eth_accounts") return ["0x90F79bf6EB2c4f870365E785982E1f101E93b906"];
      throw { code: 4001, message: "the test expects this wallet never to be asked to sign" };
    },
    on() {}, removeListener() {},
  };
  const info = { uuid: "5b4e2f0e-0000-4000-8000-000000000002", name: "Other Wallet", icon: "", rdns: "jp.nishikawa.other" };
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
"""


def test_with_two_wallets_the_resident_chooses_which_signs(app: Flask, live_server: str, page, create_account, give_card) -> None:  # type: ignore[no-untyped-def]
    resident = create_account(RESIDENT_ADDRESS)
    give_card(RESIDENT_ADDRESS, 7)
    organizer = create_account(roles=("organizer",))
    starts = utcnow() + timedelta(minutes=20)
    with app.test_request_context():
        db.session.add(Deployment(chain_id=31337, contract_name="DigitalResident", address=CONTRACT, block_number=1, transaction_hash="0x" + "22" * 32, soulbound=True))
        event = service.create_event(attached(organizer), draft(starts_at=starts, ends_at=starts + timedelta(hours=2), registration_deadline=starts), now=utcnow())
        service.register(attached(resident), event.id, now=utcnow())  # the door admits registered residents
        db.session.commit()
        event_id = event.id
        code = "0x" + checkin.kiosk_code(app.config["SECRET_KEY"], event_id, checkin.kiosk_window(utcnow().timestamp())).hex()
    page.expose_function("testWalletSignTypedData", lambda payload: EthAccount.sign_message(encode_typed_data(full_message=json.loads(payload)), RESIDENT_KEY).signature.to_0x_hex())
    page.add_init_script(OTHER_WALLET)
    page.add_init_script(WALLET)
    page.context.add_cookies([{"name": "session", "value": _session_cookie(app, resident.id), "url": live_server}])
    assert page.goto(f"{live_server}/events/{event_id}/check-in?code={code}").status == 200
    page.locator("#check-in-sign").click()
    choices = page.locator("#check-in-wallets .wallet-button")
    choices.first.wait_for(state="visible")
    assert choices.all_inner_texts() == ["Other Wallet", "Test Wallet"], "both wallets are offered, in the order they answered"
    assert page.locator("#check-in-wallets-label").is_visible()
    page.get_by_role("button", name="Test Wallet").click()
    page.wait_for_function("() => document.getElementById('check-in-result').classList.contains('exchange-result-ok')", timeout=10_000)
    assert page.evaluate("() => window.otherWalletCalls || 0") == 0, "the wallet not chosen was never asked"
    assert page.locator("#check-in-wallets").is_hidden()
    with app.app_context():
        assert db.session.scalar(sa.select(CheckIn).filter_by(event_id=event_id, address=RESIDENT_ADDRESS)) is not None
    assert page.console_errors == []

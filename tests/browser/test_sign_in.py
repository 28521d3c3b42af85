"""Signing in from Chromium with a wallet the test injects.

The wallet is an EIP-1193 provider announced through EIP-6963 (or left as `window.ethereum`),
added with `page.add_init_script` — the test harness, outside the site's CSP. It answers
account and chain questions itself, like a wallet would, and forwards `personal_sign` to anvil,
which signs with its unlocked dev account.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from flask import Flask
from flask_babel import gettext

from app.chain.anvil import AnvilProcess
from tests.unit.conftest_sign_in import fresh_rate_limits  # noqa: F401  (autouse fixture)

pytestmark = [pytest.mark.browser, pytest.mark.chain]

SITE_CHAIN = "0x7a69"  # 31337
ICON = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAzMiAzMiI+PGNpcmNsZSBjeD0iMTYiIGN5PSIxNiIgcj0iMTYiIGZpbGw9IiMxZjZmNWMiLz48L3N2Zz4="

PROVIDER_SCRIPT = """
(() => {
  const options = %s;
  const provider = {
    isTestWallet: true,
    async request({ method, params }) {
      const answer = await window.__testWalletRequest({ method, params: params ?? [] });
      if (answer.error) {
        const error = new Error(answer.error.message);
        error.code = answer.error.code;
        throw error;
      }
      return answer.result;
    },
    on() {},
    removeListener() {},
  };
  if (options.legacy) {
    window.ethereum = provider;
    return;
  }
  const detail = Object.freeze({
    info: Object.freeze({ uuid: "3a9c6e1e-0000-4000-8000-000000000001", name: options.name, icon: options.icon, rdns: "jp.nishikawa.test" }),
    provider,
  });
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
"""


class TestWallet:
    """The wallet's side of the conversation; signatures come from anvil's dev accounts."""

    __test__ = False

    def __init__(self, rpc_url: str, address: str, *, chain_id: str = SITE_CHAIN, reject: tuple[str, ...] = (), sign_as: str | None = None) -> None:
        self.rpc_url = rpc_url
        self.address = address
        self.chain_id = chain_id
        self.known_chains = {chain_id}
        self.reject = reject
        self.sign_as = sign_as
        self.calls: list[str] = []
        self.added_chains: list[dict[str, Any]] = []

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        method, params = request["method"], request.get("params") or []
        self.calls.append(method)
        if method in self.reject:
            return {"error": {"code": 4001, "message": "User rejected the request."}}
        if method in ("eth_requestAccounts", "eth_accounts"):
            return {"result": [self.address.lower()]}  # wallets often answer in lower case
        if method == "eth_chainId":
            return {"result": self.chain_id}
        if method == "wallet_switchEthereumChain":
            wanted = params[0]["chainId"]
            if wanted not in self.known_chains:
                return {"error": {"code": 4902, "message": "Unrecognized chain ID. Try adding the chain using wallet_addEthereumChain first."}}
            self.chain_id = wanted
            return {"result": None}
        if method == "wallet_addEthereumChain":
            self.added_chains.append(params[0])
            self.known_chains.add(params[0]["chainId"])
            self.chain_id = params[0]["chainId"]
            return {"result": None}
        if method == "personal_sign":
            params = [params[0], self.sign_as or params[1]]
        answer = httpx.post(self.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=10).json()
        return {"result": answer["result"]} if "result" in answer else {"error": answer["error"]}


def install(page: Any, wallet: TestWallet | None, *, name: str = "Test Wallet", legacy: bool = False) -> None:
    if wallet is None:
        return
    page.expose_function("__testWalletRequest", wallet.handle)
    page.add_init_script(PROVIDER_SCRIPT % json.dumps({"name": name, "icon": ICON, "legacy": legacy}))


@pytest.fixture
def site(app: Flask, live_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The live server, with SITE_URL set to it so messages name the origin the browser sees."""
    monkeypatch.setattr(app.config["SETTINGS"], "SITE_URL", live_server)
    return live_server


def translated(app: Flask, text: str, language: str = "ja") -> str:
    with app.test_request_context(headers={"Accept-Language": language}):
        return gettext(text)


def test_a_resident_signs_in_and_sees_their_card(page, site: str, anvil: AnvilProcess, give_card, w3_accounts) -> None:  # type: ignore[no-untyped-def]
    address = w3_accounts[2]
    give_card(address, 2026)
    wallet = TestWallet(anvil.rpc_url, address)
    # A hostile wallet name must show as text, never as markup.
    install(page, wallet, name="Test Wallet <img src=x>")

    page.goto(site + "/sign-in")
    button = page.get_by_role("button", name="Test Wallet <img src=x>")
    button.wait_for()
    assert page.locator("#wallet-list img").count() == 1
    assert page.locator("#wallet-list img").get_attribute("src") == ICON
    button.click()

    page.wait_for_url(site + "/me")
    assert page.locator("#resident-number").inner_text() == "2026"
    assert page.locator("#wallet-address").inner_text() == address
    assert page.locator(".resident-card-number").inner_text() == "No. 2026"
    assert "personal_sign" in wallet.calls
    assert page.console_errors == [], f"the page logged errors (CSP violations show up here): {page.console_errors}"


def test_the_wallet_is_moved_to_the_sites_network_first(page, app: Flask, site: str, anvil: AnvilProcess, give_card, w3_accounts) -> None:  # type: ignore[no-untyped-def]
    give_card(w3_accounts[2], 31)
    wallet = TestWallet(anvil.rpc_url, w3_accounts[2], chain_id="0x1")
    install(page, wallet)
    page.goto(site + "/sign-in?next=/residents/31")
    page.get_by_role("button", name="Test Wallet").click()

    status = page.locator("#sign-in-status")
    status.wait_for()
    assert status.get_attribute("data-code") == "wrongNetwork"
    assert status.get_attribute("data-state") == "error"
    assert "personal_sign" not in wallet.calls, "it asked for a signature on the wrong network"
    switch = page.locator("#switch-network")
    assert switch.is_visible()

    switch.click()
    # The wallet did not know the chain (4902), so the page added it, then signed in and
    # went back to the page that sent the person to sign in.
    page.wait_for_url(site + "/residents/31")
    assert wallet.calls.index("wallet_switchEthereumChain") < wallet.calls.index("wallet_addEthereumChain")
    assert wallet.added_chains == [
        {"chainId": SITE_CHAIN, "chainName": "Nishikawa local chain (anvil)", "rpcUrls": [anvil.rpc_url], "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18}}
    ]


def test_a_rejected_signature_is_explained(page, app: Flask, site: str, anvil: AnvilProcess, w3_accounts) -> None:  # type: ignore[no-untyped-def]
    wallet = TestWallet(anvil.rpc_url, w3_accounts[2], reject=("personal_sign",))
    install(page, wallet, legacy=True)  # only window.ethereum: the fallback path
    page.goto(site + "/sign-in")
    page.get_by_role("button", name=translated(app, "Wallet in this browser")).click()

    status = page.locator("#sign-in-status[data-code='rejected']")
    status.wait_for()
    assert status.inner_text() == translated(app, "You cancelled the request in your wallet. Nothing was signed. Choose your wallet to try again.")
    assert page.url == site + "/sign-in"


def test_the_servers_refusal_is_shown(page, app: Flask, site: str, anvil: AnvilProcess, w3_accounts) -> None:  # type: ignore[no-untyped-def]
    # The wallet reports one account but signs with another: the server refuses the signature.
    wallet = TestWallet(anvil.rpc_url, w3_accounts[2], sign_as=w3_accounts[3])
    install(page, wallet)
    page.goto(site + "/sign-in")
    page.get_by_role("button", name="Test Wallet").click()

    status = page.locator("#sign-in-status[data-code='invalid_signature']")
    status.wait_for()
    assert status.inner_text() == translated(app, "The signature does not match the wallet address. Please sign again with the same wallet.")
    assert status.get_attribute("data-state") == "error"
    assert page.url == site + "/sign-in"


def test_a_browser_without_a_wallet_is_told_how_to_get_one(page, app: Flask, site: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(site + "/sign-in")
    help_box = page.locator("#no-wallet")
    help_box.wait_for(state="visible")
    assert help_box.locator("h2").inner_text() == translated(app, "No wallet was found in this browser")
    assert translated(app, "On a phone: open this page in the browser built into your wallet app.") in help_box.inner_text()
    assert page.locator("#wallet-list button").count() == 0
    assert page.console_errors == []


def test_the_sign_in_page_in_english(browser, app: Flask, site: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="en-US", viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(site + "/sign-in")
        page.locator("#no-wallet").wait_for(state="visible")
        assert page.locator("#no-wallet h2").inner_text() == "No wallet was found in this browser"
        # Usable at 360 px: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


@pytest.fixture(scope="module")
def w3_accounts(anvil: AnvilProcess) -> list[str]:
    """Anvil's unlocked dev accounts, checksummed."""
    from web3 import Web3

    accounts = httpx.post(anvil.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_accounts", "params": []}, timeout=10).json()["result"]
    return [Web3.to_checksum_address(account) for account in accounts]

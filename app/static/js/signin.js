// Wallet sign-in (Sign-In with Ethereum, EIP-4361) for /sign-in. Wallets are found and listed
// by wallets.js (EIP-6963, window.ethereum as the fallback); the person presses the one to use.

import { findWallets, showWalletChoice } from "./wallets.js";

const settings = JSON.parse(document.getElementById("sign-in-data").textContent);
const texts = settings.texts;

const walletList = document.getElementById("wallet-list");
const walletListLabel = document.getElementById("wallet-list-label");
const statusLine = document.getElementById("sign-in-status");
const switchButton = document.getElementById("switch-network");
const noWallet = document.getElementById("no-wallet");

// EIP-1193 / EIP-1474 error codes the page explains in its own words.
const USER_REJECTED = 4001;
const UNRECOGNISED_CHAIN = 4902;
const REQUEST_PENDING = -32002;

let busy = false;
let currentProvider = null;

// -- messages -----------------------------------------------------------------------------

function show(state, code, text) {
  statusLine.textContent = text;
  statusLine.dataset.state = state;
  statusLine.dataset.code = code;
  statusLine.hidden = false;
}

function say(code) {
  show("info", code, texts[code]);
}

function refuse(code, text) {
  show("error", code, text || texts[code]);
}

/** The numeric code of a wallet error; some wallets nest it (MetaMask Mobile for 4902). */
function errorCode(error) {
  const nested = error && error.data && error.data.originalError;
  const code = (error && error.code) ?? (nested && nested.code);
  return typeof code === "number" ? code : Number(code);
}

function reportWalletError(error) {
  const code = errorCode(error);
  if (code === USER_REJECTED) {
    refuse("rejected");
  } else if (code === REQUEST_PENDING) {
    refuse("pending");
  } else if (error instanceof ServerRefusal) {
    refuse(error.code, error.message);
  } else if (error instanceof TypeError && String(error.message).toLowerCase().includes("fetch")) {
    refuse("unreachable");
  } else {
    refuse("walletError");
  }
}

// -- the wallet list ------------------------------------------------------------------------

function renderWallets(wallets) {
  showWalletChoice(walletList, wallets, { fallbackName: texts.browserWallet, onChoose: (wallet) => signInWith(wallet.provider) });
  walletListLabel.hidden = wallets.length === 0;
  if (wallets.length) noWallet.hidden = true;
  for (const button of walletList.querySelectorAll("button")) button.disabled = busy;
}

async function discoverWallets() {
  const wallets = await findWallets({ fallbackName: texts.browserWallet, onChange: renderWallets });
  if (wallets.length === 0) noWallet.hidden = false;
  else renderWallets(wallets);
}

// -- talking to the site --------------------------------------------------------------------

class ServerRefusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": settings.csrfToken },
    body: JSON.stringify(body),
  });
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  if (!response.ok) {
    throw new ServerRefusal((answer && answer.error) || "server_error", (answer && answer.message) || texts.walletError);
  }
  return answer;
}

function utf8Hex(text) {
  const bytes = new TextEncoder().encode(text);
  return "0x" + Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// -- signing in -----------------------------------------------------------------------------

function onConfiguredChain(chainId) {
  return Number.parseInt(chainId, 16) === Number.parseInt(settings.chain.chainId, 16);
}

function setBusy(value) {
  busy = value;
  for (const button of walletList.querySelectorAll("button")) button.disabled = value;
  switchButton.disabled = value;
}

async function signInWith(provider) {
  if (busy) return;
  currentProvider = provider;
  switchButton.hidden = true;
  setBusy(true);
  try {
    say("connecting");
    const accounts = await provider.request({ method: "eth_requestAccounts" });
    if (!Array.isArray(accounts) || accounts.length === 0) {
      refuse("noAccount");
      return;
    }
    const chainId = await provider.request({ method: "eth_chainId" });
    if (!onConfiguredChain(chainId)) {
      refuse("wrongNetwork");
      switchButton.hidden = false;
      return;
    }
    await signMessage(provider, String(accounts[0]));
  } catch (error) {
    reportWalletError(error);
  } finally {
    setBusy(false);
  }
}

async function signMessage(provider, address) {
  const issued = await postJson(settings.messageUrl, { address });
  say("signing");
  const signature = await provider.request({ method: "personal_sign", params: [utf8Hex(issued.message), address] });
  say("verifying");
  const result = await postJson(settings.signInUrl, { message: issued.message, signature, next: settings.next });
  say("signedIn");
  window.location.assign(result.redirect);
}

async function switchNetwork() {
  const provider = currentProvider;
  if (!provider || busy) return;
  setBusy(true);
  try {
    try {
      await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: settings.chain.chainId }] });
    } catch (error) {
      if (errorCode(error) !== UNRECOGNISED_CHAIN) throw error;
      if (!settings.chain.addParameters) {
        refuse("switchFailed");
        return;
      }
      await provider.request({ method: "wallet_addEthereumChain", params: [settings.chain.addParameters] });
    }
    if (!onConfiguredChain(await provider.request({ method: "eth_chainId" }))) {
      refuse("switchFailed");
      return;
    }
    switchButton.hidden = true;
  } catch (error) {
    if (errorCode(error) === USER_REJECTED) {
      refuse("rejected");
    } else {
      refuse("switchFailed");
    }
    return;
  } finally {
    setBusy(false);
  }
  await signInWith(provider);
}

switchButton.addEventListener("click", switchNetwork);
discoverWallets();

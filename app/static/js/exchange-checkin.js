// Kiosk check-in on the resident's phone: find the wallet with wallets.js (EIP-6963, else
// window.ethereum; the person chooses when several answer), sign the server's EIP-712 CheckIn
// message with eth_signTypedData_v4, send the signature. No inline script: the typed data
// arrives as a JSON <script type="application/json"> block.

import { chooseWallet } from "./wallets.js";

const button = document.getElementById("check-in-sign");
const result = document.getElementById("check-in-result");
const walletList = document.getElementById("check-in-wallets");
const walletListLabel = document.getElementById("check-in-wallets-label");
const typedData = JSON.parse(document.getElementById("check-in-typed-data").textContent);

function say(text, ok) {
  result.textContent = text;
  result.classList.toggle("exchange-result-ok", ok === true);
  result.classList.toggle("exchange-result-refused", ok === false);
}

async function checkIn() {
  button.disabled = true;
  try {
    const provider = await chooseWallet(walletList, { label: walletListLabel, fallbackName: button.dataset.browserWallet });
    if (!provider) {
      say(button.dataset.noWallet, false);
      return;
    }
    const accounts = await provider.request({ method: "eth_requestAccounts" });
    const wanted = typedData.message.resident.toLowerCase();
    const signer = accounts.find((a) => a.toLowerCase() === wanted) || accounts[0];
    let signature;
    try {
      signature = await provider.request({ method: "eth_signTypedData_v4", params: [signer, JSON.stringify(typedData)] });
    } catch (error) {
      say(button.dataset.rejected, false);
      return;
    }
    let response;
    try {
      response = await fetch(button.dataset.submitUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": button.dataset.csrfToken },
        body: JSON.stringify({ kioskCode: typedData.message.kioskCode, issuedAt: typedData.message.issuedAt, signature }),
      });
    } catch (error) {
      say(button.dataset.networkError, false);
      return;
    }
    const body = await response.json().catch(() => ({}));
    if (response.ok && body.ok) {
      say(body.message, true);
      button.hidden = true;
    } else {
      say(body.message || body.detail || button.dataset.networkError, false);
    }
  } finally {
    button.disabled = false;
  }
}

button.addEventListener("click", checkIn);

// Finding the person's wallet, the same way on every page that needs one (sign-in, check-in).
//
// Wallets announce themselves through EIP-6963; a browser whose wallet predates it only sets
// `window.ethereum`, used as the fallback when nothing announced itself in time. When several
// wallets answer, the person chooses. Names and icons come from browser extensions we do not
// control, so buttons are built with createElement/textContent and icons are shown only
// through <img> with a data: URI — never innerHTML, never a remote URL.

/** How long wallets get to announce themselves before the fallback (or "no wallet") applies. */
export const DISCOVERY_WAIT_MS = 500;

function usable(detail) {
  return Boolean(detail && detail.info && detail.provider && typeof detail.provider.request === "function");
}

/**
 * Ask every wallet to announce itself. `onChange(wallets)` is called whenever one more answers,
 * also after the wait (a slow extension still appears). Resolves after `waitMs` with the
 * wallets found so far, `window.ethereum` standing in when none announced itself.
 * Each wallet is `{ info: { uuid, name, icon, rdns }, provider }`.
 */
export function findWallets({ waitMs = DISCOVERY_WAIT_MS, fallbackName = "", onChange = () => {} } = {}) {
  const wallets = new Map();
  const add = (detail) => {
    if (!usable(detail)) return;
    const key = String(detail.info.uuid || detail.info.rdns || detail.info.name);
    if (wallets.has(key)) return;
    wallets.set(key, { info: detail.info, provider: detail.provider });
    onChange([...wallets.values()]);
  };
  window.addEventListener("eip6963:announceProvider", (event) => add(event.detail));
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  return new Promise((resolve) => {
    setTimeout(() => {
      if (wallets.size === 0 && window.ethereum && typeof window.ethereum.request === "function") {
        add({ info: { uuid: "window.ethereum", name: fallbackName, icon: "" }, provider: window.ethereum });
      }
      resolve([...wallets.values()]);
    }, waitMs);
  });
}

/** One button per wallet in `list` (a <ul>); `onChoose(wallet)` runs when one is pressed. */
export function showWalletChoice(list, wallets, { onChoose, fallbackName = "" }) {
  list.replaceChildren(
    ...wallets.map((wallet) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "wallet-button";
      const icon = String(wallet.info.icon || "");
      // EIP-6963 icons are data: URIs; anything else (a remote URL) is left out rather than fetched.
      if (icon.startsWith("data:image/")) {
        const image = document.createElement("img");
        image.className = "wallet-icon";
        image.src = icon;
        image.alt = "";
        image.width = 32;
        image.height = 32;
        button.append(image);
      }
      const name = document.createElement("span");
      name.className = "wallet-name";
      name.textContent = String(wallet.info.name || fallbackName);
      button.append(name);
      button.addEventListener("click", () => onChoose(wallet));
      item.append(button);
      return item;
    }),
  );
}

/**
 * The wallet to use now: the only one found, or the one the person presses in `list` when
 * several answer (`list` and its `label` are shown for the choice, then hidden). Resolves with
 * a provider, or null when this browser has no wallet.
 */
export async function chooseWallet(list, { label = null, fallbackName = "", waitMs = DISCOVERY_WAIT_MS } = {}) {
  const wallets = await findWallets({ waitMs, fallbackName });
  if (wallets.length <= 1) return wallets.length ? wallets[0].provider : null;
  return new Promise((resolve) => {
    showWalletChoice(list, wallets, {
      fallbackName,
      onChoose: (wallet) => {
        list.replaceChildren();
        list.hidden = true;
        if (label) label.hidden = true;
        resolve(wallet.provider);
      },
    });
    list.hidden = false;
    if (label) label.hidden = false;
    const first = list.querySelector("button");
    if (first) first.focus();
  });
}

// Kiosk screen: reload the QR image every few seconds. The server draws the current code;
// nothing secret is computed here.

const image = document.getElementById("kiosk-qr");
const status = document.getElementById("kiosk-status");

if (image) {
  const seconds = Number(image.dataset.refreshSeconds || "3");
  const refresh = () => {
    const next = new Image();
    const url = `${image.dataset.src}?t=${Date.now()}`;
    next.onload = () => {
      image.src = url;
      status.textContent = "";
      image.classList.remove("exchange-qr-stale");
    };
    next.onerror = () => {
      // Keep the last code on screen but mark it, so staff notice a lost connection.
      image.classList.add("exchange-qr-stale");
      status.textContent = "…";
    };
    next.src = url;
  };
  setInterval(refresh, seconds * 1000);
}

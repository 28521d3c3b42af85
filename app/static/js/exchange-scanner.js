// Staff scanner: read a pass QR with the camera (BarcodeDetector) and submit the form;
// browsers without it (or without a camera) use the paste field, which works the same way.

const video = document.getElementById("scan-camera");
const status = document.getElementById("scan-camera-status");
const form = document.getElementById("scan-form");
const field = form.querySelector("textarea[name=token]");

async function startCamera() {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) {
    status.textContent = status.dataset.unsupported;
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch (error) {
    status.textContent = status.dataset.denied;
    return;
  }
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  status.textContent = status.dataset.scanning;
  const tick = async () => {
    try {
      const codes = await detector.detect(video);
      if (codes.length && codes[0].rawValue) {
        stream.getTracks().forEach((track) => track.stop());
        field.value = codes[0].rawValue;
        form.submit();
        return;
      }
    } catch (error) {
      // A frame that cannot be read yet; try the next one.
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

startCamera();

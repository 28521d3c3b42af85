// The header menu on small screens. Loaded in <head> as a classic script (CSP script-src 'self',
// no inline script) so that <html class="has-menu"> is set before the page is drawn: phones then
// get the closed menu at once, without the links flashing. Without this script the links wrap.
(function () {
  "use strict";
  document.documentElement.classList.add("has-menu");
  function wire() {
    var button = document.querySelector(".menu-button");
    var menu = document.getElementById("site-menu");
    if (!button || !menu) return;
    button.hidden = false;
    function setOpen(open) {
      button.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("is-open", open);
    }
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.classList.contains("is-open")) {
        setOpen(false);
        button.focus();
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();

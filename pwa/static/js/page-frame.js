// Loaded in the <head> of every server-rendered page (no inline script: the CSP forbids it).
// 1. Names the browser's time zone in the `tz` cookie so the server shows times in it
//    (server/features/shared/viewer.py; a page rendered before the cookie existed says UTC).
// 2. Opens and closes the navigation on a phone, where it is folded behind "Menu".
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && /^[A-Za-z][A-Za-z0-9_+\-\/]*$/.test(zone)) {
      var current = document.cookie.split("; ").filter(function (c) { return c.indexOf("tz=") === 0; })[0];
      if (current !== "tz=" + zone) {
        document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
      }
    }
  } catch (ignored) {
    // No Intl time zone: the server keeps showing UTC, labelled as such.
  }
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".menu-toggle");
    if (!toggle) return;
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    document.body.classList.toggle("nav-open", open);
  });
})();

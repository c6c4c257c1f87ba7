// A classic script, run while the page is parsed: asks who is signed in alongside the
// modules instead of after them (sync.js reuses the answer). Offline it asks nothing, so
// an offline start makes no request that is bound to fail.
if (navigator.onLine) {
  const link = document.createElement("link");
  link.rel = "preload";
  link.href = "/api/auth/me";
  link.as = "fetch";
  link.crossOrigin = "use-credentials";
  document.head.append(link);
}

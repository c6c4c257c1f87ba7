// A classic script, run while the page is parsed: asks who is signed in alongside the
// modules instead of after them (sync.js reuses the answer). Offline it asks nothing, so
// an offline start makes no request that is bound to fail.
function preload(href) {
  const link = document.createElement("link");
  link.rel = "preload";
  link.href = href;
  link.as = "fetch";
  link.crossOrigin = "use-credentials";
  document.head.append(link);
}

if (navigator.onLine) {
  preload("/api/auth/me");
  // Nobody has used the app on this phone yet (a first login): the first sync's first page
  // comes in alongside the modules too. The URL is the one sync.js asks for first.
  if (!localStorage.getItem("fs:user")) {
    preload("/api/sync/v1/pull?protocol=1&schema_version=1&cursor=&limit=25");
  }
}

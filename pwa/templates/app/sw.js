// The app's service worker. The server fills in CONFIG: the precache list and a version
// that is a hash of those files, so every change to the app gets a new cache.
const CONFIG = self.__SW_CONFIG__;
const PREFIX = "fs-shell-";
const CACHE = PREFIX + CONFIG.version;
const PRECACHE = new Set(CONFIG.precache);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // `no-cache`: the HTTP cache must not hand an older file to a new version, so each file
    // is revalidated; one the page has just fetched comes back as a 304, without its body.
    await cache.addAll(CONFIG.precache.map((url) => new Request(url, { cache: "no-cache", credentials: "same-origin" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

function isAppPage(url) {
  return url.pathname === "/app" || url.pathname.startsWith("/app/");
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  // The API is never cached here: data lives in IndexedDB, and a cached answer would lie.
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate" && isAppPage(url)) {
    event.respondWith(appPage(request, url));
  } else if (PRECACHE.has(url.pathname)) {
    event.respondWith(cacheFirst(request, url));
  }
});

// Shells hold no data, and a new app version brings a new worker with new shells, so the
// cached copy is always the right one: served at once, with or without a signal. One shell
// serves every record (ids are in the query string).
async function appPage(request, url) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(url.pathname, { ignoreSearch: true });
  if (hit) return hit;
  try {
    return await fetch(request);
  } catch (err) {
    return (await cache.match("/app")) || Response.error();
  }
}

async function cacheFirst(request, url) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(url.pathname);
  return hit || fetch(request);
}

// Background Sync: the browser wakes the worker when a connection is back; the open app
// pages flush their outbox (the worker holds no session of its own).
self.addEventListener("sync", (event) => {
  if (event.tag !== "fs-outbox") return;
  event.waitUntil((async () => {
    const clients = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of clients) client.postMessage({ type: "fs:flush" });
  })());
});

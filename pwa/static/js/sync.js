// Keeps the phone and the server in step: push the outbox, then pull what changed.
// Triggers: page load, the `online` event, the app becoming visible, a 30 s timer, and
// the service worker's Background Sync. The state is shown in the header and on Home.

import { api, ApiError, NetworkError } from "./api.js";
import { flush } from "./outbox.js";
import { retryDelay } from "./outbox-core.js";
import { LAST_PULL_BEGAN, applyChanges, currentUser, getMeta, setCurrentUser, setMeta } from "./store.js";

const PERIOD_MS = 30_000;
// Big pages compress best (brotli finds the product ids that price lists repeat) and cost
// fewer round trips; a first sync's first page is small, so home has data after one short
// answer.
const PULL_LIMIT = 1000;
// session-preload.js preloads a first login's first page with this limit.
const FIRST_PAGE_LIMIT = 25;

const status = { state: navigator.onLine ? "idle" : "offline", message: "" };
let running = null;
let again = false;
let failures = 0;
let retryTimer = null;
let started = false;
// The pull under way: records and pages received so far (shown during the first sync).
const progress = { pulling: false, records: 0, pages: 0 };

function publish(state, message = "") {
  status.state = state;
  status.message = message;
  document.body.dataset.syncState = state;
  window.dispatchEvent(new CustomEvent("fs:status", { detail: { ...status } }));
}

export function syncStatus() {
  return { ...status };
}

export function pullProgress() {
  return { ...progress };
}

function publishProgress(changes) {
  Object.assign(progress, changes);
  window.dispatchEvent(new CustomEvent("fs:progress", { detail: { ...progress } }));
}

/** Confirms who is signed in; a different user than last time gets their own store. */
async function checkSession() {
  const me = await api("/api/auth/me");
  const before = currentUser();
  setCurrentUser(me);
  if (!before || before.id !== me.id) window.dispatchEvent(new CustomEvent("fs:user", { detail: me }));
  return me;
}

/** Pulls pages until the server has nothing more; each page is stored with its cursor. */
export async function pull() {
  let cursor = (await getMeta("cursor")) || "";
  const began = new Date().toISOString();
  publishProgress({ pulling: true, records: 0, pages: 0 });
  try {
    for (let page = 0; page < 10_000; page += 1) {
      const limit = page === 0 && !cursor ? FIRST_PAGE_LIMIT : PULL_LIMIT;
      const q = new URLSearchParams({ protocol: "1", schema_version: "1", cursor, limit: String(limit) });
      const body = await api(`/api/sync/v1/pull?${q}`);
      await applyChanges(body.changes, body.cursor, { reset: Boolean(body.reset), last: !body.has_more });
      cursor = body.cursor;
      publishProgress({ records: progress.records + body.changes.length, pages: page + 1 });
      if (body.changes.length) window.dispatchEvent(new CustomEvent("fs:data", { detail: { types: [...new Set(body.changes.map((c) => c.entity_type))] } }));
      if (!body.has_more) break;
    }
    await setMeta(LAST_PULL_BEGAN, began);
  } finally {
    publishProgress({ pulling: false });
  }
}

async function cycle() {
  if (!navigator.onLine) {
    publish("offline");
    return;
  }
  publish("syncing");
  try {
    await checkSession();
    try {
      await flush();
    } catch (err) {
      // A refused push leaves the items queued; the pull still brings fresh data.
      if (err instanceof NetworkError || (err instanceof ApiError && err.status === 401)) throw err;
    }
    await pull();
    await setMeta("last_sync_at", new Date().toISOString());
    failures = 0;
    publish("ok");
    window.dispatchEvent(new CustomEvent("fs:data", { detail: { types: [] } }));
  } catch (err) {
    failures += 1;
    if (err instanceof ApiError && err.status === 401) {
      publish("signed_out", "Your session ended. Log in again to sync; your waiting changes are kept.");
    } else if (err instanceof ApiError && err.code === "cursor_invalid") {
      await setMeta("cursor", "");
      publish("error", err.message);
    } else if (err instanceof NetworkError) {
      publish(navigator.onLine ? "error" : "offline", "No connection to the server.");
    } else {
      publish("error", err.message);
    }
    // The connection often comes back a moment after the `online` event, and a server
    // restart takes seconds: try again soon, then less and less often.
    if (status.state === "error") {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => syncNow(), Math.min(PERIOD_MS, retryDelay(failures)));
    }
  }
}

/** One sync at a time; a request while one runs makes it go round once more, so a
 * submission made during a sync is not left for the timer. */
export function syncNow() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      await cycle();
    } while (again && navigator.onLine);
  })().finally(() => { running = null; });
  return running;
}

export async function lastSyncAt() {
  return currentUser() ? getMeta("last_sync_at") : null;
}

export function startSync() {
  if (started) return;
  started = true;
  window.addEventListener("online", () => syncNow());
  window.addEventListener("offline", () => publish("offline"));
  // A new submission goes at once when there is a connection, then fresh data comes back.
  window.addEventListener("fs:enqueued", () => syncNow());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncNow();
  });
  setInterval(() => { if (document.visibilityState === "visible") syncNow(); }, PERIOD_MS);
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data && event.data.type === "fs:flush") syncNow();
  });
  syncNow();
}

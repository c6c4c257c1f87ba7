// Runs on every /app page: the service worker, persistent storage, the sync loop, and the
// header (connection state and the number of changes waiting to sync).

import { pendingCount } from "./outbox.js";
import { currentUser } from "./store.js";
import { startSync, syncStatus } from "./sync.js";

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  } catch {
    // Without a worker the app still works online; offline start needs it.
  }
}

/** A phone with no worker yet (a first login) registers it once the first sync round is
 * over: its precache would otherwise share the slow connection with the first pull that
 * the home page waits for. A phone that has one checks for a new version at once. */
function registerWorkerAfterFirstSync() {
  if (!("serviceWorker" in navigator)) return;
  if (navigator.serviceWorker.controller) {
    registerWorker();
    return;
  }
  const done = (event) => {
    if (event.detail.state === "syncing" || event.detail.state === "idle") return;
    window.removeEventListener("fs:status", done);
    registerWorker();
  };
  window.addEventListener("fs:status", done);
}

async function persistStorage() {
  // Without this, the browser may evict the outbox under storage pressure.
  if (navigator.storage && navigator.storage.persist && !(await navigator.storage.persisted())) {
    await navigator.storage.persist().catch(() => false);
  }
}

const STATE_TEXT = {
  offline: "Offline", syncing: "Syncing…", ok: "Online", idle: "Online",
  error: "Can't reach server", signed_out: "Signed out",
};

function showStatus() {
  const el = document.getElementById("net-state");
  if (!el) return;
  const { state } = syncStatus();
  const shown = navigator.onLine ? state : "offline";
  el.dataset.state = shown;
  el.textContent = STATE_TEXT[shown] || "Online";
  const banner = document.getElementById("session-banner");
  if (banner) {
    const nobody = !currentUser();
    // Right after a login the user is not known for a moment: no banner until it is clear.
    banner.hidden = !(shown === "signed_out" || (nobody && shown === "offline"));
    banner.querySelector(".why").textContent = nobody
      ? "Nobody is signed in on this phone. "
      : "Your session ended; your waiting changes are kept on this phone. ";
  }
}

async function showQueued() {
  const link = document.getElementById("queued-count");
  if (!link || !currentUser()) return;
  const n = await pendingCount().catch(() => 0);
  link.dataset.count = String(n);
  link.classList.toggle("has-pending", n > 0);
  link.querySelector(".n").textContent = String(n);
}

function markNav() {
  const path = location.pathname;
  for (const a of document.querySelectorAll(".bottom-nav a")) {
    const href = a.getAttribute("href");
    const active = href === "/app" ? path === "/app" : path === href || path.startsWith(href + "/");
    if (active) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function addSessionBanner() {
  const main = document.getElementById("main");
  if (!main || document.getElementById("session-banner")) return;
  const banner = document.createElement("p");
  banner.id = "session-banner";
  banner.className = "warning";
  banner.hidden = true;
  const link = document.createElement("a");
  link.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
  link.textContent = "Log in to sync";
  const why = document.createElement("span");
  why.className = "why";
  banner.append(why, link, ".");
  main.prepend(banner);
}

function start() {
  document.body.dataset.syncState = syncStatus().state;
  markNav();
  addSessionBanner();
  window.addEventListener("fs:status", (event) => {
    // Nobody has signed in on this phone yet: without a login there is nothing to show.
    if (event.detail.state === "signed_out" && !currentUser()) {
      location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    }
  });
  for (const name of ["fs:status", "fs:user", "online", "offline"]) window.addEventListener(name, showStatus);
  for (const name of ["fs:outbox", "fs:user"]) window.addEventListener(name, showQueued);
  showStatus();
  showQueued();
  registerWorkerAfterFirstSync();
  persistStorage();
  startSync();
}

start();

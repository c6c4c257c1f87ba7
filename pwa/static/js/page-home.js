// Home: today's work, what waits to sync, the last sync, and the latest verdicts.

import { formatCents, formatWhen, h, live, replace } from "./dom.js";
import { FAVOURITE_TYPE, favouriteIds } from "./favourites.js";
import { listItems } from "./outbox.js";
import { pendingItems } from "./outbox-core.js";
import { withCurrentVerdicts } from "./outbox-view.js";
import { allEntities, currentUser, forgetCurrentUser, getEntity, getMeta } from "./store.js";
import { syncNow, syncStatus } from "./sync.js";

const NET = { offline: "Offline — your work is saved on this phone", signed_out: "Signed out — log in to sync",
  error: "Online, but the server can't be reached", syncing: "Online, syncing…" };

function showNet() {
  const state = navigator.onLine ? syncStatus().state : "offline";
  document.getElementById("home-net").textContent = NET[state] || "Online";
}

/** The period's commission as last pulled (offline too): earned, attainment, what is
 * pending, and the next tier; "—" until a summary of this month has been pulled. */
function showCommission(summary, month) {
  const earned = document.getElementById("home-commission");
  const detail = document.getElementById("home-commission-detail");
  if (!summary || summary.period !== month) {
    earned.textContent = "—";
    detail.textContent = "";
    return;
  }
  earned.textContent = formatCents(summary.earned_cents);
  const parts = [];
  if (summary.attainment_percent !== null) {
    // A quarterly quota: attainment is the quarter's so far, and says so.
    const of = summary.quota_period && summary.quota_period !== summary.period ? `${summary.quota_period} quota` : "quota";
    parts.push(`${summary.attainment_percent}% of ${of}`);
  }
  if (summary.draw_cents) parts.push(`draw ${formatCents(summary.draw_cents)}`);
  if (summary.draw_recovered_cents) parts.push(`${formatCents(summary.draw_recovered_cents)} draw recovered`);
  if (summary.pending_cents) parts.push(`${formatCents(summary.pending_cents)} pending`);
  if (summary.next_tier_revenue_needed_cents !== null) {
    parts.push(`${formatCents(summary.next_tier_revenue_needed_cents)} more to reach ${summary.next_tier_percent}% (x${summary.next_tier_multiplier})`);
  }
  detail.textContent = parts.join(" · ");
}

async function render() {
  const user = currentUser();
  if (!user) return;
  document.getElementById("greeting").textContent = `Hello, ${user.full_name.split(" ")[0]}`;
  document.getElementById("who").textContent = `Signed in as ${user.full_name} (${user.role}).`;
  // Every read at once: on a slow phone each one waits its turn in IndexedDB.
  const [items, lastSync, orders, summary, cursor] = await Promise.all([
    listItems(), getMeta("last_sync_at"), allEntities("order"), getEntity("commission_summary", user.id), getMeta("cursor"),
  ]);
  const waiting = pendingItems(items).length;
  document.getElementById("home-queued").textContent = waiting === 1 ? "1 change" : `${waiting} changes`;
  document.getElementById("home-last-sync").textContent = formatWhen(lastSync);
  const today = new Date().toISOString().slice(0, 10);
  document.getElementById("home-orders-today").textContent =
    String(orders.filter((o) => o.rep_id === user.id && (o.placed_at || "").startsWith(today)).length);
  showCommission(summary, today.slice(0, 7));
  // Verdicts on documents and customers; a star has none worth a line here.
  const judged = items.filter((i) => i.state === "done" && i.type !== FAVOURITE_TYPE);
  const recent = await withCurrentVerdicts(judged.slice(-5).reverse());
  replace("recent", recent.length
    ? recent.map(({ item, verdict: v }) => {
      return h("li", { class: "pad" }, h("strong", {}, item.label), " ",
        h("span", { class: `badge ${v.kind === "accepted" ? "ok" : v.kind === "approval" ? "warn" : "bad"}` }, v.text),
        v.number ? ` ${v.number}` : "", v.history ? h("div", { class: "muted history" }, v.history) : null,
        v.reason ? h("div", { class: "muted" }, v.reason) : null);
    })
    : [h("li", { class: "pad muted" }, "Nothing sent yet.")]);
  await showRecentCustomers(items);
  showNet();
  // The rep's data is on screen once a first page of the pull is in the store.
  if (cursor) document.body.dataset.home = "data";
}

/** Customers by id, as links; the ones not on this phone (not yet pulled) are left out. */
async function showCustomers(listId, ids, empty) {
  const customers = (await Promise.all(ids.map((x) => getEntity("customer", x)))).filter(Boolean);
  replace(listId, customers.length
    ? customers.map((c) => h("li", {},
      h("a", { href: `/app/customers/view?id=${encodeURIComponent(c.id)}` }, h("strong", {}, c.legal_name), c.number ? ` ${c.number}` : "")))
    : [h("li", { class: "pad muted" }, empty)]);
}

async function showRecentCustomers(items) {
  const [recent, favourites] = await Promise.all([getMeta("recent_customers"), favouriteIds(items)]);
  await Promise.all([
    showCustomers("recent-customers", recent || [], "Customers you open show here."),
    showCustomers("favourite-customers", favourites, "Star a customer on its page to keep it here."),
  ]);
}

document.getElementById("sync-now").addEventListener("click", () => syncNow());
document.getElementById("log-out").addEventListener("click", async () => {
  const token = (document.cookie.match(/(?:^|;\s*)fs_csrf=([^;]+)/) || [])[1] || "";
  // The outbox stays on the phone and is sent after this user's next login.
  await fetch("/logout", { method: "POST", headers: { "x-csrf-token": decodeURIComponent(token) }, credentials: "same-origin", redirect: "manual" }).catch(() => {});
  forgetCurrentUser();
  location.assign("/login");
});
for (const e of ["fs:status", "online", "offline"]) window.addEventListener(e, showNet);
live(render, ["fs:data", "fs:outbox", "fs:user", "fs:status"]);

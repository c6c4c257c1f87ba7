// The outbox: everything the rep submits, kept in IndexedDB until the server's verdict is
// in, and kept afterwards so the verdict can be shown. Online and offline alike, a
// submission goes through here; the pure decisions live in outbox-core.js.

import { api, ApiError } from "./api.js";
import {
  FRESH_COUNTERS, MAX_BATCH, applyResponse, assignSeq, buildPush, classifyFailure, gapDecision, nextBatch,
  pendingItems, prunableKeys, refusalPlan, renumber, retryDelay,
} from "./outbox-core.js";
import { currentUser, getMeta, setMeta, transact } from "./store.js";

const COUNTERS = "outbox_counters";
const DEVICE = "device_id";
let flushing = null;
let retryTimer = null;
// Smaller after a push refused as a whole (see refusalPlan), growing back as pushes pass.
let batchLimit = MAX_BATCH;

function changed() {
  window.dispatchEvent(new CustomEvent("fs:outbox"));
}

function all(store, request) {
  return request(store.getAll());
}

/** Adds a submission with its seq, in one transaction with the seq counter. */
export async function enqueue({
  type, entity_id, args = {}, base_version = null, label, phone_totals = null, phone_commission_cents = null,
}) {
  const item = await transact(["outbox", "meta"], "readwrite", async (s, request) => {
    const counters = (await request(s.meta.get(COUNTERS))) || FRESH_COUNTERS;
    const r = assignSeq(counters, { type, entity_id, args, base_version, label, phone_totals, phone_commission_cents });
    s.outbox.put(r.item);
    s.meta.put(r.counters, COUNTERS);
    return r.item;
  });
  changed();
  requestBackgroundSync();
  // The sync loop sends it at once when online (and pulls afterwards); offline it waits.
  window.dispatchEvent(new CustomEvent("fs:enqueued", { detail: item }));
  return item;
}

/** Saves changed items as they are (no new seq). */
export async function saveItems(items) {
  await putItems(items);
}

export async function listItems() {
  const items = await transact(["outbox"], "readonly", (s, request) => all(s.outbox, request));
  return items.sort((a, b) => a.key - b.key);
}

export async function itemsFor(entityId) {
  const items = await transact(["outbox"], "readonly", (s, request) => request(s.outbox.index("entity_id").getAll(entityId)));
  return items.sort((a, b) => a.key - b.key);
}

export async function pendingCount() {
  return pendingItems(await listItems()).length;
}

async function putItems(items) {
  if (!items.length) return;
  await transact(["outbox"], "readwrite", (s) => { for (const i of items) s.outbox.put(i); });
  changed();
}

async function registerDevice() {
  const device = await api("/api/sync/v1/devices", {
    method: "POST", body: { name: deviceName(), protocol: 1, schema_version: 1 },
  });
  await setMeta(DEVICE, device.device_id);
  return device.device_id;
}

function deviceName() {
  const ua = navigator.userAgent;
  const kind = /Android/.test(ua) ? "Android phone" : /iPhone|iPad/.test(ua) ? "iPhone" : "Browser";
  return `${kind} (${new Date().toISOString().slice(0, 10)})`;
}

/** This phone's registration for the signed-in user, created on first use. */
export async function deviceId() {
  return (await getMeta(DEVICE)) || registerDevice();
}

/** A fresh registration and fresh seqs for the unsent items (see gapDecision). */
async function startNewRegistration() {
  await setMeta(DEVICE, null);
  await registerDevice();
  await transact(["outbox", "meta"], "readwrite", async (s, request) => {
    const items = await all(s.outbox, request);
    const counters = (await request(s.meta.get(COUNTERS))) || FRESH_COUNTERS;
    const r = renumber(items, counters);
    for (const i of r.changed) s.outbox.put(i);
    s.meta.put(r.counters, COUNTERS);
  });
  changed();
}

function scheduleRetry(attempt) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => flush().catch(() => {}), retryDelay(attempt));
}

async function pushOnce() {
  const items = await listItems();
  const batch = nextBatch(items, batchLimit);
  if (!batch.length) return false;
  const device = await deviceId();
  // "sending" is written before the request: after a reload the same items, with the same
  // seqs, go again, and the server answers those it already applied from its memory.
  const sending = batch.map((i) => ({ ...i, state: "sending", attempts: (i.attempts || 0) + 1 }));
  await putItems(sending);
  let response;
  try {
    response = await api("/api/sync/v1/push", { method: "POST", body: buildPush(device, sending, items) });
  } catch (err) {
    const action = classifyFailure(err.status ?? 0, err instanceof ApiError ? err.code : null);
    if (action === "refused") {
      const plan = refusalPlan(sending, err.body);
      batchLimit = plan.limit;
      await putItems(plan.refused.length ? plan.refused : sending.map((i) => ({ ...i, state: "queued", last_error: err.message })));
      return true;
    }
    await putItems(sending.map((i) => ({ ...i, state: "queued", last_error: err.message })));
    if (action === "reregister") {
      await startNewRegistration();
      return true;
    }
    if (action === "retry") scheduleRetry(sending[0].attempts);
    err.action = action;
    throw err;
  }
  batchLimit = Math.min(MAX_BATCH, batchLimit * 2);
  const fresh = await listItems();
  const result = applyResponse(fresh, sending, response);
  await putItems(result.changed);
  if (result.gap !== null) {
    if (gapDecision(result.items, result.gap) === "renumber") {
      await startNewRegistration();
      return true;
    }
    // A gap the phone can fill is filled by the next batch, which starts at the lowest seq.
  }
  await setMeta("last_push_at", new Date().toISOString());
  return nextBatch(result.items).length > 0 && result.changed.length > 0;
}

/** Old answered items go, so the phone's storage and the outbox page stay small over
 * months of daily use (see prunableKeys). */
async function forgetOldVerdicts() {
  const keys = prunableKeys(await listItems());
  if (!keys.length) return;
  await transact(["outbox"], "readwrite", (s) => { for (const key of keys) s.outbox.delete(key); });
  changed();
}

/** Sends every waiting item, batch by batch. One flush at a time per phone, across tabs. */
export function flush() {
  if (!currentUser()) return Promise.resolve();
  if (flushing) return flushing;
  const run = async () => {
    let more = true;
    let rounds = 0;
    while (more && rounds < 50) {
      more = await pushOnce();
      rounds += 1;
    }
    await forgetOldVerdicts();
  };
  flushing = (navigator.locks ? navigator.locks.request("fs-outbox-flush", run) : run())
    .finally(() => { flushing = null; });
  return flushing;
}

export async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.getRegistration("/");
    if (registration && "sync" in registration) await registration.sync.register("fs-outbox");
  } catch {
    // Background Sync is optional: the timer, `online` and visibility triggers still flush.
  }
}

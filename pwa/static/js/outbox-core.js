// The outbox's decisions, free of IndexedDB, fetch and the DOM so node can test them.
//
// A submission gets its seq once, when it is enqueued, and keeps it: a retry after a lost
// response or a reload resends the same seq, and the server answers a seq it has already
// applied with the stored outcome instead of applying it again.

export const PROTOCOL = 1;
export const SCHEMA_VERSION = 1;
export const MAX_BATCH = 100;
// A push body stays well under the server's push limit (sync/protocol.py MAX_PUSH_BYTES,
// 20 MiB) and under the 1 MiB most proxies accept: 100 orders of 140 lines are 1.3 MB.
export const MAX_BATCH_BYTES = 512 * 1024;

const RETRY_BASE_MS = 2000;
const RETRY_MAX_MS = 5 * 60 * 1000;

export const FRESH_COUNTERS = Object.freeze({ next_key: 1, next_seq: 1, epoch: 0 });

/**
 * A new queued item and the counters to store with it (in the same transaction).
 * `key` identifies the item on the phone forever; `seq` is its number on the current
 * device registration (`epoch`), the one the server deduplicates by.
 */
export function assignSeq(counters, fields, now = new Date()) {
  const c = { ...FRESH_COUNTERS, ...(counters || {}) };
  if (!fields || !fields.type || !fields.entity_id) throw new Error("An outbox item needs a type and an entity_id.");
  const item = {
    key: c.next_key,
    seq: c.next_seq,
    epoch: c.epoch,
    type: fields.type,
    entity_id: fields.entity_id,
    args: fields.args || {},
    base_version: fields.base_version ?? null,
    label: fields.label || fields.type,
    phone_totals: fields.phone_totals ?? null,
    // The builder's what-if for an order, shown beside what the server credits.
    phone_commission_cents: fields.phone_commission_cents ?? null,
    state: "queued",
    outcome: null,
    attempts: 0,
    last_error: null,
    created_at: now.toISOString(),
  };
  return { item, counters: { ...c, next_key: c.next_key + 1, next_seq: c.next_seq + 1 } };
}

/** Items still owed an outcome, in seq order: queued ones and any left "sending" by a
 * response that never came or a reload in the middle of a flush. */
export function pendingItems(items) {
  return items.filter((i) => i.state !== "done").sort((a, b) => a.seq - b.seq);
}

/** The bytes a mutation adds to a push body (UTF-8). */
export function mutationBytes(item) {
  return new TextEncoder().encode(JSON.stringify(mutationOf(item))).length + 1;
}

/** The next items to push, in seq order: at most `max` of them and `maxBytes` of body,
 * and always at least one (a single item too large is refused by the server on its own). */
export function nextBatch(items, max = MAX_BATCH, maxBytes = MAX_BATCH_BYTES) {
  const batch = [];
  let bytes = 0;
  for (const item of pendingItems(items).slice(0, max)) {
    bytes += mutationBytes(item);
    if (batch.length && bytes > maxBytes) break;
    batch.push(item);
  }
  return batch;
}

/** The highest seq up to which every item has its outcome: the server may forget those. */
export function ackUpTo(items, epoch = currentEpoch(items)) {
  const sorted = items.filter((i) => i.epoch === epoch).sort((a, b) => a.seq - b.seq);
  let ack = 0;
  for (const item of sorted) {
    if (item.state !== "done") break;
    ack = item.seq;
  }
  return ack || null;
}

/**
 * Keys of items the phone may forget: done (the verdict is in and was shown), made more
 * than `keepDays` ago, and not among the newest `keepLast`. Waiting or unanswered items
 * are never forgotten. The server already holds what they created, and `ackUpTo` only
 * needs the items after them.
 */
export function prunableKeys(items, now = new Date(), { keepDays = 30, keepLast = 100 } = {}) {
  const cutoff = now.getTime() - keepDays * 24 * 60 * 60 * 1000;
  const newest = new Set([...items].sort((a, b) => b.key - a.key).slice(0, keepLast).map((i) => i.key));
  return items
    .filter((i) => i.state === "done" && !newest.has(i.key) && Date.parse(i.created_at) < cutoff)
    .map((i) => i.key);
}

export function currentEpoch(items) {
  return items.reduce((max, i) => Math.max(max, i.epoch || 0), 0);
}

export function mutationOf(item) {
  const mutation = { seq: item.seq, type: item.type, entity_id: item.entity_id, args: item.args };
  if (item.base_version !== null && item.base_version !== undefined) mutation.base_version = item.base_version;
  return mutation;
}

export function buildPush(deviceId, batch, allItems) {
  return {
    protocol: PROTOCOL,
    schema_version: SCHEMA_VERSION,
    device_id: deviceId,
    mutations: batch.map(mutationOf),
    ack_up_to: ackUpTo(allItems),
  };
}

function outcomeOf(o) {
  return {
    status: o.status,
    code: o.code ?? null,
    message: o.message ?? null,
    result: o.result || {},
    duplicate: Boolean(o.duplicate),
  };
}

/**
 * Applies a PushResponse to the items that were sent.
 * Returns {items, changed, gap}: the updated list, the items whose state changed, and
 * `gap` (the seq the server expects next) when the server stopped at a gap.
 */
export function applyResponse(items, sent, response) {
  const bySeq = new Map(response.outcomes.map((o) => [o.seq, o]));
  const sentKeys = new Set(sent.map((i) => i.key));
  const changed = [];
  const updated = items.map((item) => {
    if (!sentKeys.has(item.key)) return item;
    const o = bySeq.get(item.seq);
    if (!o || o.entity_id !== item.entity_id) {
      // Not applied (the batch stopped at a gap) or not ours: it goes again as it is.
      if (item.state === "queued") return item;
      const next = { ...item, state: "queued" };
      changed.push(next);
      return next;
    }
    // The first outcome the phone heard is the one it shows. A resend answered from the
    // server's memory says the same, and an expired memory ("outcome_expired") says less.
    if (item.state === "done" && item.outcome) return item;
    // When the phone heard it: what a pull that began before then cannot hold yet.
    const settled_at = new Date().toISOString();
    if (o.code === "outcome_expired" && item.outcome) {
      const next = { ...item, state: "done", settled_at };
      changed.push(next);
      return next;
    }
    const next = { ...item, state: "done", outcome: outcomeOf(o), last_error: null, settled_at };
    changed.push(next);
    return next;
  });
  const gap = response.expected_seq ?? null;
  return { items: updated, changed, gap };
}

/**
 * What to do when the server expects `expectedSeq` next.
 * - "resend": the phone still holds that seq; it goes in the next batch.
 * - "renumber": the phone has nothing at that seq (the server lost its device state, or
 *   the phone's store was restored from an older copy). None of the pending items was
 *   applied (all are beyond the server's last seq), so they are safe to number again on a
 *   newly registered device.
 */
export function gapDecision(items, expectedSeq) {
  const pending = pendingItems(items);
  if (pending.some((i) => i.seq === expectedSeq)) return "resend";
  if (pending.length && pending.every((i) => i.seq > expectedSeq)) return "renumber";
  return "resend";
}

/** Pending items numbered again from 1 for a new device registration (a new epoch); done
 * items keep their history. Returns the changed items and the counters to store. */
export function renumber(items, counters) {
  const c = { ...FRESH_COUNTERS, ...(counters || {}) };
  const epoch = c.epoch + 1;
  let seq = 0;
  const changed = pendingItems(items).map((i) => ({ ...i, seq: ++seq, epoch, state: "queued", previous_seq: i.seq }));
  return { changed, counters: { ...c, next_seq: seq + 1, epoch } };
}

/** How a failed push is handled, from the HTTP status and problem code (status 0: no network). */
export function classifyFailure(status, code = null) {
  if (status === 0 || status === 408 || status === 429 || status >= 500) return "retry";
  if (status === 401) return "signed_out";
  if (code === "device_unknown") return "reregister";
  if (code === "device_revoked") return "blocked";
  if (code === "protocol_unsupported" || code === "schema_unsupported") return "blocked";
  // The server could not take the request as it is (malformed, too large, text it cannot
  // store): the same request would be refused every time.
  if (status === 400 || status === 413 || status === 422) return "refused";
  return "retry";
}

/**
 * What follows a push refused as a whole ("refused" above). While the batch holds several
 * items the next push sends half of it, until the item the server refuses on its own is
 * found; that item gets the server's reason as its verdict and is not sent again, and the
 * items after it go on (on a new registration: the server still expects its seq, see
 * gapDecision). Returns {limit, refused}: the next batch size and the items to store.
 */
export function refusalPlan(sent, problem) {
  if (sent.length > 1) return { limit: Math.ceil(sent.length / 2), refused: [] };
  const p = problem || {};
  const outcome = {
    status: "rejected",
    code: p.code || "refused",
    message: p.detail || p.message || "The server refused this change as it was sent.",
    result: {},
    duplicate: false,
  };
  return { limit: MAX_BATCH, refused: sent.map((i) => ({ ...i, state: "done", outcome, last_error: null })) };
}

/** Exponential backoff with jitter; `random` is injectable for tests. */
export function retryDelay(attempt, random = Math.random) {
  const exp = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Codes that refuse a document only because its customer was refused before it. */
const REFUSED_FOR_CUSTOMER = new Set(["dependency_rejected", "customer_not_found"]);

/**
 * The orders and quotes of customer `fromId` to send for customer `toId` instead. Queued
 * ones are rewritten in place (their seq was never applied); ones refused because of the
 * customer go again as new items under a new id from `newId` (the server keeps refusing a
 * creation's id once it refused it). Returns {rewritten, resend}: items to store, and
 * fields to enqueue.
 */
export function documentsToMove(items, fromId, toId, newId) {
  const rewritten = [];
  const resend = [];
  for (const item of items) {
    if (!/^(order|quote)\./.test(item.type) || item.args?.customer_id !== fromId) continue;
    const args = { ...item.args, customer_id: toId };
    if (item.state === "queued") rewritten.push({ ...item, args });
    else if (item.state === "done" && item.outcome?.status === "rejected" && REFUSED_FOR_CUSTOMER.has(item.outcome.code) && !item.resent) {
      rewritten.push({ ...item, resent: true });
      resend.push({ type: item.type, entity_id: newId(), args, label: item.label, phone_totals: item.phone_totals });
    }
  }
  return { rewritten, resend };
}

/** What the outbox page says about an item. */
export function verdictOf(item) {
  if (item.used_customer_id) return { kind: "accepted", text: "Existing customer used instead" };
  if (item.confirmed_as) return { kind: "accepted", text: "Sent again, confirmed as new" };
  if (item.resent) return { kind: "waiting", text: "Sent again" };
  if (item.state === "queued") return { kind: "waiting", text: "Waiting to sync" };
  if (item.state === "sending") return { kind: "sending", text: "Sending…" };
  const o = item.outcome || {};
  if (o.status === "accepted") return { kind: "accepted", text: "Accepted", number: o.result?.number || null };
  if (o.status === "needs_approval") return { kind: "approval", text: "Needs approval", number: o.result?.number || null };
  return { kind: "rejected", text: "Rejected", reason: o.message || "The server refused this change.", hint: hintFor(o.code) };
}

// A document's state as the last pull brought it: [verdict kind, text]. The verdict heard at
// sync is only where it started; a manager's decision or the customer's answer comes later.
const DOCUMENT_STATES = {
  draft: ["accepted", "Draft"],
  submitted: ["accepted", "Submitted"],
  pending_approval: ["approval", "Needs approval"],
  credit_hold: ["approval", "On credit hold"],
  confirmed: ["accepted", "Confirmed"],
  in_fulfilment: ["accepted", "In fulfilment"],
  completed: ["accepted", "Completed"],
  closed: ["accepted", "Closed"],
  cancelled: ["rejected", "Cancelled"],
  sent: ["accepted", "Sent to the customer"],
  accepted: ["accepted", "Accepted by the customer"],
  declined: ["rejected", "Declined by the customer"],
  expired: ["rejected", "Expired"],
};

/** The store type of the document a submission creates, or null. */
export function documentTypeOf(item) {
  if (item.type.startsWith("order.place")) return "order";
  if (item.type.startsWith("quote.save")) return "quote";
  return null;
}

/**
 * What a submission shows once the pull has brought its document (`doc`): the document's
 * current state, with the verdict heard at sync kept as its history. Without the document
 * (not pulled yet) it is the verdict of the sync itself.
 */
export function currentVerdict(item, doc) {
  const v = verdictOf(item);
  if (!doc || item.state !== "done" || v.kind === "rejected" || !DOCUMENT_STATES[doc.status]) return v;
  const [kind, text] = DOCUMENT_STATES[doc.status];
  const history = text === v.text ? null : `At sync: ${v.text}`;
  return { ...v, kind, text, number: doc.number || v.number, history };
}

const HINTS = {
  order_id_taken: "This order is already on the server (it was sent before): nothing is lost and nothing was duplicated. Find it under Orders after the next sync; do not enter it again.",
  quote_id_taken: "This quote is already on the server (it was sent before): nothing is lost and nothing was duplicated. Find it after the next sync; do not enter it again.",
  customer_id_taken: "This customer is already on the server (it was sent before). Find it under Customers after the next sync; do not onboard it again.",
  customer_inactive: "Orders are only taken for active customers. Save a quote instead, or ask the back office to activate the customer.",
  customer_not_found: "The customer is no longer yours to see on this phone (moved to another territory, or removed). Ask your manager.",
  product_not_found: "A product on it is no longer sold. Build it again without that product.",
  no_price: "A product on it has no price for this customer. Ask your manager for a price, or leave that product out.",
  quote_expired: "The quote has expired. Revise it into a new version, or start a new quote.",
  valid_until_past: "The validity date had already passed. Save the quote again with a date in the future.",
  not_pack_multiple: "A quantity is not a whole number of packs. Change it to a multiple of the pack size.",
  permission_denied: "Your role may not do this. Ask your manager.",
  outcome_expired: "The server no longer remembers this answer; it was applied before. Check the record after the next sync.",
  body_too_large: "It is larger than the server accepts in one piece. Split it into smaller documents.",
  possible_duplicate: "It may already exist: open the customer to see the existing ones, then use one of them or confirm it is new.",
  dependency_rejected: "An earlier change it relies on was rejected. Fix that one first, then submit this again.",
  invalid_mutation: "Some details were not accepted. Enter it again with the fields corrected.",
  unknown_mutation_type: "Update the app (reload while online), then submit again.",
  version_conflict: "Someone changed this record meanwhile. Reopen it to see the latest version, then edit again.",
  credit_limit_exceeded: "The customer is over their credit limit. Ask your manager, or reduce the order.",
  insufficient_stock: "Not enough stock. Reduce the quantity or allow a backorder.",
  revision_conflict: "The order was changed meanwhile. Sync, open the order again and amend the latest revision.",
  below_shipped: "Part of that line has already shipped: the quantity cannot go below what shipped.",
  line_shipped: "Part of that line has already shipped, so it cannot be removed.",
  not_amendable: "The order can no longer be amended.",
};

export function hintFor(code) {
  // Unknown codes get no invitation to resend: a resend can duplicate what did go through.
  return HINTS[code] || "Check the record after the next sync, and ask your manager before entering it again.";
}

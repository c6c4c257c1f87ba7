// The outbox's pure core: seq assignment, resends, outcomes, gaps and retries.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  FRESH_COUNTERS, MAX_BATCH, ackUpTo, applyResponse, assignSeq, buildPush, classifyFailure, gapDecision,
  nextBatch, prunableKeys, refusalPlan, renumber, retryDelay, verdictOf,
} from "../../pwa/static/js/outbox-core.js";

const ID = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

function enqueueMany(n) {
  let counters = FRESH_COUNTERS;
  const items = [];
  for (let i = 1; i <= n; i += 1) {
    const r = assignSeq(counters, { type: "customer.create@1", entity_id: ID(i), args: { legal_name: `C${i}` }, label: `New customer C${i}` });
    items.push(r.item);
    counters = r.counters;
  }
  return { items, counters };
}

const accepted = (item, extra = {}) => ({
  seq: item.seq, type: item.type, entity_id: item.entity_id, status: "accepted", duplicate: false,
  code: null, message: null, result: { number: `C-${1000 + item.seq}` }, ...extra,
});

test("each submission gets the next seq once, and the counter moves on", () => {
  const { items, counters } = enqueueMany(3);
  assert.deepEqual(items.map((i) => i.seq), [1, 2, 3]);
  assert.deepEqual(items.map((i) => i.key), [1, 2, 3]);
  assert.equal(counters.next_seq, 4);
  assert.ok(items.every((i) => i.state === "queued" && i.outcome === null));
  assert.throws(() => assignSeq(counters, { type: "customer.create@1" }));
});

test("the push carries the items' own seqs, args and base versions", () => {
  const { items } = enqueueMany(2);
  items[1] = { ...items[1], type: "customer.update@1", base_version: 3 };
  const body = buildPush("dev-1", nextBatch(items), items);
  assert.equal(body.protocol, 1);
  assert.equal(body.schema_version, 1);
  assert.equal(body.device_id, "dev-1");
  assert.deepEqual(body.mutations.map((m) => m.seq), [1, 2]);
  assert.equal(body.mutations[0].base_version, undefined);
  assert.equal(body.mutations[1].base_version, 3);
  assert.deepEqual(body.mutations[0].args, { legal_name: "C1" });
  assert.equal(body.ack_up_to, null);
});

test("a lost response, then a retry, resends the same seq and keeps the server's verdict", () => {
  let { items } = enqueueMany(1);
  // The flush marked it sending, then the response was lost (or the page reloaded).
  items = items.map((i) => ({ ...i, state: "sending" }));
  const retry = nextBatch(items);
  assert.deepEqual(retry.map((i) => i.seq), [1]);
  const body = buildPush("dev-1", retry, items);
  assert.equal(body.mutations[0].seq, 1);
  assert.equal(body.mutations[0].entity_id, ID(1));
  const { items: after, changed } = applyResponse(items, retry, {
    device_id: "dev-1", last_seq: 1, outcomes: [accepted(items[0], { duplicate: true })],
  });
  assert.equal(changed.length, 1);
  assert.equal(after[0].state, "done");
  assert.equal(after[0].outcome.result.number, "C-1001");
  assert.equal(after[0].outcome.duplicate, true);
  assert.deepEqual(nextBatch(after), []);
});

test("outcomes are applied to the matching items: accepted, needs approval, rejected", () => {
  const { items } = enqueueMany(3);
  const response = {
    device_id: "dev-1", last_seq: 3,
    outcomes: [
      accepted(items[0]),
      { ...accepted(items[1]), status: "needs_approval", result: { number: "SO-2001" } },
      { ...accepted(items[2]), status: "rejected", code: "possible_duplicate", message: "This customer may already exist.", result: {} },
    ],
  };
  const { items: after } = applyResponse(items, items, response);
  assert.deepEqual(after.map((i) => i.outcome.status), ["accepted", "needs_approval", "rejected"]);
  assert.deepEqual(verdictOf(after[0]), { kind: "accepted", text: "Accepted", number: "C-1001" });
  assert.equal(verdictOf(after[1]).text, "Needs approval");
  const rejected = verdictOf(after[2]);
  assert.equal(rejected.reason, "This customer may already exist.");
  assert.match(rejected.hint, /already exist/);
  assert.equal(ackUpTo(after), 3);
});

test("a duplicate outcome does not overwrite the verdict the phone already has", () => {
  const { items } = enqueueMany(1);
  const first = applyResponse(items, items, { device_id: "d", last_seq: 1, outcomes: [accepted(items[0])] }).items;
  const again = applyResponse(first, first, {
    device_id: "d", last_seq: 1,
    outcomes: [{ ...accepted(items[0]), duplicate: true, code: "outcome_expired", result: {} }],
  });
  assert.equal(again.changed.length, 0);
  assert.equal(again.items[0].outcome.result.number, "C-1001");
  assert.equal(again.items[0].outcome.duplicate, false);
});

test("an outcome for another entity at the same seq is not taken as this item's verdict", () => {
  const { items } = enqueueMany(1);
  const sent = items.map((i) => ({ ...i, state: "sending" }));
  const { items: after } = applyResponse(sent, sent, {
    device_id: "d", last_seq: 1, outcomes: [{ ...accepted(items[0]), entity_id: ID(99) }],
  });
  assert.equal(after[0].state, "queued");
  assert.equal(after[0].outcome, null);
});

test("items after a gap stay queued with their seqs; the seq the server expects is reported", () => {
  const { items } = enqueueMany(3);
  const sending = items.map((i) => ({ ...i, state: "sending" }));
  const { items: after, gap } = applyResponse(sending, sending, {
    device_id: "d", last_seq: 1, outcomes: [accepted(items[0])], expected_seq: 2,
  });
  assert.equal(gap, 2);
  assert.deepEqual(after.map((i) => [i.seq, i.state]), [[1, "done"], [2, "queued"], [3, "queued"]]);
  assert.equal(gapDecision(after, gap), "resend");
  assert.equal(ackUpTo(after), 1);
});

test("a gap the phone cannot fill renumbers the unsent items on a new registration, once each", () => {
  const { items, counters } = enqueueMany(4);
  // Items 1 and 2 were answered; the server lost the device and now expects seq 1 while
  // the phone's next unsent item is 3.
  const done = applyResponse(items, items.slice(0, 2), {
    device_id: "d", last_seq: 2, outcomes: [accepted(items[0]), accepted(items[1])],
  }).items;
  assert.equal(gapDecision(done, 1), "renumber");
  const { changed, counters: next } = renumber(done, counters);
  assert.deepEqual(changed.map((i) => [i.key, i.seq, i.epoch, i.previous_seq]), [[3, 1, 1, 3], [4, 2, 1, 4]]);
  assert.equal(next.next_seq, 3);
  assert.equal(next.next_key, 5);
  const merged = done.map((i) => changed.find((c) => c.key === i.key) || i);
  assert.equal(ackUpTo(merged), null); // nothing of the new registration is answered yet
  const { item } = assignSeq(next, { type: "customer.create@1", entity_id: ID(5) });
  assert.deepEqual([item.key, item.seq, item.epoch], [5, 3, 1]);
});

test("failures: no network and server trouble are retried with growing delays; a lost session waits for login", () => {
  assert.equal(classifyFailure(0), "retry");
  assert.equal(classifyFailure(503, "unavailable"), "retry");
  assert.equal(classifyFailure(401), "signed_out");
  assert.equal(classifyFailure(404, "device_unknown"), "reregister");
  assert.equal(classifyFailure(403, "device_revoked"), "blocked");
  assert.equal(classifyFailure(422, "protocol_unsupported"), "blocked");
  const fixed = () => 1;
  assert.ok(retryDelay(1, fixed) < retryDelay(2, fixed));
  assert.ok(retryDelay(2, fixed) < retryDelay(3, fixed));
  assert.equal(retryDelay(50, fixed), 5 * 60 * 1000);
  assert.ok(retryDelay(1, () => 0) >= 1000);
});

test("old answered items are forgotten; waiting ones, recent ones and the newest never are", () => {
  const now = new Date("2026-06-30T12:00:00Z");
  const daysAgo = (d) => new Date(now.getTime() - d * 86400000).toISOString();
  const { items } = enqueueMany(6);
  const aged = items.map((i, n) => ({ ...i, created_at: daysAgo(60 - n) }));
  // 1-4 answered long ago; 5 sent long ago and still unanswered; 6 answered yesterday.
  const done = aged.map((i) => (i.seq === 5 ? { ...i, state: "sending" } : { ...i, state: "done", outcome: { status: "accepted" } }));
  done[5] = { ...done[5], created_at: daysAgo(1) };
  assert.deepEqual(prunableKeys(done, now, { keepDays: 30, keepLast: 3 }), [1, 2, 3]);
  assert.deepEqual(prunableKeys(done, now, { keepDays: 30, keepLast: 0 }), [1, 2, 3, 4]);
  assert.deepEqual(prunableKeys(done, now, { keepDays: 90, keepLast: 0 }), []);
});

test("after old items are forgotten, the push still acknowledges every answered seq", () => {
  const now = new Date("2026-06-30T12:00:00Z");
  const { items } = enqueueMany(6);
  const old = items.map((i) => ({ ...i, created_at: "2026-01-01T00:00:00Z" }));
  const answered = old.map((i) => (i.seq <= 5 ? { ...i, state: "done", outcome: { status: "accepted" } } : i));
  const forgotten = new Set(prunableKeys(answered, now, { keepDays: 30, keepLast: 2 }));
  assert.deepEqual([...forgotten], [1, 2, 3, 4]);
  const left = answered.filter((i) => !forgotten.has(i.key));
  assert.equal(ackUpTo(left), 5);
  assert.deepEqual(nextBatch(left).map((i) => i.seq), [6]);
});

test("a push the server refused as malformed is not resent as it is", () => {
  for (const [status, code] of [[400, "invalid_request"], [413, "body_too_large"], [422, "invalid_text"], [400, "bad_request"]]) {
    assert.equal(classifyFailure(status, code), "refused", `${status} ${code}`);
  }
  assert.equal(classifyFailure(422, "protocol_unsupported"), "blocked");
  assert.equal(classifyFailure(503, "unavailable"), "retry");
});

test("a refused batch is split until the item the server refuses alone is found; that one gets the server's reason", () => {
  const { items } = enqueueMany(MAX_BATCH);
  const sending = items.map((i) => ({ ...i, state: "sending" }));
  const problem = { status: 422, code: "invalid_text", detail: "Text may not contain a broken character." };
  // Half of the batch goes next; nothing is marked refused while the culprit is unknown.
  const split = refusalPlan(sending, problem);
  assert.equal(split.limit, MAX_BATCH / 2);
  assert.deepEqual(split.refused, []);
  assert.ok(nextBatch(items, split.limit).length < sending.length);
  // Alone, it is refused for good: shown with the server's reason, no longer pending.
  const alone = refusalPlan([sending[6]], problem);
  assert.equal(alone.limit, MAX_BATCH);
  assert.equal(alone.refused.length, 1);
  const [refused] = alone.refused;
  assert.equal(refused.state, "done");
  assert.deepEqual([refused.outcome.status, refused.outcome.code], ["rejected", "invalid_text"]);
  assert.equal(verdictOf(refused).reason, "Text may not contain a broken character.");
  // The items before it were applied meanwhile.
  const applied = (i) => ({ ...i, state: "done", outcome: { status: "accepted" } });
  const after = items.map((i) => (i.key === refused.key ? refused : i.seq < refused.seq ? applied(i) : i));
  assert.equal(nextBatch(after).length, MAX_BATCH - 7);
  assert.ok(!nextBatch(after).some((i) => i.key === refused.key));
  // The rest of the queue goes on: the server, still expecting the refused seq, gets the
  // next items on a new registration.
  assert.equal(gapDecision(after, refused.seq), "renumber");
});

test("a document's current state from the pull replaces the verdict heard at sync, which stays as history", async () => {
  const { currentVerdict } = await import("../../pwa/static/js/outbox-core.js");
  const item = { state: "done", type: "order.place@1", outcome: { status: "needs_approval", result: { number: "SO-1" } } };
  assert.equal(currentVerdict(item, undefined).text, "Needs approval");
  const now = currentVerdict(item, { status: "confirmed", number: "SO-1" });
  assert.deepEqual([now.kind, now.text, now.history], ["accepted", "Confirmed", "At sync: Needs approval"]);
  assert.equal(currentVerdict(item, { status: "pending_approval" }).history, null);
});

test("each rejection code has its own advice, and none invites a duplicate", async () => {
  const { hintFor } = await import("../../pwa/static/js/outbox-core.js");
  for (const code of ["order_id_taken", "quote_id_taken", "customer_id_taken"]) {
    assert.match(hintFor(code), /already on the server/);
  }
  assert.match(hintFor("customer_inactive"), /active customers/);
  assert.doesNotMatch(hintFor("something_new"), /submit it again/);
});

test("batches are sized by bytes: 100 orders of 140 lines go in several pushes under the limit", async () => {
  const { MAX_BATCH_BYTES, buildPush } = await import("../../pwa/static/js/outbox-core.js");
  let counters = FRESH_COUNTERS;
  const items = [];
  const lines = Array.from({ length: 140 }, (_, i) => ({ product_id: ID(9000 + i), quantity: 12, discount_percent: "2.5" }));
  for (let i = 1; i <= 100; i += 1) {
    const r = assignSeq(counters, { type: "order.place@1", entity_id: ID(i), args: { customer_id: ID(1), lines } });
    items.push(r.item);
    counters = r.counters;
  }
  let pending = items;
  let pushes = 0;
  while (pending.length) {
    const batch = nextBatch(pending);
    assert.ok(batch.length >= 1);
    assert.ok(JSON.stringify(buildPush("d", batch, items)).length <= MAX_BATCH_BYTES + 200);
    const sent = new Set(batch.map((i) => i.key));
    pending = pending.filter((i) => !sent.has(i.key));
    pushes += 1;
  }
  assert.ok(pushes > 1);
  assert.equal(nextBatch(items.slice(0, 1), 100, 10).length, 1);
});

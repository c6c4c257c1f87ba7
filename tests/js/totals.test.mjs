// Unit tests of the phone's totals (pwa/static/js/totals.js): node --test tests/js/
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  checkQuantity, creditHoldReason, effectiveDiscountPercent, formatCents, lookupPrice, priceDocument,
  priceForCustomer, readAmountCents, requestedDiscountPercent, readPercent, roundToPack, shipToAddress, spread, stepQuantity, taxRateFor,
} from "../../pwa/static/js/totals.js";

const line = (id, fields = {}) => ({ line_id: id, product_id: `p-${id}`, quantity: 1, unit_price_cents: 1000, ...fields });

test("priceDocument worked example: 3 x 19.99, 10% off, 8.25% tax", () => {
  const priced = priceDocument({ lines: [line("l1", { quantity: 3, unit_price_cents: 1999, discount_percent: "10", tax_rate: "0.0825" })] });
  const [p] = priced.lines;
  assert.deepEqual([p.gross_cents, p.line_discount_cents, p.net_cents, p.tax_cents, p.total_cents], [5997, 600, 5397, 445, 5842]);
  assert.equal(priced.total_cents, 5842);
});

test("half a cent of discount and of tax rounds up, not to even", () => {
  assert.equal(priceDocument({ lines: [line("a", { unit_price_cents: 1010, discount_percent: "5" })] }).lines[0].line_discount_cents, 51);
  assert.equal(priceDocument({ lines: [line("a", { unit_price_cents: 250, tax_rate: "0.05" })] }).total_cents, 263);
  assert.equal(priceDocument({ lines: [line("a", { tax_rate: "0.0825" })] }).tax_cents, 83);
  assert.equal(priceDocument({ lines: [line("a", { tax_rate: "0.08249" })] }).tax_cents, 82);
});

test("a third off the order is spread to the cent, the spare cent to the first line", () => {
  const priced = priceDocument({ lines: [line("a"), line("b"), line("c")], order_discount_percent: "33.33" });
  assert.deepEqual(priced.lines.map((p) => p.order_discount_cents), [334, 333, 333]);
  assert.equal(priced.discount_cents, 1000);
  assert.equal(priced.net_cents, 2000);
});

test("the order discount goes by largest remainder, not by rounding each share", () => {
  const priced = priceDocument({
    lines: [line("a", { unit_price_cents: 100 }), line("b", { unit_price_cents: 100 }), line("c", { unit_price_cents: 100 })],
    order_discount_percent: "0.6667",
  });
  assert.deepEqual(priced.lines.map((p) => p.order_discount_cents), [1, 1, 0]);
  assert.deepEqual(spread(70n, [100n, 250n, 650n, 0n]), [7n, 18n, 45n, 0n]);
});

test("shipping is not discounted and its tax is kept apart", () => {
  const priced = priceDocument({ lines: [line("a")], shipping_cents: 995, shipping_tax_rate: "0.0825", order_discount_percent: "10" });
  assert.equal(priced.shipping_tax_cents, 82);
  assert.equal(priced.tax_cents, 0);
  assert.equal(priced.total_cents, 900 + 995 + 82);
});

test("floats and negative amounts are refused, never rounded", () => {
  assert.throws(() => priceDocument({ lines: [line("a", { discount_percent: 12.5 })] }), TypeError);
  assert.throws(() => priceDocument({ lines: [line("a", { unit_price_cents: 10.5 })] }), TypeError);
  assert.throws(() => priceDocument({ lines: [line("a", { unit_price_cents: -1 })] }), RangeError);
  assert.throws(() => priceDocument({ lines: [line("a", { discount_percent: "100.01" })] }), RangeError);
  assert.throws(() => priceDocument({ lines: [line("a"), line("a")] }), RangeError);
});

test("effective discount is a two-place percent of the subtotal", () => {
  const priced = priceDocument({ lines: [line("a", { quantity: 3, unit_price_cents: 1999, discount_percent: "10" })] });
  assert.equal(effectiveDiscountPercent(priced), "10.01");
  assert.equal(effectiveDiscountPercent(priceDocument({ lines: [] })), "0.00");
});

test("formatCents, readPercent and readAmountCents keep exact decimals", () => {
  assert.equal(formatCents(5), "0.05");
  assert.equal(formatCents(123456), "1234.56");
  assert.deepEqual(readPercent("12,5"), { ok: true, value: "12.5" });
  assert.equal(readPercent("").value, "0");
  assert.equal(readPercent("12.345").ok, false);
  assert.equal(readPercent("101").ok, false);
  assert.deepEqual(readAmountCents("9,95"), { ok: true, cents: 995 });
  assert.deepEqual(readAmountCents("10"), { ok: true, cents: 1000 });
  assert.deepEqual(readAmountCents("0.5"), { ok: true, cents: 50 });
  assert.equal(readAmountCents("9.999").ok, false);
  assert.equal(readAmountCents("-1").ok, false);
});

test("quantities: minimum, whole packs, and the stepper", () => {
  const product = { pack_size: 6, min_order_qty: 12 };
  assert.equal(checkQuantity(12, product), null);
  assert.equal(checkQuantity(6, product).code, "below_minimum_quantity");
  assert.equal(checkQuantity(13, product).code, "not_pack_multiple");
  assert.equal(roundToPack(1, 6, 12), 12);
  assert.equal(roundToPack(13, 6, 0), 18);
  assert.equal(stepQuantity(12, +1, 6, 12), 18);
  assert.equal(stepQuantity(18, -1, 6, 12), 12);
  assert.equal(stepQuantity(12, -1, 6, 12), 12);
  assert.equal(stepQuantity(13, +1, 6, 0), 18);
});

const lists = [
  { id: "base1", code: "BASE", kind: "base", version: 1, valid_from: null, valid_to: null, customer_id: null,
    items: { p1: { unit_price_cents: 1000, breaks: [[10, 900], [50, 800]] }, p2: { unit_price_cents: 500, breaks: [] } } },
  { id: "base2", code: "BASE", kind: "base", version: 2, valid_from: "2026-06-01", valid_to: null, customer_id: null,
    items: { p1: { unit_price_cents: 1100, breaks: [] } } },
  { id: "gold1", code: "GOLD", kind: "tier", version: 1, valid_from: null, valid_to: null, customer_id: null,
    items: { p1: { unit_price_cents: 950, breaks: [] } } },
  { id: "gold2", code: "GOLD", kind: "tier", version: 2, valid_from: "2026-01-01", valid_to: "2026-12-31", customer_id: null,
    items: { p2: { unit_price_cents: 450, breaks: [] } } },
  { id: "own", code: "C1", kind: "customer", version: 1, valid_from: null, valid_to: null, customer_id: "c1",
    items: { p3: { unit_price_cents: 123, breaks: [] } } },
];

test("lookupPrice: volume breaks and validity dates on the base list", () => {
  assert.equal(lookupPrice({ productId: "p1", quantity: 9, on: "2026-05-01", priceLists: lists }).unit_price_cents, 1000);
  assert.equal(lookupPrice({ productId: "p1", quantity: 10, on: "2026-05-01", priceLists: lists }).unit_price_cents, 900);
  assert.equal(lookupPrice({ productId: "p1", quantity: 60, on: "2026-05-01", priceLists: lists }).break_min_qty, 50);
  // the newer base version speaks from its first valid day and drops p2 deliberately
  assert.equal(lookupPrice({ productId: "p1", quantity: 60, on: "2026-06-01", priceLists: lists }).unit_price_cents, 1100);
  assert.equal(lookupPrice({ productId: "p2", quantity: 1, on: "2026-06-01", priceLists: lists }), null);
});

test("lookupPrice: the customer's own list, then the assigned tier followed by code, then base", () => {
  const customer = { id: "c1", price_list_id: "gold1" };
  const at = (productId, on) => lookupPrice({ productId, quantity: 1, on, customer, priceLists: lists });
  assert.equal(at("p3", "2026-05-01").price_list_id, "own");
  // gold2 is the newest valid GOLD in 2026: it has p2 but not p1, so p1 falls to base
  assert.equal(at("p2", "2026-05-01").unit_price_cents, 450);
  assert.equal(at("p1", "2026-05-01").price_list_id, "base1");
  // in 2027 gold2 has expired and gold1 speaks again
  assert.equal(at("p1", "2027-01-02").unit_price_cents, 950);
});

test("taxRateFor: a state rate beats the country rate; exempt pays none", () => {
  const rates = [
    { id: "t2", tax_category: "standard", country: "US", state: "TX", rate: "0.08250" },
    { id: "t1", tax_category: "standard", country: "us", state: null, rate: "0.05000" },
    { id: "t3", tax_category: "food", country: "US", state: "", rate: "0.01000" },
  ];
  assert.equal(taxRateFor({ taxCategory: "standard", address: { country: "US", state: "tx " }, taxRates: rates }), "0.08250");
  assert.equal(taxRateFor({ taxCategory: "standard", address: { country: "US", state: "CA" }, taxRates: rates }), "0.05000");
  assert.equal(taxRateFor({ taxCategory: "standard", address: { country: "DE" }, taxRates: rates }), "0");
  assert.equal(taxRateFor({ taxCategory: "standard", address: { country: "US", state: "TX" }, taxRates: rates, exempt: true }), "0");
});

test("shipToAddress: default shipping, else billing, also for a customer onboarded offline", () => {
  const synced = { addresses: [
    { id: "b", kind: "billing", is_default: true, country: "US", state: "CA" },
    { id: "s", kind: "shipping", is_default: false, country: "US", state: "TX" },
  ] };
  assert.equal(shipToAddress(synced).id, "s");
  const offline = { billing_address: { country: "US", state: "NY" }, shipping_addresses: [] };
  assert.equal(shipToAddress(offline).state, "NY");
});

test("priceForCustomer prices like the server and lists what it would refuse", () => {
  const customer = { id: "c9", price_list_id: null, tax_exempt: false, addresses: [{ id: "a", kind: "billing", is_default: true, country: "US", state: "TX" }] };
  const products = {
    p1: { id: "p1", name: "Widget", pack_size: 6, min_order_qty: 6, active: true, tax_category: "standard", floor_price_cents: 0 },
    p2: { id: "p2", name: "Gadget", pack_size: 1, min_order_qty: 0, active: false, tax_category: "standard", floor_price_cents: 600 },
  };
  const taxRates = [{ id: "t", tax_category: "standard", country: "US", state: "TX", rate: "0.0825" }];
  const { priced, problems } = priceForCustomer({
    customer, products, priceLists: lists, taxRates, on: "2026-05-01",
    requested: [{ product_id: "p1", quantity: 12, discount_percent: "12.5" }, { product_id: "p2", quantity: 1 }, { product_id: "nope", quantity: 1 }],
  });
  // 12 x 9.00 (break at 10) = 108.00, 12.5% off = 13.50 -> 94.50, tax 7.79625 -> 7.80
  assert.deepEqual([priced.lines[0].unit_price_cents, priced.lines[0].net_cents, priced.lines[0].tax_cents], [900, 9450, 780]);
  assert.deepEqual(problems.map((p) => p.code).sort(), ["price_below_floor", "product_inactive", "product_not_found"]);
});

test("creditHoldReason: on hold, or open orders plus this one above the credit limit", () => {
  assert.equal(creditHoldReason({ status: "active", credit_limit_cents: null, open_orders_cents: 10 ** 9 }, 500), null);
  assert.equal(creditHoldReason({ status: "active", credit_limit_cents: 1000, open_orders_cents: 500 }, 500), null);
  assert.match(creditHoldReason({ status: "active", credit_limit_cents: 1000, open_orders_cents: 500 }, 501), /credit limit/);
  assert.match(creditHoldReason({ status: "on_hold", credit_limit_cents: null }, 1), /on hold/);
});

test("creditHoldReason: a limit of 0 allows no credit at all", () => {
  assert.match(creditHoldReason({ status: "active", credit_limit_cents: 0, open_orders_cents: 0 }, 1), /credit limit/);
});

test("creditHoldReason: a customer made on this phone has the default limit until the server says", () => {
  const unsynced = { status: "active", local: true };
  assert.match(creditHoldReason(unsynced, 50_001, 50_000), /credit limit/);
  assert.equal(creditHoldReason(unsynced, 50_000, 50_000), null);
  // The default not known on this phone yet: the server decides.
  assert.equal(creditHoldReason(unsynced, 10 ** 12, null), null);
});

test("requestedDiscountPercent: the discount asked for, not the one the cents round to", () => {
  const price = (lines, order = "0") => requestedDiscountPercent(priceDocument({ lines, order_discount_percent: order }), order);
  const line = (unit, discount, quantity = 1) => ({ line_id: `l${unit}`, product_id: "p", quantity, unit_price_cents: unit, discount_percent: discount });
  assert.equal(price([line(5, "10")]), "10.00");
  assert.equal(price([line(1003, "15")]), "15.00");
  assert.equal(price([line(1000, "10.04")]), "10.04");
  assert.equal(price([line(5, "0")], "10"), "10.00");
  assert.equal(price([line(1000, "10")], "10"), "19.00");
  // A third of a percent: rounded up, so it is above a limit of 0.33 as it is.
  assert.equal(price([line(1, "1"), line(2, "0"), line(3, "0")].map((l, i) => ({ ...l, line_id: `x${i}`, unit_price_cents: 1 }))), "0.34");
});

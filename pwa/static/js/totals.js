// The phone's prices and totals: the same rules as server/domain/pricing.py and
// server/domain/catalog.py, so what the rep sees is what the server will charge.
//
// Money is integer cents held as BigInt; percents and tax rates are decimal strings
// ("12.5", "0.0825") parsed into an exact integer and a scale. No float ever touches an
// amount: 0.1 as a float is not 0.1, and a price computed from it can be a cent off.
//
// The rounding rule, as on the server (each amount rounded once, half up, to a cent):
//   gross = quantity * unit price
//   line discount = round(gross * line% / 100)
//   order discount = round(sum(gross - line discount) * order% / 100), spread over the
//     lines pro rata to their net after line discount by largest remainder (ties: earlier)
//   net = gross - line discount - order discount share
//   tax = round(net * rate)  (an exempt customer has rate 0)
//   header = sums of the rounded lines; shipping and round(shipping * shipping rate) on top.
// This module is pure: no DOM, no storage, no clock unless a caller passes a date.

const HUNDRED = 100n;

/** A decimal as {n, scale}: value = n / 10^scale. Accepts strings and whole numbers. */
export function parseDecimal(value, field = "value") {
  if (typeof value === "bigint") return { n: value, scale: 0 };
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new TypeError(`${field} must be a decimal string or a whole number, never a float`);
    }
    if (value < 0) throw new RangeError(`${field} must not be negative`);
    return { n: BigInt(value), scale: 0 };
  }
  const text = String(value ?? "").trim();
  const match = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!match) throw new TypeError(`${field} must be a non-negative decimal, got "${text}"`);
  const fraction = match[2] ?? "";
  return { n: BigInt(match[1] + fraction), scale: fraction.length };
}

function pow10(scale) {
  return 10n ** BigInt(scale);
}

/** round_half_up(num / den) for num >= 0, den > 0, in exact integers. */
function divHalfUp(num, den) {
  return (2n * num + den) / (2n * den);
}

function checkShare(value, upper, field) {
  const d = parseDecimal(value, field);
  if (d.n > upper * pow10(d.scale)) throw new RangeError(`${field} must be between 0 and ${upper}`);
  return d;
}

function toCents(value, field) {
  if (typeof value === "bigint") {
    if (value < 0n) throw new RangeError(`${field} must not be negative`);
    return value;
  }
  const d = parseDecimal(value, field);
  if (d.scale) throw new TypeError(`${field} must be whole cents`);
  return d.n;
}

function toNumber(big) {
  const n = Number(big);
  if (!Number.isSafeInteger(n)) throw new RangeError("amount too large for the phone to show");
  return n;
}

/** round_half_up(cents * percent / 100). */
export function percentCents(cents, percent) {
  const p = typeof percent === "object" ? percent : parseDecimal(percent, "percent");
  return divHalfUp(BigInt(cents) * p.n, HUNDRED * pow10(p.scale));
}

/** round_half_up(cents * rate), rate a fraction such as "0.0825". */
export function rateCents(cents, rate) {
  const r = typeof rate === "object" ? rate : parseDecimal(rate, "rate");
  return divHalfUp(BigInt(cents) * r.n, pow10(r.scale));
}

/** Split `amount` pro rata to `weights` by largest remainder; parts add up to `amount`. */
export function spread(amount, weights) {
  const total = weights.reduce((a, w) => a + w, 0n);
  if (total === 0n) return weights.map(() => 0n);
  const parts = weights.map((w) => (amount * w) / total);
  const remainders = weights.map((w) => (amount * w) % total);
  let leftOver = amount - parts.reduce((a, p) => a + p, 0n);
  // Array.prototype.sort is stable: equal remainders keep document order.
  const order = weights.map((_, i) => i).sort((a, b) =>
    remainders[b] > remainders[a] ? 1 : remainders[b] < remainders[a] ? -1 : 0);
  for (const i of order) {
    if (leftOver <= 0n) break;
    parts[i] += 1n;
    leftOver -= 1n;
  }
  return parts;
}

/**
 * Price a document. `doc` = {lines: [{line_id, product_id, quantity, unit_price_cents,
 * discount_percent = "0", tax_rate = "0", price_list_id, price_list_version}],
 * order_discount_percent = "0", shipping_cents = 0, shipping_tax_rate = "0"}.
 * Returns the fields of the server's PricedDocument, amounts as integer Numbers.
 */
export function priceDocument(doc) {
  const seen = new Set();
  const lines = (doc.lines ?? []).map((line) => {
    if (seen.has(line.line_id)) throw new RangeError(`line ids must be unique: ${line.line_id}`);
    seen.add(line.line_id);
    return {
      source: line,
      quantity: toCents(line.quantity, "quantity"),
      unit: toCents(line.unit_price_cents, "unit_price_cents"),
      discount: checkShare(line.discount_percent ?? "0", 100n, "discount_percent"),
      rate: checkShare(line.tax_rate ?? "0", 1n, "tax_rate"),
    };
  });
  const orderPct = checkShare(doc.order_discount_percent ?? "0", 100n, "order_discount_percent");
  const shipping = toCents(doc.shipping_cents ?? 0, "shipping_cents");
  const shippingRate = checkShare(doc.shipping_tax_rate ?? "0", 1n, "shipping_tax_rate");

  const grosses = lines.map((l) => l.quantity * l.unit);
  const lineDiscounts = lines.map((l, i) => percentCents(grosses[i], l.discount));
  const afterLine = grosses.map((g, i) => g - lineDiscounts[i]);
  const orderDiscount = percentCents(afterLine.reduce((a, v) => a + v, 0n), orderPct);
  const shares = spread(orderDiscount, afterLine);

  const priced = lines.map((l, i) => {
    const net = afterLine[i] - shares[i];
    const tax = rateCents(net, l.rate);
    return {
      line_id: l.source.line_id,
      product_id: l.source.product_id,
      quantity: toNumber(l.quantity),
      unit_price_cents: toNumber(l.unit),
      discount_percent: String(l.source.discount_percent ?? "0"),
      gross_cents: toNumber(grosses[i]),
      line_discount_cents: toNumber(lineDiscounts[i]),
      order_discount_cents: toNumber(shares[i]),
      net_cents: toNumber(net),
      tax_cents: toNumber(tax),
      total_cents: toNumber(net + tax),
      price_list_id: l.source.price_list_id ?? null,
      price_list_version: l.source.price_list_version ?? null,
    };
  });
  const sum = (key) => priced.reduce((a, p) => a + BigInt(p[key]), 0n);
  const net = sum("net_cents");
  const tax = sum("tax_cents");
  const shippingTax = rateCents(shipping, shippingRate);
  return {
    lines: priced,
    subtotal_cents: toNumber(sum("gross_cents")),
    discount_cents: toNumber(sum("line_discount_cents") + sum("order_discount_cents")),
    net_cents: toNumber(net),
    tax_cents: toNumber(tax),
    shipping_cents: toNumber(shipping),
    shipping_tax_cents: toNumber(shippingTax),
    total_cents: toNumber(net + tax + shipping + shippingTax),
  };
}

/** All discounts as a percent of the subtotal, two places ("12.50"): what limits compare to. */
export function effectiveDiscountPercent(priced) {
  const subtotal = BigInt(priced.subtotal_cents);
  if (subtotal === 0n) return "0.00";
  const hundredths = divHalfUp(BigInt(priced.discount_cents) * 10000n, subtotal);
  return formatScaled(hundredths, 2);
}

/**
 * All the discounts asked for (each line's, then the order's on what is left) as one
 * percent of the subtotal, two places rounded up ("10.00"): what approval limits compare
 * to, from the percents and not the rounded cents (server/domain/pricing.py
 * requested_discount_percent).
 */
export function requestedDiscountPercent(priced, orderDiscountPercent = "0") {
  const subtotal = BigInt(priced.subtotal_cents);
  if (subtotal === 0n) return "0.00";
  const lines = priced.lines.map((l) => ({ gross: BigInt(l.gross_cents), pct: parseDecimal(l.discount_percent ?? "0") }));
  const order = parseDecimal(orderDiscountPercent ?? "0");
  const scale = Math.max(order.scale, ...lines.map((l) => l.pct.scale));
  const whole = HUNDRED * pow10(scale);
  const at = (d) => d.n * pow10(scale - d.scale);
  const keptByLines = lines.reduce((sum, l) => sum + l.gross * (whole - at(l.pct)), 0n);
  const kept = keptByLines * (whole - at(order));
  return formatScaled(10000n - (10000n * kept) / (whole * whole * subtotal), 2);
}

/** a > b for two decimal strings (or whole numbers), exactly. */
export function decimalGreater(a, b) {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const scale = Math.max(x.scale, y.scale);
  return x.n * pow10(scale - x.scale) > y.n * pow10(scale - y.scale);
}

function formatScaled(n, scale) {
  const text = n.toString().padStart(scale + 1, "0");
  return scale ? `${text.slice(0, -scale)}.${text.slice(-scale)}` : text;
}

/** "12.34" from 1234 cents; "-0.05" from -5. Never goes through a float. */
export function formatCents(cents) {
  const big = BigInt(cents);
  const sign = big < 0n ? "-" : "";
  return sign + formatScaled(big < 0n ? -big : big, 2);
}

/**
 * A percent the rep typed, as the server will take it: at most two decimal places,
 * between 0 and 100. Returns {ok, value, message}; an empty entry means "0".
 */
export function readPercent(text) {
  const trimmed = String(text ?? "").trim().replace(",", ".");
  if (trimmed === "") return { ok: true, value: "0" };
  if (!/^\d+(\.\d{0,2})?$/.test(trimmed)) {
    return { ok: false, value: "0", message: "Use a number with at most two decimals, like 12.5" };
  }
  if (decimalGreater(trimmed, "100")) {
    return { ok: false, value: "0", message: "A discount cannot exceed 100%" };
  }
  return { ok: true, value: trimmed.endsWith(".") ? trimmed.slice(0, -1) : trimmed };
}

/** An amount the rep typed ("9.95", "9,95", "10") in whole cents; {ok, cents, message}. */
export function readAmountCents(text) {
  const trimmed = String(text ?? "").trim().replace(",", ".");
  if (trimmed === "") return { ok: true, cents: 0 };
  const match = /^(\d+)(?:\.(\d{0,2}))?$/.exec(trimmed);
  if (!match) return { ok: false, cents: 0, message: "Use an amount like 9.95" };
  const cents = BigInt(match[1]) * 100n + BigInt((match[2] ?? "").padEnd(2, "0"));
  return { ok: true, cents: toNumber(cents) };
}

// --- ordered quantities (server/domain/catalog.py) ----------------------------------------

/** null when the server will accept the quantity, else {code, message} as the server says. */
export function checkQuantity(quantity, { pack_size: packSize = 1, min_order_qty: minQty = 0 } = {}) {
  if (!Number.isInteger(quantity) || quantity < 1) {
    return { code: "quantity_not_positive", message: `quantity must be at least 1, got ${quantity}` };
  }
  if (quantity < minQty) {
    return { code: "below_minimum_quantity", message: `the minimum order quantity is ${minQty}, got ${quantity}` };
  }
  if (quantity % packSize) {
    return {
      code: "not_pack_multiple",
      message: `this product is sold in packs of ${packSize}; ${quantity} is not a multiple of ${packSize}`,
    };
  }
  return null;
}

/** The smallest quantity >= `quantity` the server accepts: where a stepper starts. */
export function roundToPack(quantity, packSize = 1, minQty = 0) {
  const pack = Math.max(1, packSize | 0);
  const wanted = Math.max(quantity | 0, minQty | 0, 1);
  return Math.ceil(wanted / pack) * pack;
}

/** The stepper's next value up or down: whole packs, never below the first valid one. */
export function stepQuantity(quantity, direction, packSize = 1, minQty = 0) {
  const pack = Math.max(1, packSize | 0);
  const first = roundToPack(1, pack, minQty);
  const current = roundToPack(quantity, pack, minQty);
  if (direction > 0) return current === quantity ? current + pack : current;
  return Math.max(first, current - pack);
}

// --- which price (server/domain/catalog.py lookup_price) ----------------------------------

export function priceListValidOn(list, on) {
  return (!list.valid_from || list.valid_from <= on) && (!list.valid_to || on <= list.valid_to);
}

function newest(lists) {
  // Highest version wins; the id only settles a misconfigured tie, as on the server.
  let best = null;
  for (const pl of lists) {
    if (!best || pl.version > best.version || (pl.version === best.version && pl.id > best.id)) best = pl;
  }
  return best;
}

function quoteFrom(list, item, productId, quantity) {
  let best = null;
  for (const [minQty, cents] of item.breaks ?? []) {
    if (minQty <= quantity && (!best || minQty > best[0])) best = [minQty, cents];
  }
  return {
    product_id: productId,
    unit_price_cents: best ? best[1] : item.unit_price_cents,
    price_list_id: list.id,
    price_list_code: list.code,
    price_list_version: list.version,
    break_min_qty: best ? best[0] : null,
  };
}

/**
 * The unit price of a product for a customer (or nobody) on a date ("YYYY-MM-DD").
 * The customer's own list, then the assigned (tier) list followed by code to its newest
 * valid version, then the base list; a product the newest version leaves out falls
 * through to the next level. Returns null when nothing prices it (the server's no_price).
 */
export function lookupPrice({ productId, quantity, on, customer = null, priceLists = [] }) {
  const valid = priceLists.filter((pl) => priceListValidOn(pl, on));
  const levels = [];
  if (customer) {
    levels.push(newest(valid.filter((pl) => pl.kind === "customer" && pl.customer_id === customer.id)));
    if (customer.price_list_id) {
      const assigned = priceLists.find((pl) => pl.id === customer.price_list_id);
      if (assigned) {
        levels.push(newest(valid.filter((pl) => pl.kind === assigned.kind && pl.code === assigned.code)));
      }
    }
  }
  levels.push(newest(valid.filter((pl) => pl.kind === "base")));
  for (const list of levels) {
    const item = list?.items?.[productId];
    if (item) return quoteFrom(list, item, productId, Math.max(1, quantity | 0));
  }
  return null;
}

// --- which tax rate (server/domain/catalog.py tax_rate_for) --------------------------------

const norm = (value) => String(value ?? "").trim().toUpperCase();

/** The rate (a fraction string) for a category at an address; a state rate beats the country's. */
export function taxRateFor({ taxCategory, address, taxRates = [], exempt = false }) {
  if (exempt || !address) return "0";
  const country = norm(address.country);
  const state = norm(address.state);
  // The server reads rates in id order and the first of duplicates wins.
  const rates = [...taxRates].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let countryRate = null;
  for (const rate of rates) {
    if (rate.tax_category !== taxCategory || norm(rate.country) !== country) continue;
    const rateState = norm(rate.state);
    if (rateState && rateState === state) return String(rate.rate);
    if (!rateState && countryRate === null) countryRate = String(rate.rate);
  }
  return countryRate ?? "0";
}

/**
 * Where the goods go, which decides the tax: the chosen ship-to, else the default (then
 * first) shipping address, else the billing address. A customer onboarded on this phone
 * and not yet synced still carries the shape it was created with (billing_address and
 * shipping_addresses), so that shape is read too.
 */
export function shipToAddress(customer, shipToAddressId = null) {
  if (!customer) return null;
  let addresses = customer.addresses;
  if (!Array.isArray(addresses)) {
    addresses = [
      ...(customer.billing_address ? [{ ...customer.billing_address, kind: "billing", is_default: true }] : []),
      ...(customer.shipping_addresses ?? []).map((a, i) => ({ ...a, kind: "shipping", is_default: i === 0 })),
    ];
  }
  // Default first, then by id (stable for addresses without one), as the server orders them.
  const ordered = addresses
    .map((a, i) => ({ a, i }))
    .sort((x, y) => (Number(!!y.a.is_default) - Number(!!x.a.is_default))
      || (x.a.id && y.a.id ? (x.a.id < y.a.id ? -1 : x.a.id > y.a.id ? 1 : 0) : x.i - y.i))
    .map(({ a }) => a);
  if (shipToAddressId) {
    const chosen = ordered.find((a) => a.id === shipToAddressId);
    if (chosen) return chosen;
  }
  return ordered.find((a) => a.kind === "shipping") ?? ordered.find((a) => a.kind === "billing") ?? null;
}

export const SHIPPING_TAX_CATEGORY = "shipping";

/**
 * Price an order or quote for a customer the way the server's price_for_customer does.
 * `requested` = [{product_id, quantity, discount_percent}]; `products` maps id -> product.
 * Lines the server could not price (unknown product, no price) are left out of `priced`
 * and listed in `problems`; quantity problems, inactive products and prices below the
 * floor are listed too, because the server refuses the whole order for any of them.
 */
export function priceForCustomer({
  customer, requested, products, priceLists = [], taxRates = [], on,
  orderDiscountPercent = "0", shippingCents = 0, shipToAddressId = null,
}) {
  const where = shipToAddress(customer, shipToAddressId);
  const exempt = !!customer?.tax_exempt;
  const rateFor = (category) => taxRateFor({ taxCategory: category, address: where, taxRates, exempt });
  const problems = [];
  const lines = [];
  requested.forEach((line, index) => {
    const lineId = String(index + 1);
    const product = products[line.product_id];
    if (!product) {
      problems.push({ line_id: lineId, code: "product_not_found", message: `line ${lineId}: no such product` });
      return;
    }
    if (product.active === false) {
      problems.push({ line_id: lineId, code: "product_inactive", message: `${product.name ?? product.id} is no longer sold` });
    }
    const quantityProblem = checkQuantity(line.quantity, product);
    if (quantityProblem) problems.push({ line_id: lineId, ...quantityProblem, message: `line ${lineId}: ${quantityProblem.message}` });
    const found = lookupPrice({ productId: product.id, quantity: line.quantity, on, customer, priceLists });
    if (!found) {
      problems.push({ line_id: lineId, code: "no_price", message: `line ${lineId}: ${product.name ?? product.id} has no price valid on ${on}` });
      return;
    }
    lines.push({
      line_id: lineId, product_id: product.id, quantity: line.quantity,
      unit_price_cents: found.unit_price_cents, discount_percent: line.discount_percent ?? "0",
      tax_rate: rateFor(product.tax_category), price_list_id: found.price_list_id,
      price_list_version: found.price_list_version,
    });
  });
  const priced = priceDocument({
    lines, order_discount_percent: orderDiscountPercent, shipping_cents: shippingCents,
    shipping_tax_rate: rateFor(SHIPPING_TAX_CATEGORY),
  });
  for (const line of priced.lines) {
    const floor = products[line.product_id]?.floor_price_cents ?? 0;
    // Net per unit keeps its fraction of a cent: 3 units for 299 cents is below a floor of 100.
    if (floor > 0 && line.quantity > 0 && BigInt(line.net_cents) < BigInt(floor) * BigInt(line.quantity)) {
      problems.push({ line_id: line.line_id, code: "price_below_floor", message: `line ${line.line_id} is priced below the floor price` });
    }
  }
  return { priced, problems, taxRates: Object.fromEntries(lines.map((l) => [l.line_id, l.tax_rate])) };
}

/**
 * Customers who may order (server/domain/orders.py, ORDERABLE_CUSTOMER_STATUSES): any
 * other status is refused; an on-hold customer's order waits for a manager's release.
 */
export const ORDERABLE_CUSTOMER_STATUSES = new Set(["active", "on_hold"]);

/**
 * Why the server would hold this order for credit (server/domain/orders.py), or null:
 * the account is on hold, or open orders plus this one exceed the credit limit (null: no
 * limit; 0: no credit). A customer made on this phone and not synced yet has no limit of
 * its own here: it gets `defaultLimitCents`, as the server will give it (server/domain/
 * credit.py); when that is not known either, the server decides. Receivables are not on
 * the phone; the server has none yet either.
 */
export function creditHoldReason(customer, orderTotalCents, defaultLimitCents = null) {
  if (!customer) return null;
  if (customer.status === "on_hold") return "the customer's account is on hold";
  const own = customer.credit_limit_cents;
  const chosen = own === undefined ? defaultLimitCents : own;
  if (chosen === null || chosen === undefined) return null;
  const limit = BigInt(chosen);
  const exposure = BigInt(customer.open_orders_cents ?? 0) + BigInt(orderTotalCents);
  return exposure > limit ? "open orders and this order exceed the customer's credit limit" : null;
}

/** Today's date in UTC as "YYYY-MM-DD", the day the server prices on. */
export function todayUtc(now = new Date()) {
  return now.toISOString().slice(0, 10);
}

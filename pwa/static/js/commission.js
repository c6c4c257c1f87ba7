// The phone's commission what-if: the same rules as server/domain/commission_plan.py
// (rate_for, commissionable_share, commission_on, split_cents, the SPIFFs and the tier
// effect of `estimate`), so "this order earns you" is what the server will credit for the
// lines as entered, including what the document does to the period's tiers and cap.
//
// Exact, as the server: percents are decimal strings read into integers and a scale,
// cents are BigInt, and a line's commission is rounded once, half up:
//   rate = the product's rate, else its category's, else the plan's default
//   eroded rate = rate x (1 - line discount / erosion limit), 0 at or above the limit
//   share = 1 on revenue; on margin max(0, net - cost x quantity) / net (1 where the cost
//     is unknown: the line falls back to revenue)
//   line commission = round(line net x eroded rate x share / 100)
//   SPIFF = amount x quantity (per unit) or amount once (per order), for a document
//     dated within the SPIFF's days.
//   split: each figure in parts by largest remainder, larger shares first; the rep's part
//   tier effect = the quota period's tier and cap adjustment with the document added,
//     less the one without it.
// Pure: no DOM, no storage, no clock unless a caller passes a day.

import { parseDecimal } from "./totals.js";

const pow10 = (scale) => 10n ** BigInt(scale);

/** round_half_up(num / den) for den > 0, away from zero for a negative num. */
function divHalfUp(num, den) {
  if (num < 0n) return -divHalfUp(-num, den);
  return (2n * num + den) / (2n * den);
}

/** The line's rate in percent as an exact fraction {num, den} of BigInts. */
export function rateFor(plan, productId, categoryId, discountPercent = "0") {
  const stated = plan.product_rates?.[productId] ?? plan.category_rates?.[categoryId] ?? plan.default_rate;
  const base = parseDecimal(stated, "rate");
  let num = base.n;
  let den = pow10(base.scale);
  const limitText = plan.erosion_limit;
  if (limitText !== null && limitText !== undefined) {
    const limit = parseDecimal(limitText, "erosion limit");
    const discount = parseDecimal(discountPercent || "0", "discount");
    if (limit.n > 0n && discount.n > 0n) {
      const limitScaled = limit.n * pow10(discount.scale);
      const discountScaled = discount.n * pow10(limit.scale);
      if (discountScaled >= limitScaled) return { num: 0n, den: 1n };
      num *= limitScaled - discountScaled;
      den *= limitScaled;
    }
  }
  return { num, den };
}

/** `rate` percent of `cents`, rounded once, half up: the server's commission_of. */
export function commissionOf(cents, rate) {
  return divHalfUp(BigInt(cents) * rate.num, 100n * rate.den);
}

/** What the line's rate applies to: "revenue" or "margin" (product, category, plan). */
export function paysOnFor(plan, productId, categoryId) {
  return plan.product_pays_on?.[productId] ?? plan.category_pays_on?.[categoryId] ?? plan.pays_on ?? "revenue";
}

/** The part {num, den} of a line's revenue its rate applies to: the server's
 * commissionable_share (the whole of it on revenue or when the cost is unknown). */
export function commissionableShare(plan, productId, categoryId, netCents, quantity, unitCostCents) {
  if (paysOnFor(plan, productId, categoryId) !== "margin") return { num: 1n, den: 1n };
  if (unitCostCents === null || unitCostCents === undefined) return { num: 1n, den: 1n };
  const net = BigInt(netCents);
  if (net <= 0n) return { num: 0n, den: 1n };
  let margin = net - BigInt(unitCostCents) * BigInt(quantity);
  if (margin < 0n) margin = 0n;
  return { num: margin, den: net };
}

/** `cents` split in parts of `percents` (decimal strings totalling 100) by largest
 * remainder, ties to the earlier part: the server's split_cents. */
export function splitCents(cents, percents) {
  const amount = BigInt(cents);
  const sign = amount < 0n ? -1n : 1n;
  const whole = amount < 0n ? -amount : amount;
  const exact = percents.map((p) => {
    const d = parseDecimal(p, "split percent");
    return { num: whole * d.n, den: 100n * pow10(d.scale) };
  });
  const parts = exact.map((x) => x.num / x.den);
  let left = whole - parts.reduce((a, c) => a + c, 0n);
  const remainder = exact.map((x) => ({ num: x.num % x.den, den: x.den }));
  const order = remainder.map((_, i) => i).sort((i, j) => {
    const a = remainder[i].num * remainder[j].den;
    const b = remainder[j].num * remainder[i].den;
    return a > b ? -1 : a < b ? 1 : i - j;
  });
  for (const i of order) {
    if (left <= 0n) break;
    parts[i] += 1n;
    left -= 1n;
  }
  return parts.map((x) => sign * x);
}

const frac = (text, field) => {
  const d = parseDecimal(text, field);
  return { num: d.n, den: pow10(d.scale) };
};
const cmp = (a, b) => {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
};

/** The plan's tiers from the lowest, with a band at 0 % (x1) when the lowest starts above. */
function bands(plan) {
  const tiers = (plan.tiers || []).map((t) => ({ from: frac(t.from_percent, "tier"), mult: frac(t.multiplier, "multiplier") }))
    .sort((a, b) => cmp(a.from, b.from));
  if (!tiers.length || tiers[0].from.num > 0n) tiers.unshift({ from: { num: 0n, den: 1n }, mult: { num: 1n, den: 1n } });
  return tiers;
}

/** The period's commission after tiers and cap: the server's tiered_commission_cents. */
export function tieredCents(plan, base, revenue, quota) {
  let total = base;
  const q = quota === null || quota === undefined ? 0n : BigInt(quota);
  if ((plan.tier_mode ?? "none") !== "none" && (plan.tiers || []).length && q !== 0n && revenue > 0n) {
    const all = bands(plan);
    if (plan.tier_mode === "retroactive") {
      // The highest band whose start (a percent of quota) the revenue has reached.
      const reached = all.filter((t) => revenue * 100n * t.from.den >= t.from.num * q);
      const m = reached[reached.length - 1].mult;
      total = divHalfUp(base * m.num, m.den);
    } else {
      // Each band's revenue at its multiplier, as one exact fraction num / den.
      let num = 0n;
      let den = 1n;
      all.forEach((band, i) => {
        const low = { num: q * band.from.num, den: 100n * band.from.den };
        const next = all[i + 1];
        const high = next ? { num: q * next.from.num, den: 100n * next.from.den } : null;
        const rev = { num: revenue, den: 1n };
        const top = high === null || cmp(rev, high) <= 0 ? rev : high;
        if (cmp(top, low) > 0) {
          const width = { num: top.num * low.den - low.num * top.den, den: top.den * low.den };
          const add = { num: width.num * band.mult.num, den: width.den * band.mult.den };
          num = num * add.den + add.num * den;
          den *= add.den;
        }
      });
      total = divHalfUp(base * num, den * revenue);
    }
  }
  if (plan.cap_cents !== null && plan.cap_cents !== undefined) {
    const cap = BigInt(plan.cap_cents);
    if (total > cap) total = cap;
  }
  return total;
}

/** What adding `addBase` commission and `addRevenue` revenue does to the quota period's
 * tier and cap adjustment: the server's tier_effect_cents. */
export function tierEffect(plan, base, revenue, quota, addBase, addRevenue) {
  const before = tieredCents(plan, base, revenue, quota) - base;
  const after = tieredCents(plan, base + addBase, revenue + addRevenue, quota) - (base + addBase);
  return after - before;
}

/** The split's percents, larger first then by rep, and the rep's place (-1: not theirs). */
function shareOf(splits, repId) {
  const ordered = [...splits].sort((a, b) => {
    const c = cmp(frac(b.percent, "split percent"), frac(a.percent, "split percent"));
    return c !== 0 ? c : a.rep_id < b.rep_id ? -1 : a.rep_id > b.rep_id ? 1 : 0;
  });
  return { percents: ordered.map((s) => s.percent), place: ordered.findIndex((s) => s.rep_id === repId) };
}

/** The plan's SPIFFs whose days include `on` ("YYYY-MM-DD"). */
export function spiffsInForce(plan, on) {
  return (plan.spiffs || []).filter((s) => s.starts_on <= on && on <= s.ends_on);
}

/**
 * What a document of `lines` dated `on` earns: `lines` = [{product_id, category_id,
 * quantity, net_cents, discount_percent, unit_cost_cents}]. Options: `splits`
 * ([{rep_id, percent}]) and `rep_id` for the rep's share; `standing` ({base_cents,
 * revenue_cents, quota_cents} of the rep's quota period so far) for the tier effect.
 * Returns {line_cents: [...], spiff_cents, tier_cents, total_cents} as Numbers.
 */
export function estimate(plan, lines, on, options = {}) {
  const { splits = [], rep_id: repId = "", standing = null } = options;
  const { percents, place } = splits.length ? shareOf(splits, repId) : { percents: [], place: 0 };
  const mine = (cents) => {
    if (!percents.length) return cents;
    return place < 0 ? 0n : splitCents(cents, percents)[place];
  };
  let revenue = 0n;
  const perLine = lines.map((line) => {
    const rate = rateFor(plan, line.product_id, line.category_id, line.discount_percent);
    const share = commissionableShare(plan, line.product_id, line.category_id, line.net_cents, line.quantity,
      line.unit_cost_cents);
    revenue += mine(BigInt(line.net_cents));
    return mine(divHalfUp(BigInt(line.net_cents) * rate.num * share.num, 100n * rate.den * share.den));
  });
  // Keyed as the server's ledger is (a line's unit SPIFFs, a product's order SPIFFs): a
  // split divides each key's figure.
  const keyed = new Map();
  const add = (key, cents) => keyed.set(key, (keyed.get(key) ?? 0n) + cents);
  for (const spiff of spiffsInForce(plan, on)) {
    const holding = lines.map((l, i) => [l, i]).filter(([l]) => l.product_id === spiff.product_id && l.quantity > 0);
    if (spiff.per === "unit") {
      for (const [line, i] of holding) add(`line:${i}`, BigInt(spiff.amount_cents) * BigInt(line.quantity));
    } else if (holding.length) {
      add(`order:${spiff.product_id}`, BigInt(spiff.amount_cents));
    }
  }
  let spiffs = 0n;
  for (const cents of keyed.values()) spiffs += mine(cents);
  const base = perLine.reduce((a, c) => a + c, 0n);
  let tier = 0n;
  if (standing) {
    tier = tierEffect(plan, BigInt(standing.base_cents), BigInt(standing.revenue_cents), standing.quota_cents,
      base, revenue);
  }
  return {
    line_cents: perLine.map(Number), spiff_cents: Number(spiffs), tier_cents: Number(tier),
    total_cents: Number(base + spiffs + tier),
  };
}

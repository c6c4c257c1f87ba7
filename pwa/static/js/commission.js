// The phone's commission what-if: the same rate rules as server/domain/commission.py
// (rate_for, commission_of, the SPIFFs of `estimate`), so "this order earns you" is what
// the server will credit for the lines as entered, before the period's tiers.
//
// Exact, as the server: percents are decimal strings read into integers and a scale,
// cents are BigInt, and a line's commission is rounded once, half up:
//   rate = the product's rate, else its category's, else the plan's default
//   eroded rate = rate x (1 - line discount / erosion limit), 0 at or above the limit
//   line commission = round(line net x eroded rate / 100)
//   SPIFF = amount x quantity (per unit) or amount once (per order), for a document
//     dated within the SPIFF's days.
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

/** The plan's SPIFFs whose days include `on` ("YYYY-MM-DD"). */
export function spiffsInForce(plan, on) {
  return (plan.spiffs || []).filter((s) => s.starts_on <= on && on <= s.ends_on);
}

/**
 * What a document of `lines` dated `on` earns: `lines` = [{product_id, category_id,
 * quantity, net_cents, discount_percent}]. Returns {line_cents: [...], spiff_cents,
 * total_cents} as Numbers.
 */
export function estimate(plan, lines, on) {
  const perLine = lines.map((line) =>
    commissionOf(line.net_cents, rateFor(plan, line.product_id, line.category_id, line.discount_percent)));
  let spiffs = 0n;
  for (const spiff of spiffsInForce(plan, on)) {
    const holding = lines.filter((l) => l.product_id === spiff.product_id && l.quantity > 0);
    if (spiff.per === "unit") {
      for (const line of holding) spiffs += BigInt(spiff.amount_cents) * BigInt(line.quantity);
    } else if (holding.length) {
      spiffs += BigInt(spiff.amount_cents);
    }
  }
  const total = perLine.reduce((a, c) => a + c, 0n) + spiffs;
  return { line_cents: perLine.map(Number), spiff_cents: Number(spiffs), total_cents: Number(total) };
}

// How fresh the phone's prices and stock are: the time of the last complete sync, in the
// phone's own time zone, with a hint once it is old enough that a price may have changed.

import { h } from "./dom.js";

export const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const day = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "09:14 today", "18:02 yesterday" or "3 Dec 09:14", in the phone's local time. */
export function localMoment(iso, now = new Date()) {
  const at = new Date(iso);
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(at, now)) return `${clock.format(at)} today`;
  if (sameDay(at, yesterday)) return `${clock.format(at)} yesterday`;
  return `${day.format(at)} ${clock.format(at)}`;
}

/** What `what` ("Prices", "Stock") is as of, and whether it is stale. */
export function asOf(what, iso, now = new Date()) {
  if (!iso) return { text: `${what}: not synced yet`, stale: true };
  return { text: `${what} as of ${localMoment(iso, now)}`, stale: now - new Date(iso) > STALE_AFTER_MS };
}

/** The freshness line shown above prices and stock (catalog and builders). */
export function freshnessLine(iso, now = new Date()) {
  const prices = asOf("Prices", iso, now);
  const stock = asOf("Stock", iso, now);
  const stale = prices.stale
    ? h("strong", { class: "stale" }, iso ? " Over a day old: sync before you promise a price or a date." : " Sync to load them.")
    : null;
  return h("span", { class: "freshness", dataset: { stale: String(prices.stale) } }, `${prices.text} · ${stock.text}.`, stale);
}

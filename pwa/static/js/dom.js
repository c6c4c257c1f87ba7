// Building DOM from data with text nodes only, so nothing a user typed is ever parsed as HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function replace(target, ...children) {
  const el = typeof target === "string" ? document.getElementById(target) : target;
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export function param(name) {
  return new URLSearchParams(location.search).get(name);
}

const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

/** Cents (an integer) as money; the division only formats, it never feeds a calculation. */
export function formatCents(cents, currency = "USD") {
  if (cents === null || cents === undefined) return "—";
  const fmt = currency === "USD" ? money : new Intl.NumberFormat("en-US", { style: "currency", currency });
  return fmt.format(Number(cents) / 100);
}

export function formatWhen(iso) {
  if (!iso) return "never";
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** Re-runs `render` whenever the local data or the outbox changes. */
export function live(render, events = ["fs:data", "fs:outbox", "fs:user"]) {
  let queued = false;
  const run = () => {
    if (queued) return;
    queued = true;
    queueMicrotask(async () => {
      queued = false;
      try {
        await render();
      } catch (err) {
        if (!String(err.message).includes("No user")) console.error(err);
      }
    });
  };
  for (const e of events) window.addEventListener(e, run);
  run();
}

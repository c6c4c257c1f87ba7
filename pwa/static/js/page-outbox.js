// The outbox: each submission with its state and, once answered, the server's verdict,
// what the rep can do about a rejection, and the server's totals beside the phone's.

import { formatCents, formatWhen, h, live, replace } from "./dom.js";
import { listItems } from "./outbox.js";
import { withCurrentVerdicts } from "./outbox-view.js";
import { syncNow } from "./sync.js";

const BADGE = { waiting: "warn", sending: "warn", accepted: "ok", approval: "warn", rejected: "bad" };

function totals(item) {
  const phone = item.phone_totals?.total_cents ?? null;
  const server = item.outcome?.result?.totals?.total_cents ?? item.outcome?.result?.total_cents ?? null;
  if (phone === null && server === null) return null;
  if (server === null || phone === null || Number(phone) === Number(server)) {
    return h("p", { class: "muted" }, `Total ${formatCents(server ?? phone)}`);
  }
  return h("p", { class: "repriced" }, h("strong", {}, "Repriced by the server: "),
    `your total ${formatCents(phone)}, server total ${formatCents(server)}`);
}

const EARNED_WHEN = { invoiced: "when it is invoiced", paid: "as it is paid" };

/** What the server credited the rep for a placed order, beside the builder's what-if. */
function commission(item) {
  const credited = item.outcome?.result?.commission;
  if (!credited) return null;
  const estimated = item.phone_commission_cents;
  const beside = estimated === null || estimated === undefined ? ""
    : ` · the builder estimated ≈ ${formatCents(estimated)}`;
  if (credited.basis !== "booked") {
    return h("p", { class: "commission-credited", dataset: { cents: "0" } },
      `Commission: earned ${EARNED_WHEN[credited.basis] || "later"}${beside}`);
  }
  const differs = estimated !== null && estimated !== undefined && Number(estimated) !== Number(credited.credited_cents);
  return h("p", { class: "commission-credited", dataset: { cents: String(credited.credited_cents) } },
    h("strong", {}, `Commission credited: ${formatCents(credited.credited_cents)}`), beside,
    differs ? h("span", { class: "muted block" }, "The server’s figure stands: tier bonuses and caps settle when the month is approved.") : null);
}

const LINKS = {
  customer: (id) => `/app/customers/view?id=${encodeURIComponent(id)}`,
  order: (id) => `/app/orders?id=${encodeURIComponent(id)}`,
};

function reasons(item) {
  // Approval reasons of an order, or the detailed reasons of a rejection.
  const list = item.outcome?.result?.approval_reasons || item.outcome?.result?.reasons || [];
  if (!list.length) return null;
  return h("ul", { class: "reasons" }, list.map((r) => h("li", {}, r.message || r.code || String(r))));
}

function row({ item, verdict: v }) {
  const link = LINKS[item.type.split(".")[0]];
  return h("li", { class: "pad outbox-item", dataset: { state: item.state, verdict: v.kind } },
    h("div", { class: "row-between" }, link ? h("a", { href: link(item.entity_id) }, h("strong", {}, item.label)) : h("strong", {}, item.label),
      h("span", { class: `badge ${BADGE[v.kind]}` }, v.text)),
    v.history ? h("p", { class: "muted history" }, v.history) : null,
    v.number ? h("p", { class: "number" }, v.number) : null,
    v.kind === "approval" ? h("p", { class: "muted" }, "Your manager has to approve it before it goes ahead.") : null,
    v.reason ? h("p", { class: "reason" }, v.reason) : null,
    reasons(item),
    v.hint ? h("p", { class: "muted" }, `What you can do: ${v.hint}`) : null,
    totals(item),
    commission(item),
    item.state !== "done" && item.last_error ? h("p", { class: "muted" }, `Last try: ${item.last_error}`) : null,
    h("p", { class: "muted small" }, `Submitted ${formatWhen(item.created_at)}`));
}

async function render() {
  const items = await withCurrentVerdicts((await listItems()).reverse());
  replace("outbox-items", items.length ? items.map(row) : [h("li", { class: "pad muted" }, "Nothing submitted on this phone yet.")]);
}

document.getElementById("outbox-sync").addEventListener("click", () => syncNow());
live(render);

// Orders from the phone's store: the list, and one order (?id=) with its status,
// fulfilment and billing states, lines, shipments with tracking, invoices with their open
// balance, returns, totals and timeline.

import { formatCents, formatWhen, h, live, param, replace } from "./dom.js";
import { allEntities, getEntity } from "./store.js";
import { listItems } from "./outbox.js";
import { verdictOf } from "./outbox-core.js";

const id = param("id");
const WORDS = { pending_approval: "Needs approval" };

function label(value) {
  if (!value) return "—";
  return WORDS[value] || value.charAt(0).toUpperCase() + value.slice(1).replace(/_/g, " ");
}

async function waitingOrders() {
  return (await listItems()).filter((i) => i.type.startsWith("order.place") && i.state !== "done");
}

// The list's filters, kept in the address (?status=&customer_id=) so a link can open them.
const filters = { status: param("status") || "", customer: param("customer_id") || "" };

function filterSelect(id, text, value, options, key) {
  const select = h("select", { id }, h("option", { value: "" }, `All ${text}`),
    options.map(([v, shown]) => h("option", { value: v }, shown)));
  select.value = value;
  select.addEventListener("change", () => {
    filters[key] = select.value;
    const q = new URLSearchParams(Object.entries({ status: filters.status, customer_id: filters.customer }).filter(([, v]) => v));
    history.replaceState(null, "", `/app/orders${q.size ? `?${q}` : ""}`);
    renderList(document.getElementById("orders-view")).then(() => document.getElementById(id)?.focus());
  });
  return [h("label", { for: id }, text.charAt(0).toUpperCase() + text.slice(1)), select];
}

async function renderList(root) {
  const [orders, waiting] = await Promise.all([allEntities("order"), waitingOrders()]);
  orders.sort((a, b) => String(b.placed_at).localeCompare(String(a.placed_at)));
  const statuses = [...new Set(orders.map((o) => o.status))].sort().map((v) => [v, label(v)]);
  const customers = [...new Map(orders.map((o) => [o.customer_id, o.customer_name || "Customer"]))]
    .sort((a, b) => a[1].localeCompare(b[1]));
  const shown = orders.filter((o) => (!filters.status || o.status === filters.status)
    && (!filters.customer || o.customer_id === filters.customer));
  replace(root, h("h1", {}, "Orders"),
    waiting.length ? h("p", {}, h("a", { href: "/app/outbox" }, `${waiting.length} waiting to sync`)) : null,
    h("div", { class: "pair filters" },
      h("div", {}, filterSelect("filter-status", "statuses", filters.status, statuses, "status")),
      h("div", {}, filterSelect("filter-customer", "customers", filters.customer, customers, "customer"))),
    h("p", { class: "muted", id: "orders-count" }, shown.length === 1 ? "1 order" : `${shown.length} orders`),
    shown.length ? h("ul", { class: "list" }, shown.map((o) => h("li", {},
      h("a", { href: `/app/orders?id=${encodeURIComponent(o.id)}` },
        h("div", { class: "row-between" }, h("strong", {}, o.number), h("span", { class: "badge" }, label(o.status))),
        h("div", {}, o.customer_name),
        h("div", { class: "muted" }, `${formatCents(o.total_cents)} · fulfilment ${label(o.fulfilment_status)} · billing ${label(o.billing_status)}`)))))
      : h("p", { class: "muted" }, orders.length ? "No orders match these filters." : "No orders on this phone yet."));
}

function formatDay(iso) {
  if (!iso) return "";
  // A calendar date, not a moment: shown as it is, with no time zone shift.
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(undefined, { dateStyle: "medium" });
}

/** The order's shipments as pulled with it: what left, with whom, and where to follow it. */
function shipmentList(order) {
  const shipments = order.shipments || [];
  if (!shipments.length) return null;
  const names = Object.fromEntries((order.lines || []).map((l) => [l.id, l.name || l.sku || l.product_id]));
  return [
    h("h2", {}, "Shipments"),
    h("ul", { class: "list", "data-testid": "shipments" }, shipments.map((s) => h("li", { class: "pad shipment" },
      h("div", { class: "row-between" }, h("strong", {}, s.number), h("span", { class: "badge" }, label(s.status))),
      s.carrier ? h("div", {}, s.carrier) : null,
      // A block link: the whole row is the tap target for following the parcel.
      s.tracking_number ? (s.tracking_url
        ? h("a", { class: "tracking", href: s.tracking_url, target: "_blank", rel: "noopener", "data-testid": "tracking" }, s.tracking_number)
        : h("div", { class: "tracking", "data-testid": "tracking" }, s.tracking_number)) : null,
      h("div", { class: "muted" }, s.delivered_on ? `Delivered ${formatDay(s.delivered_on)}`
        : s.shipped_at ? `Shipped ${formatWhen(s.shipped_at)}` : "Packed, not yet left"),
      h("ul", { class: "reasons" }, Object.entries(s.lines || {}).map(([lineId, units]) =>
        h("li", {}, `${units} × ${names[lineId] || "item"}`)))))),
  ];
}

/** What the customer was billed for the order and what is still open on each invoice. */
function invoiceList(order) {
  const invoices = order.invoices || [];
  if (!invoices.length) return null;
  return [
    h("h2", {}, "Invoices"),
    h("ul", { class: "list", "data-testid": "invoices" }, invoices.map((i) => h("li", { class: "pad invoice" },
      h("div", { class: "row-between" }, h("strong", {}, i.number),
        h("span", { class: `badge ${i.overdue ? "warn" : ""}` }, i.overdue ? "Overdue" : label(i.status))),
      h("div", { class: "row-between" }, h("span", {}, `Total ${formatCents(i.total_cents)}`),
        h("span", { "data-testid": "balance" }, i.balance_cents > 0 ? `Open ${formatCents(i.balance_cents)}` : "Paid")),
      h("div", { class: "muted" }, `Issued ${formatDay(i.issued_on)} · due ${formatDay(i.due_on)}`)))),
  ];
}

/** Goods coming back, and the credit note that followed once they arrived. */
function returnList(order) {
  const returns = order.returns || [];
  if (!returns.length) return null;
  const names = Object.fromEntries((order.lines || []).map((l) => [l.id, l.name || l.sku || l.product_id]));
  return [
    h("h2", {}, "Returns"),
    h("ul", { class: "list", "data-testid": "returns" }, returns.map((r) => h("li", { class: "pad" },
      h("div", { class: "row-between" }, h("strong", {}, r.number), h("span", { class: "badge" }, label(r.status))),
      h("div", { class: "muted" }, r.reason),
      r.credit_note_number ? h("div", {}, `Credit note ${r.credit_note_number}`) : null,
      h("ul", { class: "reasons" }, Object.entries(r.lines || {}).map(([lineId, units]) =>
        h("li", {}, `${units} × ${names[lineId] || "item"}`)))))),
  ];
}

async function renderOne(root) {
  const order = await getEntity("order", id);
  if (!order) {
    const item = (await listItems()).find((i) => i.entity_id === id);
    const v = item ? verdictOf(item) : null;
    replace(root, h("h1", {}, item ? item.label : "Order not on this phone"),
      v ? h("p", {}, h("span", { class: "badge warn" }, v.text), v.reason ? ` ${v.reason}` : "") : h("p", {}, "It may not have synced yet."),
      h("a", { class: "button", href: "/app/orders" }, "All orders"));
    return;
  }
  document.title = `${order.number} · Fieldsales`;
  const t = order.totals || {};
  // The latest amendment this phone queued for the order, and what the server said of it.
  const amendments = (await listItems()).filter((i) => i.entity_id === id && i.type.startsWith("order.amend"));
  const amendment = amendments.length ? amendments[amendments.length - 1] : null;
  const verdict = amendment ? verdictOf(amendment) : null;
  const waiting = verdict && (verdict.kind === "waiting" || verdict.kind === "sending");
  replace(root,
    h("h1", {}, `Order ${order.number}`),
    h("p", {}, h("a", { class: "tap-link", href: `/app/customers/view?id=${encodeURIComponent(order.customer_id)}` }, order.customer_name || "Customer")),
    h("dl", { class: "facts" },
      h("dt", {}, "Status"), h("dd", {}, label(order.status)),
      h("dt", {}, "Fulfilment"), h("dd", {}, label(order.fulfilment_status)),
      h("dt", {}, "Billing"), h("dd", {}, label(order.billing_status)),
      h("dt", {}, "Placed"), h("dd", {}, formatWhen(order.placed_at)),
      h("dt", {}, "Revision"), h("dd", { "data-testid": "revision" }, String(order.revision ?? 1)),
      order.po_number ? [h("dt", {}, "PO"), h("dd", {}, order.po_number)] : null,
      order.scheduled_date ? [h("dt", {}, "Scheduled"), h("dd", {}, formatDay(order.scheduled_date))] : null,
      order.supplier_reference ? [h("dt", {}, "Supplier ref"), h("dd", {}, order.supplier_reference)] : null,
      (order.approval_reasons || []).length ? [h("dt", {}, "Approval"), h("dd", {}, order.approval_reasons.map((r) => r.message || r.code || String(r)).join("; "))] : null),
    verdict ? h("p", { class: "amendment", "data-testid": "amend-verdict" }, "Amendment: ",
      h("span", { class: `badge ${verdict.kind === "rejected" ? "warn" : ""}` }, verdict.text),
      verdict.reason ? ` ${verdict.reason}` : "", verdict.hint ? h("span", { class: "muted block" }, verdict.hint) : "") : null,
    h("div", { class: "actions" },
      order.amendable && !waiting
        ? h("a", { class: "button", href: `/app/orders/new?amend=${encodeURIComponent(order.id)}` }, "Amend order") : null,
      h("a", { class: "button", href: `/app/orders/new?reorder=${encodeURIComponent(order.id)}` }, "Order again")),
    h("h2", {}, "Lines"),
    h("ul", { class: "list" }, (order.lines || []).map((l) => h("li", { class: "pad" },
      h("div", { class: "row-between" }, h("span", {}, `${l.quantity} × ${l.name || l.sku || l.product_id}`),
        h("span", {}, formatCents(l.total_cents ?? l.net_cents))),
      l.quantity_backordered ? h("div", { class: "muted" }, `${l.quantity_backordered} on backorder`
        + (l.expected_on ? `, expected ${formatDay(l.expected_on)}` : "")) : null,
      l.quantity_shipped ? h("div", { class: "muted" }, `${l.quantity_shipped} shipped`
        + (l.quantity_delivered ? `, ${l.quantity_delivered} delivered` : "")) : null))),
    shipmentList(order),
    invoiceList(order),
    returnList(order),
    h("dl", { class: "facts totals" },
      h("dt", {}, "Subtotal"), h("dd", {}, formatCents(t.subtotal_cents)),
      t.discount_cents ? [h("dt", {}, "Discount"), h("dd", {}, `− ${formatCents(t.discount_cents)}`)] : null,
      h("dt", {}, "Tax"), h("dd", {}, formatCents(t.tax_cents)),
      h("dt", {}, "Shipping"), h("dd", {}, formatCents(t.shipping_cents)),
      h("dt", {}, "Total"), h("dd", {}, h("strong", {}, formatCents(order.total_cents)))),
    h("h2", {}, "Timeline"),
    h("ol", { class: "timeline" }, (order.events || []).map((e) => h("li", {},
      h("strong", {}, label(e.to_state || e.action)), ` · ${formatWhen(e.at)}`,
      e.reason ? h("div", { class: "muted" }, e.reason) : null))),
    h("a", { class: "button", href: "/app/orders" }, "All orders"));
}

live(() => {
  const root = document.getElementById("orders-view");
  return id ? renderOne(root) : renderList(root);
});

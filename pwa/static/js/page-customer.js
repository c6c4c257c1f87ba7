// A customer from the phone's store: contacts, addresses, recent orders, and, for one
// onboarded on this phone, what the server said about it.

import { formatCents, formatWhen, h, live, param, replace } from "./dom.js";
import { confirmNew, refusedCreate, useExisting } from "./duplicate-resolution.js";
import { favouriteIds, starButton } from "./favourites.js";
import { itemsFor } from "./outbox.js";
import { verdictOf } from "./outbox-core.js";
import { allEntities, getEntity, getMeta, setMeta } from "./store.js";
import { ORDERABLE_CUSTOMER_STATUSES } from "./totals.js";

const id = param("id");
const STATUS = { draft: "Draft", pending_approval: "Needs approval", approved: "Approved", rejected: "Rejected", cancelled: "Cancelled" };

function label(value) {
  return STATUS[value] || String(value || "").replace(/_/g, " ");
}

function syncState(items) {
  if (!items.length) return null;
  const item = items[items.length - 1];
  const v = verdictOf(item);
  const cls = v.kind === "accepted" ? "ok" : v.kind === "rejected" ? "bad" : "warn";
  return h("div", { class: `sync-state ${cls}`, id: "customer-sync" },
    h("span", { class: `badge ${cls}` }, v.text), v.number ? ` ${v.number}` : "",
    v.reason ? h("p", {}, v.reason) : null, v.hint ? h("p", { class: "muted" }, v.hint) : null);
}

function addressLines(c) {
  const list = c.addresses || [
    ...(c.billing_address ? [{ ...c.billing_address, kind: "billing" }] : []),
    ...(c.shipping_addresses || []).map((a) => ({ ...a, kind: "shipping" })),
  ];
  return list.map((a) => {
    const text = [a.street, [a.postal_code, a.city].filter(Boolean).join(" "), [a.state, a.country].filter(Boolean).join(", ")]
      .filter(Boolean).join(", ");
    return h("li", { class: "pad" }, h("strong", {}, a.kind === "billing" ? "Billing" : "Shipping"), h("br"), text,
      text ? h("div", {}, h("a", { class: "tap-link", href: mapsUrl(text), rel: "noopener", target: "_blank" }, "Open in maps")) : null);
  });
}

/** The phone's maps app opens this address (Google Maps' universal link: the app where it
 * is installed, the web otherwise). */
function mapsUrl(address) {
  return `https://www.google.com/maps/search/?api=1&query=${encodeURIComponent(address)}`;
}

function contactLines(c) {
  return (c.contacts || []).map((p) => h("li", { class: "pad" }, h("strong", {}, p.name), p.role ? ` · ${p.role}` : "",
    p.email ? h("div", {}, h("a", { class: "tap-link", href: `mailto:${p.email}` }, `E-mail ${p.email}`)) : null,
    p.phone ? h("div", {}, h("a", { class: "tap-link", href: `tel:${p.phone.replace(/[^0-9+]/g, "")}` }, `Call ${p.phone}`)) : null));
}

/** Why there is no "New order" button: the server takes orders only for customers whose
 * status allows it (server/domain/orders.py), so the phone offers none bound to be refused. */
function orderRule(customer) {
  if (ORDERABLE_CUSTOMER_STATUSES.has(customer.status)) return null;
  const why = customer.status === "prospect"
    ? "This customer is a prospect: orders are taken once the back office has activated it (credit check and terms). Save a quote now; it converts to an order after activation."
    : `This customer is ${label(customer.status)}: no new orders are taken. Ask your manager.`;
  return h("p", { class: "warning", id: "order-rule" }, why);
}

/** A customer refused as a possible duplicate: the candidates, and the two ways out. */
function duplicatePanel(item, customer) {
  const candidates = item.outcome.result?.candidates || [];
  const confirm = h("button", { type: "button", class: "primary", id: "confirm-new" }, "It is a new customer: create it");
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    const newId = await confirmNew(item, customer);
    location.replace(`/app/customers/view?id=${encodeURIComponent(newId)}`);
  });
  return h("section", { class: "sync-state bad", id: "duplicate-resolution", "aria-labelledby": "dup-h" },
    h("h2", { id: "dup-h" }, "Not created: it may already exist"),
    h("p", {}, "The server holds customers like this one. Use the existing customer (orders and quotes waiting for this one move to it), or confirm this is a new customer."),
    h("ul", { class: "list" }, candidates.length ? candidates.map((c) => {
      const use = c.id ? h("button", { type: "button", class: "use-existing" }, "Use this customer") : null;
      use?.addEventListener("click", async () => {
        use.disabled = true;
        await useExisting(item, c);
        location.assign(`/app/customers/view?id=${encodeURIComponent(c.id)}`);
      });
      return h("li", { class: "pad candidate" },
        h("strong", {}, c.legal_name || "A customer outside your territories"), c.number ? ` ${c.number}` : "", c.city ? ` · ${c.city}` : "",
        h("div", { class: "muted" }, `Matches on ${(c.reasons || []).join(", ").replace(/_/g, " ")}`), use);
    }) : h("li", { class: "pad muted" }, "The server named no customer you may see: ask your manager, or confirm it is new.")),
    confirm);
}

const OPEN_ORDER = new Set(["submitted", "pending_approval", "credit_hold", "confirmed", "in_fulfilment"]);
const OPEN_QUOTE = new Set(["draft", "sent", "accepted"]);

/** What the rep needs before a visit: credit standing, open orders and quotes, backorders. */
function beforeVisit(customer, orders, quotes) {
  const open = orders.filter((o) => OPEN_ORDER.has(o.status));
  const openCents = open.reduce((sum, o) => sum + Number(o.total_cents || 0), 0);
  const backordered = open.flatMap((o) => o.lines || []).filter((l) => Number(l.quantity_backordered || 0) > 0);
  const limit = customer.credit_limit_cents;
  const credit = customer.status === "on_hold" ? "Account on hold: orders wait for a manager"
    : limit === null || limit === undefined ? "No credit limit"
      : `${formatCents(Math.max(0, limit - Number(customer.open_orders_cents || 0)))} available of ${formatCents(limit)}`;
  return h("dl", { class: "facts", id: "before-visit" },
    h("dt", {}, "Credit"), h("dd", {}, credit),
    h("dt", {}, "Open orders"), h("dd", {}, open.length ? `${open.length} · ${formatCents(openCents)}` : "None"),
    h("dt", {}, "Open quotes"), h("dd", {}, String(quotes.filter((q) => OPEN_QUOTE.has(q.status)).length || "None")),
    h("dt", {}, "Backorders"), h("dd", {}, backordered.length ? `${backordered.length} ${backordered.length === 1 ? "line" : "lines"}` : "None"));
}

/** The customers the rep opened last, newest first, for the home page. */
async function remember(customerId) {
  const recent = (await getMeta("recent_customers")) || [];
  if (recent[0] === customerId) return;
  await setMeta("recent_customers", [customerId, ...recent.filter((x) => x !== customerId)].slice(0, 5));
}

async function render() {
  const root = document.getElementById("customer");
  const [customer, items] = await Promise.all([id ? getEntity("customer", id) : undefined, id ? itemsFor(id) : []]);
  if (!customer) {
    replace(root, h("h1", { id: "customer-name" }, "Customer not on this phone"),
      h("p", {}, "It may not have synced yet, or it is not yours to see."),
      h("a", { class: "button", href: "/app/customers" }, "Back to customers"));
    return;
  }
  document.title = `${customer.legal_name} · Fieldsales`;
  await remember(id);
  const allOrders = (await allEntities("order")).filter((o) => o.customer_id === id)
    .sort((a, b) => String(b.placed_at).localeCompare(String(a.placed_at)));
  const orders = allOrders.slice(0, 10);
  const quotes = (await allEntities("quote")).filter((x) => x.customer_id === id);
  const q = encodeURIComponent(id);
  const refused = refusedCreate(items);
  const favourite = (await favouriteIds()).includes(id);
  replace(root,
    h("h1", { id: "customer-name" }, customer.legal_name),
    refused ? null : starButton(customer, favourite),
    h("p", { class: "muted" }, [customer.number || (refused ? "Not on the server" : "Waiting to sync"), customer.trading_name, label(customer.status)].filter(Boolean).join(" · ")),
    refused ? duplicatePanel(refused, customer) : syncState(items),
    refused ? null : orderRule(customer),
    refused ? null : h("div", { class: "actions" },
      ORDERABLE_CUSTOMER_STATUSES.has(customer.status)
        ? h("a", { class: "button", href: `/app/orders/new?customer_id=${q}` }, "New order") : null,
      h("a", { class: "button", href: `/app/quotes/new?customer_id=${q}` }, "New quote"),
      h("a", { class: "button", href: `/app/catalog?customer_id=${q}` }, "Prices")),
    refused ? null : [h("h2", {}, "Before the visit"), beforeVisit(customer, allOrders, quotes)],
    h("h2", {}, "Contacts"),
    h("ul", { class: "list" }, contactLines(customer).length ? contactLines(customer) : h("li", { class: "pad muted" }, "No contacts.")),
    h("h2", {}, "Addresses"),
    h("ul", { class: "list" }, addressLines(customer)),
    h("h2", {}, "Recent orders"),
    allOrders.length > orders.length
      ? h("p", {}, h("a", { class: "tap-link", href: `/app/orders?customer_id=${q}` }, `All ${allOrders.length} orders`)) : null,
    h("ul", { class: "list" }, orders.length ? orders.map((o) => h("li", {},
      h("a", { href: `/app/orders?id=${encodeURIComponent(o.id)}` }, h("strong", {}, o.number), " ",
        h("span", { class: "badge" }, label(o.status)), " ", formatCents(o.total_cents),
        h("div", { class: "muted" }, `Placed ${formatWhen(o.placed_at)} · fulfilment ${label(o.fulfilment_status)} · billing ${label(o.billing_status)}`))))
      : h("li", { class: "pad muted" }, "No orders yet.")),
    customer.notes ? [h("h2", {}, "Notes"), h("p", {}, customer.notes)] : null);
}

live(render);

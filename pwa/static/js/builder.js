// The quote and order builder (/app/orders/new, /app/quotes/new). Everything it shows comes
// from the phone's store, so it works with no signal; totals are computed by totals.js
// with the server's rules on every change; a submission goes into the outbox, online and
// offline alike, and the outbox page shows the server's verdict when it comes.

import { api } from "./api.js";
import { estimate, paysOnFor } from "./commission.js";
import { formatCents as money, h, replace } from "./dom.js";
import { freshnessLine } from "./freshness.js";
import { newId } from "./ids.js";
import { searchCustomers, splitWords } from "./search.js";
import { enqueue } from "./outbox.js";
import { allEntities, currentUser, getEntity, getMeta, setMeta } from "./store.js";
import {
  ORDERABLE_CUSTOMER_STATUSES, creditHoldReason, decimalGreater, lookupPrice, priceForCustomer,
  readAmountCents, readPercent, requestedDiscountPercent, roundToPack, stepQuantity, todayUtc,
} from "./totals.js";

const LIMIT_KEY = "discount_limit_percent";
const CREDIT_KEY = "default_credit_limit_cents";
const MAX_RESULTS = 20;

const $ = (id) => document.getElementById(id);
const root = $("builder");
const mode = root.dataset.mode === "quote" ? "quote" : "order";

// /app/orders/new?amend=ORDER_ID opens the builder on a placed order's lines: the result is
// queued as an `order.amend` of the revision this phone last pulled.
const amendId = mode === "order" ? new URLSearchParams(location.search).get("amend") : null;
// /app/orders/new?reorder=ORDER_ID starts a new order with a past order's products and
// quantities, at today's prices.
const reorderId = mode === "order" ? new URLSearchParams(location.search).get("reorder") : null;

const state = {
  customers: [], products: {}, priceLists: [], taxRates: [], limit: null, defaultCreditLimit: null,
  customer: null, lines: [], on: todayUtc(), amending: null, plan: null,
};

const customerName = (c) => c.trading_name || c.legal_name || "Unnamed customer";
const fold = (text) => String(text ?? "").toLocaleLowerCase();

// --- loading -----------------------------------------------------------------------------

async function loadLimit() {
  state.limit = currentUser()?.discount_limit_percent ?? (await getMeta(LIMIT_KEY)) ?? null;
  state.defaultCreditLimit = currentUser()?.default_credit_limit_cents ?? (await getMeta(CREDIT_KEY)) ?? null;
  if (!navigator.onLine) return;
  try {
    const me = await api("/api/auth/me");
    if (me && me.discount_limit_percent !== undefined) {
      state.limit = me.discount_limit_percent;
      await setMeta(LIMIT_KEY, state.limit);
    }
    if (me && me.default_credit_limit_cents !== undefined) {
      state.defaultCreditLimit = me.default_credit_limit_cents;
      await setMeta(CREDIT_KEY, state.defaultCreditLimit);
    }
  } catch {
    // Offline or signed out: the limit last seen on this phone still applies.
  }
}

async function readStore() {
  const user = currentUser();
  const [customers, products, priceLists, taxRates, commission] = await Promise.all([
    allEntities("customer"), allEntities("product"), allEntities("price_list"), allEntities("tax_rate"),
    user ? getEntity("commission_summary", user.id) : null,
  ]);
  // The plan in force when the summary was last pulled: the what-if works offline from it,
  // with the rep's quota period so far for the tier effect (only while it is this month's).
  state.plan = commission?.plan ?? null;
  state.standing = commission && commission.period === state.on.slice(0, 7)
    ? { base_cents: commission.quota_base_cents ?? 0, revenue_cents: commission.quota_revenue_cents ?? 0,
      quota_cents: commission.quota_cents ?? null }
    : null;
  state.customers = customers.sort((a, b) => customerName(a).localeCompare(customerName(b)));
  state.products = Object.fromEntries(products.map((p) => [p.id, p]));
  state.priceLists = priceLists;
  state.taxRates = taxRates;
  replace("builder-freshness", freshnessLine(await getMeta("last_sync_at")));
}

async function load() {
  if (!currentUser()) {
    $("builder-loading").replaceChildren("Sign in once with a connection to use the app here. ",
      h("a", { href: "/login" }, "Sign in"));
    return;
  }
  await readStore();
  await loadLimit();
  if (amendId) {
    await loadAmendment();
    return;
  }
  const past = reorderId ? await getEntity("order", reorderId) : null;
  const wanted = past?.customer_id || new URLSearchParams(location.search).get("customer_id");
  const preselected = wanted && state.customers.find((c) => c.id === wanted);
  $("builder-loading").hidden = true;
  $("builder-form").hidden = false;
  root.setAttribute("aria-busy", "false");
  if (wanted && !preselected) {
    $("builder-loading").hidden = false;
    $("builder-loading").textContent = "That customer is not on this phone yet: pick one below.";
  }
  chooseCustomer(preselected || null);
  if (past) startFrom(past);
}

/** The past order's lines whose product is still sold, with their quantities. */
function startFrom(past) {
  const lines = past.lines || [];
  const sold = lines.filter((l) => state.products[l.product_id] && state.products[l.product_id].active !== false);
  state.lines = sold.map((l) => ({ key: newId(), product_id: l.product_id, quantity: l.quantity, discount_text: "" }));
  const left = lines.length - sold.length;
  $("builder-loading").hidden = false;
  $("builder-loading").textContent = `Started from order ${past.number}, at today's prices.`
    + (left ? ` ${left === 1 ? "1 product is" : `${left} products are`} no longer sold and left out.` : "");
  renderLines();
  update();
}

async function loadAmendment() {
  const order = await getEntity("order", amendId);
  if (!order || !order.amendable) {
    $("builder-loading").replaceChildren(order ? `Order ${order.number} can no longer be amended.` : "That order is not on this phone.",
      " ", h("a", { href: "/app/orders" }, "All orders"));
    return;
  }
  state.amending = order;
  document.title = `Amend ${order.number} · Fieldsales`;
  root.querySelector("h1").textContent = `Amend order ${order.number}`;
  $("submit").textContent = "Amend order";
  $("customer-change").hidden = true;
  state.lines = (order.lines || []).map((l) => ({
    key: newId(), line_id: l.id, product_id: l.product_id, quantity: l.quantity,
    discount_text: l.discount_percent && Number(l.discount_percent) !== 0 ? l.discount_percent : "",
  }));
  const totals = order.totals || {};
  $("order-discount").value = totals.order_discount_percent ?? "0";
  // An amendment keeps the order's shipping charge.
  $("shipping").value = ((totals.shipping_cents || 0) / 100).toFixed(2);
  $("shipping").readOnly = true;
  $("po-number").value = order.po_number || "";
  $("notes").value = order.notes || "";
  const customer = state.customers.find((c) => c.id === order.customer_id)
    ?? { id: order.customer_id, trading_name: order.customer_name, number: "", status: "active" };
  $("builder-loading").hidden = true;
  $("builder-form").hidden = false;
  root.setAttribute("aria-busy", "false");
  chooseCustomer(customer);
  renderLines();
  update();
}

// --- customer ----------------------------------------------------------------------------

function chooseCustomer(customer) {
  state.customer = customer;
  $("customer-chosen").hidden = !customer;
  $("customer-pick").hidden = !!customer;
  $("products-card").disabled = !customer;
  if (customer) {
    $("customer-name").textContent = customerName(customer);
    $("customer-number").textContent = customer.number || "new, waiting to sync";
    const city = (customer.addresses?.[0] ?? customer.billing_address)?.city;
    $("customer-note").hidden = !city;
    $("customer-note").textContent = city || "";
    const url = new URL(location.href);
    url.searchParams.set("customer_id", customer.id);
    history.replaceState(null, "", url);
  } else {
    renderCustomerResults();
  }
  renderProductResults();
  update();
}

function renderCustomerResults() {
  const q = $("customer-search").value;
  // The same search as the customer list's (and the server's), best match first.
  const found = (splitWords(q).length ? searchCustomers(state.customers, q) : state.customers).slice(0, MAX_RESULTS);
  $("customer-results").replaceChildren(...found.map((c) => h("li", {},
    h("button", { type: "button", class: "pick", dataset: { customerId: c.id } },
      h("strong", {}, customerName(c)), " ",
      h("span", { class: "muted" }, c.number || "new, waiting to sync")))));
  if (!found.length) $("customer-results").append(h("li", { class: "muted pad" }, "No customer matches."));
}

// --- products and lines ------------------------------------------------------------------

function unitPrice(product, quantity) {
  return lookupPrice({
    productId: product.id, quantity, on: state.on, customer: state.customer, priceLists: state.priceLists,
  });
}

function renderProductResults() {
  const words = fold($("product-search").value).split(/\s+/).filter(Boolean);
  if (!words.length || !state.customer) {
    $("product-results").replaceChildren();
    return;
  }
  const found = Object.values(state.products)
    .filter((p) => words.every((w) => fold(`${p.name} ${p.sku}`).includes(w)))
    .sort((a, b) => Number(b.active !== false) - Number(a.active !== false) || a.name.localeCompare(b.name))
    .slice(0, MAX_RESULTS);
  $("product-results").replaceChildren(...found.map((p) => {
    const start = roundToPack(1, p.pack_size, p.min_order_qty);
    const price = unitPrice(p, start);
    const facts = [
      p.sku, price ? `${money(price.unit_price_cents)} each` : "no price",
      p.pack_size > 1 ? `packs of ${p.pack_size}` : null,
      p.min_order_qty > 1 ? `min ${p.min_order_qty}` : null, `${p.available ?? 0} available`,
    ].filter(Boolean).join(" · ");
    const sold = p.active !== false;
    return h("li", {}, h("button", {
      type: "button", class: "pick", disabled: !sold, dataset: { productId: p.id },
      "aria-label": `Add ${p.name}`,
    }, h("strong", {}, p.name), h("span", { class: "muted block" }, sold ? facts : "no longer sold")));
  }));
  if (!found.length) $("product-results").append(h("li", { class: "muted pad" }, "No product matches."));
}

function addProduct(productId) {
  const product = state.products[productId];
  const existing = state.lines.find((l) => l.product_id === productId);
  if (existing) {
    existing.quantity = stepQuantity(existing.quantity, +1, product.pack_size, product.min_order_qty);
  } else {
    state.lines.push({
      key: newId(), product_id: productId, discount_text: "",
      quantity: roundToPack(1, product.pack_size, product.min_order_qty),
    });
  }
  $("product-search").value = "";
  renderProductResults();
  renderLines();
  update();
  const row = root.querySelector(`[data-product-line="${productId}"] input.qty`);
  if (row) row.focus();
}

function renderLines() {
  $("lines-empty").hidden = state.lines.length > 0;
  $("lines").replaceChildren(...state.lines.map((line, index) => {
    const p = state.products[line.product_id] ?? { name: line.product_id, sku: "", pack_size: 1, min_order_qty: 0 };
    const qtyId = `qty-${line.key}`;
    const discId = `disc-${line.key}`;
    const rules = [p.pack_size > 1 ? `packs of ${p.pack_size}` : null, p.min_order_qty > 1 ? `min ${p.min_order_qty}` : null]
      .filter(Boolean).join(", ");
    return h("li", { class: "line", dataset: { productLine: line.product_id, key: line.key } },
      h("div", { class: "row-between" },
        h("strong", {}, p.name),
        h("button", { type: "button", class: "link remove", dataset: { action: "remove" }, "aria-label": `Remove ${p.name}` }, "Remove")),
      h("p", { class: "muted" }, [p.sku, rules].filter(Boolean).join(" · "), " ",
        h("span", { class: "unit", dataset: { unit: line.key } })),
      h("div", { class: "line-inputs" },
        h("div", {},
          h("label", { for: qtyId }, `Quantity (line ${index + 1})`),
          h("div", { class: "stepper" },
            h("button", { type: "button", class: "step", dataset: { action: "down" }, "aria-label": `Fewer ${p.name}` }, "−"),
            h("input", { id: qtyId, class: "qty", type: "number", inputmode: "numeric", min: String(Math.max(1, p.min_order_qty)),
              step: String(p.pack_size || 1), value: String(line.quantity) }),
            h("button", { type: "button", class: "step", dataset: { action: "up" }, "aria-label": `More ${p.name}` }, "+"))),
        h("div", {},
          h("label", { for: discId }, "Line discount %"),
          h("input", { id: discId, class: "disc", inputmode: "decimal", autocomplete: "off", value: line.discount_text, placeholder: "0" }))),
      h("p", { class: "muted", hidden: true, dataset: { stock: line.key } }),
      h("p", { class: "line-total" }, "Line net ", h("strong", { dataset: { lineTotal: line.key } }, "")));
  }));
}

function lineOf(target) {
  const row = target.closest("[data-key]");
  return row ? state.lines.find((l) => l.key === row.dataset.key) : null;
}

// --- entry -------------------------------------------------------------------------------

function readEntries() {
  const errors = [];
  const order = readPercent($("order-discount").value);
  if (!order.ok) errors.push(`Order discount: ${order.message}`);
  const shipping = readAmountCents($("shipping").value);
  if (!shipping.ok) errors.push(`Shipping: ${shipping.message}`);
  const lines = state.lines.map((line, i) => {
    const d = readPercent(line.discount_text);
    if (!d.ok) errors.push(`Line ${i + 1} discount: ${d.message}`);
    return { product_id: line.product_id, quantity: line.quantity, discount_percent: d.value };
  });
  return { errors, lines, orderDiscount: order.value, shippingCents: shipping.cents };
}

function customerProblems() {
  const c = state.customer;
  if (!c) return [];
  const status = c.status || "prospect";
  if (mode === "order" && !ORDERABLE_CUSTOMER_STATUSES.has(status)) {
    return [`${customerName(c)} is ${status === "prospect" ? "a prospect" : status}: orders are only taken for active customers. Save a quote instead, or ask for the customer to be activated.`];
  }
  if (status === "inactive") return [`${customerName(c)} is inactive.`];
  return [];
}

/** Recomputes everything shown from the current entries; returns what a submit sends. */
function update() {
  const entry = readEntries();
  $("entry-errors").hidden = entry.errors.length === 0;
  $("entry-errors").textContent = entry.errors.join(" ");
  const { priced, problems } = priceForCustomer({
    customer: state.customer, requested: entry.lines, products: state.products,
    priceLists: state.priceLists, taxRates: state.taxRates, on: state.on,
    orderDiscountPercent: entry.orderDiscount, shippingCents: entry.shippingCents,
  });
  for (const [key, value] of Object.entries(priced)) {
    const cell = root.querySelector(`[data-total="${key}"]`);
    if (cell) cell.textContent = money(value);
  }
  $("bar-total").textContent = money(priced.total_cents);
  state.lines.forEach((line, i) => {
    const p = priced.lines.find((x) => x.line_id === String(i + 1));
    const total = root.querySelector(`[data-line-total="${line.key}"]`);
    const unit = root.querySelector(`[data-unit="${line.key}"]`);
    if (total) total.textContent = p ? money(p.net_cents) : "—";
    if (unit) unit.textContent = p ? `· ${money(p.unit_price_cents)} each` : "";
    const stock = root.querySelector(`[data-stock="${line.key}"]`);
    const available = state.products[line.product_id]?.available;
    if (stock) {
      stock.hidden = available === undefined || line.quantity <= available;
      stock.textContent = `Only ${available} in stock when last synced: the rest will be backordered.`;
    }
  });
  // As asked, and as the server compares it with the limit: not recomputed from the cents.
  const asked = requestedDiscountPercent(priced, entry.orderDiscount);
  $("discount-line").textContent = priced.discount_cents ? `Discount ${asked}% of the subtotal` : "";
  renderApproval(asked);
  renderEstimate(priced, entry);
  const credit = mode === "order" ? creditHoldReason(state.customer, priced.total_cents, state.defaultCreditLimit) : null;
  $("credit-warning").hidden = !credit;
  $("credit-warning").textContent = credit
    ? `Credit hold: ${credit}. The order will wait until a manager releases it.` : "";
  // What the server would refuse is shown; a missing customer or line just keeps submit off.
  const refused = [...customerProblems(), ...problems.map((p) => p.message)];
  $("problems").hidden = refused.length === 0;
  $("problems").replaceChildren(...refused.map((m) => h("li", {}, m)));
  const incomplete = !state.customer || state.lines.length === 0;
  $("submit").disabled = incomplete || refused.length > 0 || entry.errors.length > 0;
  return { entry, priced };
}

/** "This order earns you ≈ …": the plan's rates on the lines as priced, the rep's share of
 * an amended order's credit split, and what the document does to the quota period's tiers
 * and cap (from the period as last pulled). */
function renderEstimate(priced, entry) {
  const shown = $("commission-estimate");
  if (!state.plan || !priced.lines.length) {
    shown.hidden = true;
    return;
  }
  const lines = priced.lines.map((p) => {
    const i = Number(p.line_id) - 1;
    return {
      product_id: p.product_id, category_id: state.products[p.product_id]?.category_id ?? "",
      quantity: p.quantity, net_cents: p.net_cents, discount_percent: entry.lines[i]?.discount_percent ?? "0",
      // Costs stay in the office: a margin line is estimated on revenue, as the server
      // pays a line whose cost is unknown.
      unit_cost_cents: null,
    };
  });
  try {
    const found = estimate(state.plan, lines, state.on, {
      standing: state.standing, splits: state.amending?.commission_splits ?? [], rep_id: currentUser()?.id ?? "",
    });
    const notes = [];
    if (found.spiff_cents) notes.push(`SPIFFs ${money(found.spiff_cents)}`);
    if (found.tier_cents > 0) notes.push(`tier bonus ${money(found.tier_cents)}`);
    if (found.tier_cents < 0) notes.push(`over the cap ${money(-found.tier_cents)}`);
    if (lines.some((l) => paysOnFor(state.plan, l.product_id, l.category_id) === "margin")) {
      notes.push("margin lines counted on revenue: the office applies their cost");
    }
    shown.textContent = `This ${mode} earns you ≈ ${money(found.total_cents)}`
      + (notes.length ? ` (${notes.join(", ")})` : "");
    shown.dataset.cents = String(found.total_cents);
    shown.hidden = false;
  } catch {
    // An entry the rules cannot read yet (a half-typed discount) shows no estimate.
    shown.hidden = true;
  }
}

function renderApproval(effective) {
  const warning = $("approval-warning");
  if (mode !== "order" || effective === "0.00") {
    warning.hidden = true;
    return;
  }
  if (state.limit === null) {
    warning.hidden = false;
    warning.textContent = `Discount ${effective}%: your approval limit is not known on this phone yet, so the server will decide whether a manager must approve.`;
    return;
  }
  warning.hidden = !decimalGreater(effective, state.limit);
  warning.textContent = `Needs approval: the discount of ${effective}% is above your limit of ${state.limit}%. A manager must approve this order before it is confirmed.`;
}

// --- submit ------------------------------------------------------------------------------

function phoneTotals(priced) {
  const keys = ["subtotal_cents", "discount_cents", "net_cents", "tax_cents", "shipping_cents", "shipping_tax_cents", "total_cents"];
  return Object.fromEntries(keys.map((k) => [k, priced[k]]));
}

async function submit(event) {
  event.preventDefault();
  const { entry, priced } = update();
  if ($("submit").disabled) return;
  $("submit").disabled = true;
  const customer = state.customer;
  const id = newId();
  const common = {
    customer_id: customer.id, lines: entry.lines, order_discount_percent: entry.orderDiscount,
    shipping_cents: entry.shippingCents, notes: $("notes").value.trim(), client_total_cents: priced.total_cents,
  };
  const what = `${customerName(customer)} · ${money(priced.total_cents)}`;
  const order = state.amending;
  if (order) {
    await enqueue({
      type: "order.amend@1", entity_id: order.id, label: `Amendment of ${order.number} · ${money(priced.total_cents)}`,
      phone_totals: phoneTotals(priced),
      args: {
        expected_revision: order.revision ?? 1,
        lines: state.lines.map((line, i) => ({
          ...(line.line_id ? { line_id: line.line_id } : { product_id: line.product_id }),
          quantity: entry.lines[i].quantity, discount_percent: entry.lines[i].discount_percent,
        })),
        order_discount_percent: entry.orderDiscount, notes: common.notes,
        po_number: $("po-number").value.trim(), client_total_cents: priced.total_cents,
      },
    });
    location.assign(`/app/orders?id=${encodeURIComponent(order.id)}`);
    return;
  }
  if (mode === "order") {
    await enqueue({
      type: "order.place@1", entity_id: id, label: `Order for ${what}`, phone_totals: phoneTotals(priced),
      phone_commission_cents: $("commission-estimate").hidden ? null : Number($("commission-estimate").dataset.cents),
      args: { ...common, po_number: $("po-number").value.trim(), channel: "field" },
    });
  } else {
    const validUntil = $("valid-until").value;
    await enqueue({
      type: "quote.save@1", entity_id: id, label: `Quote for ${what}`, phone_totals: phoneTotals(priced),
      args: { ...common, ...(validUntil ? { valid_until: validUntil } : {}) },
    });
    if ($("send-now").checked) {
      await enqueue({ type: "quote.send@1", entity_id: id, label: `Send quote to ${customerName(customer)}`, args: {} });
    }
  }
  location.assign("/app/outbox");
}

// --- wiring ------------------------------------------------------------------------------

$("customer-search").addEventListener("input", renderCustomerResults);
$("customer-results").addEventListener("click", (e) => {
  const button = e.target.closest("[data-customer-id]");
  if (button) chooseCustomer(state.customers.find((c) => c.id === button.dataset.customerId));
});
$("customer-change").addEventListener("click", () => {
  chooseCustomer(null);
  $("customer-search").focus();
});
$("product-search").addEventListener("input", renderProductResults);
$("product-results").addEventListener("click", (e) => {
  const button = e.target.closest("[data-product-id]");
  if (button && !button.disabled) addProduct(button.dataset.productId);
});
$("lines").addEventListener("click", (e) => {
  const button = e.target.closest("[data-action]");
  const line = button && lineOf(button);
  if (!line) return;
  if (button.dataset.action === "remove") {
    state.lines = state.lines.filter((l) => l !== line);
    renderLines();
  } else {
    const p = state.products[line.product_id];
    line.quantity = stepQuantity(line.quantity, button.dataset.action === "up" ? +1 : -1, p?.pack_size, p?.min_order_qty);
    root.querySelector(`[data-key="${line.key}"] input.qty`).value = String(line.quantity);
  }
  update();
});
$("lines").addEventListener("input", (e) => {
  const line = lineOf(e.target);
  if (!line) return;
  if (e.target.classList.contains("qty")) {
    const n = Number.parseInt(e.target.value, 10);
    line.quantity = Number.isFinite(n) ? n : 0;
  } else if (e.target.classList.contains("disc")) {
    line.discount_text = e.target.value;
  }
  update();
});
for (const id of ["order-discount", "shipping"]) $(id).addEventListener("input", update);
$("builder-form").addEventListener("submit", (e) => {
  submit(e).catch((err) => {
    $("problems").hidden = false;
    $("problems").replaceChildren(h("li", {}, `Could not save on this phone: ${err.message}`));
    $("submit").disabled = false;
  });
});
// A pull that lands while the builder is open brings fresh prices, stock and the synced
// version of a customer onboarded offline; the lines entered so far stay.
window.addEventListener("fs:data", () => {
  readStore().then(() => {
    if (state.customer) {
      const fresh = state.customers.find((c) => c.id === state.customer.id);
      if (fresh) chooseCustomer(fresh);
    } else {
      renderCustomerResults();
    }
    renderProductResults();
    update();
  }).catch(() => {});
});

load().catch((err) => {
  $("builder-loading").hidden = false;
  $("builder-loading").textContent = `Could not read this phone's data: ${err.message}`;
});

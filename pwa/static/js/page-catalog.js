// Catalog search over the phone's store, with availability as last synced and the price a
// chosen customer would pay (the same lookup the order builder uses).

import { formatCents, h, live, param, replace } from "./dom.js";
import { freshnessLine } from "./freshness.js";
import { byName, matches, productText } from "./search.js";
import { allEntities, getMeta } from "./store.js";
import { lookupPrice, todayUtc } from "./totals.js";

const input = document.getElementById("catalog-q");
const picker = document.getElementById("catalog-customer");
const LIMIT = 60;
let chosen = param("customer_id") || "";

async function fillCustomers() {
  const customers = (await allEntities("customer")).sort(byName);
  const keep = picker.value || chosen;
  replace(picker, h("option", { value: "" }, "List prices (no customer)"),
    customers.map((c) => h("option", { value: c.id }, `${c.legal_name}${c.number ? ` (${c.number})` : ""}`)));
  picker.value = customers.some((c) => c.id === keep) ? keep : "";
  return customers;
}

async function render() {
  const [customers, products, priceLists, categories, lastSync] = await Promise.all([
    fillCustomers(), allEntities("product"), allEntities("price_list"), allEntities("category"), getMeta("last_sync_at"),
  ]);
  const customer = customers.find((c) => c.id === picker.value) || null;
  const categoryName = new Map(categories.map((c) => [c.id, c.name]));
  const q = input.value;
  const found = products.filter((p) => p.active !== false && matches(productText(p, categoryName.get(p.category_id)), q)).sort(byName);
  document.getElementById("catalog-count").textContent =
    `${found.length} products`;
  replace("catalog-freshness", freshnessLine(lastSync));
  const on = todayUtc();
  replace("catalog-results", found.slice(0, LIMIT).map((p) => {
    const price = lookupPrice({ productId: p.id, quantity: 1, on, customer, priceLists });
    const stock = p.available > 0 ? h("span", { class: "badge ok" }, `${p.available} available`) : h("span", { class: "badge bad" }, "Out of stock");
    return h("li", { class: "pad product" },
      h("div", { class: "row-between" }, h("strong", {}, p.name), h("span", { class: "price" }, price ? formatCents(price.unit_price_cents) : "No price")),
      h("div", { class: "muted" }, `${p.sku} · ${categoryName.get(p.category_id) ? `${categoryName.get(p.category_id)} · ` : ""}pack of ${p.pack_size}${p.min_order_qty > 1 ? `, min ${p.min_order_qty}` : ""}`),
      h("div", {}, stock, price && customer && price.price_list_code ? h("span", { class: "muted" }, ` ${price.price_list_code} price`) : null));
  }));
}

input.addEventListener("input", () => render());
picker.addEventListener("change", () => { chosen = picker.value; render(); });
live(render);

// Customer search over the phone's store: works the same with or without a signal.

import { h, live, replace } from "./dom.js";
import { itemsForAll } from "./outbox-view.js";
import { primaryAddress, searchCustomers } from "./search.js";
import { allEntities } from "./store.js";

const input = document.getElementById("customer-q");
const LIMIT = 50;

async function render() {
  const q = input.value;
  const [customers, waiting] = await Promise.all([allEntities("customer"), itemsForAll()]);
  const found = searchCustomers(customers, q);
  document.getElementById("customer-count").textContent =
    found.length === 1 ? "1 customer" : `${found.length} customers${found.length > LIMIT ? `, showing ${LIMIT}` : ""}`;
  replace("customer-results", found.slice(0, LIMIT).map((c) => {
    const a = primaryAddress(c);
    const pending = waiting.get(c.id);
    return h("li", {}, h("a", { href: `/app/customers/view?id=${encodeURIComponent(c.id)}` },
      h("strong", {}, c.legal_name), " ",
      c.number ? h("span", { class: "muted" }, c.number) : h("span", { class: "badge warn" }, pending || "Waiting to sync"),
      h("div", { class: "muted" }, [a?.city, a?.postal_code].filter(Boolean).join(" · "))));
  }));
}

input.addEventListener("input", () => render());
live(render);

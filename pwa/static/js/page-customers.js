// Customer search over the phone's store: works the same with or without a signal.

import { h, live, replace } from "./dom.js";
import { itemsForAll } from "./outbox-view.js";
import { primaryAddress, searchCustomers } from "./search.js";
import { allEntities } from "./store.js";
import { lastSyncAt, pullProgress } from "./sync.js";

const input = document.getElementById("customer-q");
const LIMIT = 50;

async function render() {
  const q = input.value;
  const [customers, waiting, synced] = await Promise.all([allEntities("customer"), itemsForAll(), lastSyncAt()]);
  const found = searchCustomers(customers, q);
  const count = found.length === 1 ? "1 customer" : `${found.length} customers${found.length > LIMIT ? `, showing ${LIMIT}` : ""}`;
  document.getElementById("customer-count").textContent = synced ? count : firstSyncText(found.length ? `${count} so far` : "No customers yet");
  replace("customer-results", found.slice(0, LIMIT).map((c) => {
    const a = primaryAddress(c);
    const pending = waiting.get(c.id);
    return h("li", {}, h("a", { href: `/app/customers/view?id=${encodeURIComponent(c.id)}` },
      h("strong", {}, c.legal_name), " ",
      c.number ? h("span", { class: "muted" }, c.number) : h("span", { class: "badge warn" }, pending || "Waiting to sync"),
      h("div", { class: "muted" }, [a?.city, a?.postal_code].filter(Boolean).join(" · "))));
  }));
}

/** Until the first sync has finished, the count is not the whole story: say so, with how
 * far the download has come. */
function firstSyncText(shown) {
  const p = pullProgress();
  const soFar = p.pages ? ` (${p.records} records in ${p.pages} ${p.pages === 1 ? "page" : "pages"} so far)` : "";
  return `${shown}. Your data is still arriving${soFar}…`;
}

input.addEventListener("input", () => render());
live(render, ["fs:data", "fs:outbox", "fs:user", "fs:progress"]);

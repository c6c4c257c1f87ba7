// The rep's statement of this period, line by line, online only: each entry with its
// source, the questions asked about it and their answers, and a form to question it.

import { api, NetworkError } from "./api.js";
import { formatCents, formatWhen, h, live, replace } from "./dom.js";
import { currentUser } from "./store.js";

const period = () => new Date().toISOString().slice(0, 7);

function dispute(d) {
  const answer = d.status === "answered"
    ? h("p", { class: "dispute-answer" }, h("strong", {}, "Answer: "), d.answer,
      d.adjustment_cents ? ` (adjusted by ${formatCents(d.adjustment_cents)} in ${d.adjustment_period})` : "")
    : h("p", { class: "muted" }, "Waiting for your manager's answer.");
  return h("li", { class: "dispute", dataset: { status: d.status } },
    h("p", {}, h("strong", {}, "You asked: "), d.comment, h("span", { class: "muted" }, ` · ${formatWhen(d.opened_at)}`)), answer);
}

function questionForm(entry, after) {
  const field = h("textarea", { name: "comment", rows: "2", maxlength: "2000", required: true,
    "aria-label": `Your question about ${entry.reason}` });
  const message = h("p", { class: "muted", role: "status" });
  const form = h("form", { class: "dispute-form" }, field,
    h("button", { type: "submit", class: "button" }, "Question this"), message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const comment = field.value.trim();
    if (!comment) return;
    form.querySelector("button").disabled = true;
    try {
      await api(`/api/commission/entries/${encodeURIComponent(entry.id)}/disputes`, { method: "POST", body: { comment } });
      await after();
    } catch (err) {
      message.textContent = err instanceof NetworkError ? "No connection: your question was not sent." : err.message;
      form.querySelector("button").disabled = false;
    }
  });
  return form;
}

function entryRow(entry, disputes, reload) {
  const source = entry.order_number ? `${entry.order_number} · ` : "";
  const mine = disputes.filter((d) => d.entry_id === entry.id);
  const open = mine.some((d) => d.status === "open");
  return h("li", { class: "pad commission-entry", dataset: { entryId: entry.id } },
    h("div", { class: "row-between" }, h("span", {}, `${source}${entry.reason}`),
      h("strong", {}, formatCents(entry.amount_cents))),
    mine.length ? h("ul", { class: "list disputes" }, mine.map(dispute)) : null,
    open ? null : questionForm(entry, reload));
}

async function render() {
  const user = currentUser();
  const state = document.getElementById("commission-state");
  if (!user) return;
  try {
    const statement = await api(`/api/commission/statements?rep_id=${encodeURIComponent(user.id)}&period=${period()}`);
    state.textContent = `${statement.period}: ${formatCents(statement.amount_cents)} (${statement.status})`;
    const rows = statement.entries.map((e) => entryRow(e, statement.disputes || [], render));
    replace("commission-entries", rows.length ? rows : [h("li", { class: "pad muted" }, "No entries this period yet.")]);
  } catch (err) {
    state.textContent = err instanceof NetworkError
      ? "Offline: questioning a line needs a connection. Your period's total is on the home page."
      : err.message;
  }
}

live(render, ["fs:user"]);
window.addEventListener("online", render);

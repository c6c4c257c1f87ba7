// Onboarding. Online, the server is asked directly so the duplicate prompt can be answered
// on the spot. Offline (or if the connection drops), the customer goes into the outbox with
// an id made here, shows as waiting to sync, and the duplicate check happens at sync.

import { api, ApiError, NetworkError } from "./api.js";
import { h, replace } from "./dom.js";
import { newId } from "./ids.js";
import { enqueue } from "./outbox.js";
import { putEntity } from "./store.js";

const form = document.getElementById("onboard");
const message = document.getElementById("onboard-message");
// One id per customer being entered: a retry of the same form never creates a second one.
const customerId = newId();

function value(name) {
  return form.elements[name].value.trim();
}

function body(confirmNew) {
  const contacts = value("contact_name")
    ? [{ name: value("contact_name"), role: value("contact_role"), email: value("email"), phone: value("phone") }]
    : [];
  return {
    id: customerId, legal_name: value("legal_name"), trading_name: value("trading_name"), tax_id: value("tax_id"),
    notes: value("notes"), status: value("status") || "prospect", payment_terms: "net_30", channel: "field", contacts,
    billing_address: { country: value("country").toUpperCase(), state: value("state"), city: value("city"),
      postal_code: value("postal_code"), street: value("street") },
    confirm_new: confirmNew,
  };
}

function check() {
  const problems = [];
  if (!value("legal_name")) problems.push(["legal_name", "Enter the customer's legal name."]);
  if (!/^[A-Za-z]{2}$/.test(value("country"))) problems.push(["country", "Enter the country as two letters, e.g. US."]);
  if (value("email") && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value("email"))) problems.push(["email", "Enter a valid e-mail address."]);
  if (value("phone") && !/^[0-9+()\-.\s]*$/.test(value("phone"))) problems.push(["phone", "A phone number has digits, spaces and + ( ) - . only."]);
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const [name] of problems) form.elements[name].setAttribute("aria-invalid", "true");
  return problems;
}

function showError(text) {
  replace(message, h("p", { class: "error" }, text));
  message.focus?.();
}

function showDuplicates(candidates) {
  const list = h("ul", { class: "list" }, candidates.map((c) => h("li", { class: "pad" },
    c.id ? h("a", { href: `/app/customers/view?id=${encodeURIComponent(c.id)}` }, h("strong", {}, c.legal_name || "A customer"), ` ${c.number || ""}`)
      : h("strong", {}, "A customer outside your territories"),
    c.city ? ` · ${c.city}` : "", h("div", { class: "muted" }, `Matches on ${(c.reasons || []).join(", ")}`))));
  const confirm = h("button", { type: "button", class: "primary", id: "confirm-new" }, "It is a different customer: create it");
  confirm.addEventListener("click", () => submit(true));
  replace(message, h("div", { class: "warning", tabindex: "-1", id: "duplicate-prompt" },
    h("p", {}, h("strong", {}, "This customer may already exist."), " Open the existing one, or confirm this is a new customer."),
    list, confirm));
  document.getElementById("duplicate-prompt").focus();
}

async function queueOffline(data) {
  const { confirm_new: _, ...args } = data;
  await putEntity("customer", customerId, { ...args, number: null, local: true, contacts: data.contacts,
    addresses: [{ ...data.billing_address, kind: "billing", is_default: true }] });
  await enqueue({ type: "customer.create@1", entity_id: customerId, args: { ...args, confirm_new: data.confirm_new }, label: `New customer ${data.legal_name}` });
  location.assign(`/app/customers/view?id=${encodeURIComponent(customerId)}`);
}

async function submit(confirmNew = false) {
  if (check().length) {
    showError(check().map(([, text]) => text).join(" "));
    form.querySelector("[aria-invalid]")?.focus();
    return;
  }
  const data = body(confirmNew);
  if (!navigator.onLine) {
    await queueOffline(data);
    return;
  }
  try {
    const created = await api("/api/customers", { method: "POST", body: data });
    await putEntity("customer", created.id, created);
    location.assign(`/app/customers/view?id=${encodeURIComponent(created.id)}`);
  } catch (err) {
    if (err instanceof ApiError && err.code === "possible_duplicate") {
      showDuplicates(err.body?.details?.candidates || []);
    } else if (err instanceof NetworkError || (err instanceof ApiError && (err.status === 401 || err.status >= 500))) {
      // No answer, or no session: the outbox keeps it and sends it later, with this same id.
      await queueOffline(data);
    } else if (err instanceof ApiError) {
      showError(err.message);
    } else {
      throw err;
    }
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  submit(false);
});

// Local search over the phone's store: every word of the query must appear somewhere in
// the record (case- and accent-insensitive). The customer search follows the server's rule
// (server/domain/search.py; tests/unit/test_search_matches_server.py compares them).

// Spelled out rather than \s, whose meaning differs between JavaScript and Python.
const SPACE = " \t\n\r\f\v\u00a0";
const SPACES = new RegExp(`[${SPACE}]+`);
const PHONE_QUERY = new RegExp(`^\\+?[0-9().\\-/${SPACE}]+$`);
export const PHONE_QUERY_MIN_DIGITS = 6;
export const RANK_EXACT = 0;
export const RANK_NAME_PREFIX = 1;
export const RANK_WORDS = 2;

export function fold(text) {
  return String(text ?? "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").normalize("NFC").toLowerCase();
}

export function splitWords(text) {
  return String(text).split(SPACES).filter(Boolean);
}

function strip(text) {
  let start = 0;
  let end = text.length;
  while (start < end && SPACE.includes(text[start])) start += 1;
  while (end > start && SPACE.includes(text[end - 1])) end -= 1;
  return text.slice(start, end);
}

export function normalizePhone(value) {
  const text = strip(String(value ?? ""));
  const digits = text.replace(/[^0-9]/g, "");
  if (!digits) return "";
  return (text.startsWith("+") ? "+" : "") + digits;
}

export function normalizeTaxId(value) {
  return [...String(value ?? "").toUpperCase()].filter((ch) => !/\s/.test(ch) && ch !== "." && ch !== "-").join("");
}

export function looksLikePhone(q) {
  const text = strip(String(q ?? ""));
  if (!PHONE_QUERY.test(text)) return false;
  return text.replace(/[^0-9]/g, "").length >= PHONE_QUERY_MIN_DIGITS;
}

export function parseSearch(q) {
  const text = String(q ?? "");
  const words = splitWords(fold(text));
  return {
    text: words.join(" "), words,
    phone: looksLikePhone(text) ? normalizePhone(strip(text)) : "",
    tax_id: normalizeTaxId(text),
  };
}

// What a customer search looks at, from a customer as the phone stores it.
export function customerSearchFields(c) {
  const addresses = c.addresses || [c.billing_address, ...(c.shipping_addresses || [])].filter(Boolean);
  const contacts = c.contacts || [];
  return {
    legal_name: c.legal_name || "", trading_name: c.trading_name || "", number: c.number || "",
    tax_id: c.tax_id || "",
    cities: addresses.map((a) => a.city || ""), postal_codes: addresses.map((a) => a.postal_code || ""),
    contact_names: contacts.map((p) => p.name || ""), emails: contacts.map((p) => p.email || ""),
    phones: contacts.map((p) => p.phone || ""),
  };
}

// The customer's rank for the query (lower first), or null when it does not match.
export function customerSearchRank(fields, query) {
  if (!query.words.length) return RANK_WORDS;
  const phones = fields.phones.map(normalizePhone);
  const digits = query.phone.replace(/^\++/, "");
  if (
    fold(fields.number) === query.text
    || (query.tax_id && normalizeTaxId(fields.tax_id) === query.tax_id)
    || (query.phone && phones.some((p) => p && (p === query.phone || p.endsWith(digits))))
  ) return RANK_EXACT;
  const names = [fold(fields.legal_name), fold(fields.trading_name)];
  if (names.some((name) => name && name.startsWith(query.text))) return RANK_NAME_PREFIX;
  const texts = [
    ...names, fold(fields.number), ...fields.cities.map(fold), ...fields.postal_codes.map(fold),
    ...fields.contact_names.map(fold), ...fields.emails.map(fold),
  ];
  const taxId = normalizeTaxId(fields.tax_id);
  const wordMatches = (word) => {
    const taxWord = normalizeTaxId(word);
    return (taxWord && taxId.includes(taxWord)) || texts.some((text) => text.includes(word));
  };
  if (query.words.every(wordMatches)) return RANK_WORDS;
  if (query.phone && phones.some((p) => p && p.includes(digits))) return RANK_WORDS;
  return null;
}

// The customers matching q, best first and by name within a rank.
export function searchCustomers(customers, q) {
  const query = parseSearch(q);
  return customers
    .map((c) => ({ c, rank: customerSearchRank(customerSearchFields(c), query) }))
    .filter((found) => found.rank !== null)
    .sort((a, b) => a.rank - b.rank || byName(a.c, b.c))
    .map((found) => found.c);
}

export function matches(haystacks, query) {
  const words = splitWords(fold(query));
  if (!words.length) return true;
  const text = haystacks.map(fold).join(" \u0001 ");
  return words.every((w) => text.includes(w));
}

export function customerText(c) {
  const addresses = c.addresses || [c.billing_address, ...(c.shipping_addresses || [])].filter(Boolean);
  return [
    c.legal_name, c.trading_name, c.number, c.tax_id,
    ...addresses.flatMap((a) => [a.city, a.postal_code, a.street, a.state]),
    ...(c.contacts || []).flatMap((p) => [p.name, p.email, p.phone]),
  ];
}

export function primaryAddress(c) {
  const addresses = c.addresses || [c.billing_address].filter(Boolean);
  return addresses.find((a) => a.kind === "billing") || addresses[0] || null;
}

export function productText(p, categoryName = "") {
  return [p.name, p.sku, categoryName, p.category_id];
}

export function byName(a, b) {
  return fold(a.legal_name || a.name).localeCompare(fold(b.legal_name || b.name));
}

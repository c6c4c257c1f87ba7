// Local search over the phone's store: every word of the query must appear somewhere in
// the record (case- and accent-insensitive).

export function fold(text) {
  return String(text ?? "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

export function matches(haystacks, query) {
  const words = fold(query).split(/\s+/).filter(Boolean);
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

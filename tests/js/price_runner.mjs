// Prices cases with the phone's totals.js for tests/unit/test_totals_match_server.py.
// Reads {"cases": [...]} as JSON on stdin and writes {"results": [...]} on stdout, one
// result per case: a priced document, or a price lookup and tax rate.
import {
  effectiveDiscountPercent, lookupPrice, priceDocument, requestedDiscountPercent, taxRateFor,
} from "../../pwa/static/js/totals.js";

function run(item) {
  if (item.kind === "document") {
    const priced = priceDocument(item.document);
    return {
      ...priced, effective_discount_percent: effectiveDiscountPercent(priced),
      requested_discount_percent: requestedDiscountPercent(priced, item.document.order_discount_percent),
    };
  }
  if (item.kind === "lookup") {
    const found = lookupPrice({
      productId: item.product_id, quantity: item.quantity, on: item.on,
      customer: item.customer, priceLists: item.price_lists,
    });
    const rate = taxRateFor({
      taxCategory: item.tax_category, address: item.address, taxRates: item.tax_rates,
      exempt: item.exempt,
    });
    return { quote: found, tax_rate: rate };
  }
  throw new Error(`unknown case kind ${item.kind}`);
}

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const { cases } = JSON.parse(input);
process.stdout.write(JSON.stringify({ results: cases.map(run) }));

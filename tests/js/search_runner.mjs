// Runs the phone's customer search (pwa/static/js/search.js) for
// tests/unit/test_search_matches_server.py. Reads {"customers": [...], "queries": [...]} as
// JSON on stdin and writes {"results": [...]}: per query, the parsed query and the rank of
// every customer (null when it does not match).
import { customerSearchRank, parseSearch } from "../../pwa/static/js/search.js";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const { customers, queries } = JSON.parse(input);
const results = queries.map((q) => {
  const query = parseSearch(q);
  return { query, ranks: customers.map((fields) => customerSearchRank(fields, query)) };
});
process.stdout.write(JSON.stringify({ results }));

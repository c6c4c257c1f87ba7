// Estimates cases with the phone's commission.js for tests/unit/test_commission_match_server.py.
// Reads {"cases": [{plan, lines, on, options}]} as JSON on stdin and writes {"results": [...]}.
import { estimate } from "../../pwa/static/js/commission.js";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const { cases } = JSON.parse(input);
process.stdout.write(JSON.stringify({ results: cases.map((c) => estimate(c.plan, c.lines, c.on, c.options ?? {})) }));

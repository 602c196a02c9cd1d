/**
 * `npm run soak -- --minutes N`: fuzz, link, load and fault scenarios against a real server on
 * 127.0.0.1 for N minutes (default 1), then a table of what happened against each goal.
 * Exits 1 when a goal is missed. `--clients K` sets the socket.io clients (default 20),
 * `--no-faults` skips the kill -9 half-way, `--verbose` prints each failure as it happens.
 */
import { parseArgs } from "node:util";
import { runSoak } from "./run-soak.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "1" },
    clients: { type: "string", default: "20" },
    "no-faults": { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    seed: { type: "string", default: "14" },
  },
});
const minutes = Number(values.minutes);
if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error("--minutes takes a number of minutes, at most 1440");
console.log(
  `soak: ${minutes} min, ${values.clients} clients, faults ${values["no-faults"] ? "off" : "on"}, on 127.0.0.1`,
);
const report = await runSoak({
  seconds: minutes * 60,
  clients: Number(values.clients),
  faults: !values["no-faults"],
  seed: Number(values.seed),
  log: values.verbose ? (line) => console.log(`  ${new Date().toISOString().slice(11, 23)} ${line}`) : undefined,
});
console.log(report.table);
console.log(report.passed ? "soak: every goal met" : "soak: goals missed (see FAIL)");
process.exitCode = report.passed ? 0 : 1;

/**
 * The server under soak: `infix serve --test-nodes` on 127.0.0.1 as its own process (so its
 * memory and event loop are measured apart from the load), over a data folder the soak owns.
 * Prints one `SOAK-SERVER {json}` line with its URL and write token once it listens.
 *
 * Usage: node --import tsx tools/soak/soak-server.ts <data folder> <port>
 */
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { serve, type ServeOptions } from "../../bin/serve-command.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const [dataDir, port] = process.argv.slice(2);
const options: ServeOptions = {
  port: Number(port ?? 0),
  host: "127.0.0.1",
  data: dataDir,
  testNodes: true,
  device: "cpu",
  graphOptimization: "all",
};
const server = await serve(repoRoot, options, (line) => process.stderr.write(`${line}\n`));
// The server's own event-loop delay, apart from the load generator's: what a blocked loop costs every client.
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
const ms = (ns: number) => Math.round(ns / 1e4) / 100;
setInterval(() => {
  const stats = { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) };
  process.stdout.write(`SOAK-LOOP ${JSON.stringify(stats)}\n`);
}, 500).unref();
process.stdout.write(`SOAK-SERVER ${JSON.stringify({ url: server.url, port: server.port, token: server.token })}\n`);
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));

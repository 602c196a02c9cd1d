/**
 * A studio server for bench/worker.ts, in its own process so the bench's probes are not slowed
 * by the server's own stalls: `tsx bench/worker-server.ts <data> <models> [--in-process]`.
 * Prints `listening <url> <token>` once it serves.
 */
import { fileURLToPath } from "node:url";
import { serve } from "../bin/serve-command.ts";

const [data, models, mode] = process.argv.slice(2);
const server = await serve(
  fileURLToPath(new URL("..", import.meta.url)),
  {
    port: 0,
    host: "127.0.0.1",
    data,
    models,
    device: "cpu",
    graphOptimization: "all",
    inProcess: mode === "--in-process",
  },
  () => undefined,
);
process.stdout.write(`listening ${server.url} ${server.token}\n`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));

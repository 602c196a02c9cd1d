/**
 * A studio server for bench/worker.ts, in its own process so the bench's probes are not slowed
 * by the server's own stalls: `tsx bench/worker-server.ts <data> <models> [--in-process]`.
 * Prints `listening <url> <token>` once it serves.
 */
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
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
// What the server's own thread did meanwhile: how late its timers ran (work or a starved core)
// and how busy its event loop was (its own work), on stderr as it stops.
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
const utilisation = performance.eventLoopUtilization();
process.on("SIGTERM", () => {
  delay.disable();
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  const busy = performance.eventLoopUtilization(utilisation).utilization;
  process.stderr.write(
    `  server thread: event-loop delay p50 ${ms(delay.percentile(50))} p99 ${ms(delay.percentile(99))} max ${ms(delay.max)} ms, busy ${(busy * 100).toFixed(1)}%\n`,
  );
  void server.close().then(() => process.exit(0));
});

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { WorkflowSchema, type Workflow } from "@infix/engine";
import { createServer } from "@infix/engine/server";
import type { ClientToServerEvents, ServerToClientEvents } from "@infix/protocol";
import { io as connect, type Socket } from "socket.io-client";
import { createEngineSetup } from "../bin/engine-setup.ts";
import { silentEvents } from "../nodes/src/testing/run-workflow.ts";

/**
 * What the server adds to a run: the zero-shot example through the HTTP queue with a connected
 * socket client that receives every event (progress, previews, node states, as the editor does)
 * against the same workflow on the same executor in-process (as `infix run` does). Runs
 * alternate, each on an emptied output cache after a warm-up that loads the sessions, and the
 * medians are compared: the ratio should stay at or below 1.1.
 */

export interface ServerOverhead {
  size: number;
  inProcessMs: number;
  serverMs: number;
  ratio: number;
  /** Socket messages and bytes the client received during one server run. */
  messages: number;
  bytes: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Runs the comparison and prints one line.
 * @example await benchServerOverhead({ size: 128, runs: 3 })
 */
export async function benchServerOverhead(options: { size?: number; runs?: number } = {}): Promise<ServerOverhead> {
  const size = options.size ?? Number(process.env.INFIX_BENCH_SERVER_SIZE ?? 256);
  const runs = options.runs ?? 3;
  const dataDir = mkdtempSync(join(tmpdir(), "infix-bench-server-"));
  const setup = await createEngineSetup({ dataDir, log: () => undefined });
  const server = await createServer({
    port: 0,
    dataDir,
    executor: setup.executor,
    catalog: () => setup.registry.catalog(setup.resources),
    files: setup.files,
    uploadKinds: setup.registry.uploadKinds(),
    cache: setup.cache,
    log: () => undefined,
  });
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connect(server.url, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
    let messages = 0;
    let bytes = 0;
    socket.onAny((_name: string, payload: unknown) => {
      messages++;
      bytes += JSON.stringify(payload).length;
    });

    const workflow: Workflow = WorkflowSchema.parse(
      JSON.parse(readFileSync(join(here, "..", "examples", "zero-shot-generation.json"), "utf8")),
    );
    Object.assign(workflow.nodes.latent.inputs, { width: size, height: size });
    const inProcess = async () => {
      setup.cache.clear();
      const started = performance.now();
      const result = await setup.executor.execute({
        workflow,
        signal: new AbortController().signal,
        events: silentEvents,
      });
      if (result.status !== "succeeded") throw new Error(`in-process run failed: ${result.error?.message}`);
      return performance.now() - started;
    };
    const throughServer = async () => {
      setup.cache.clear();
      const started = performance.now();
      const done = new Promise<void>((resolve, reject) => {
        socket.on("job:succeeded", () => resolve());
        socket.on("job:failed", ({ error }) => reject(new Error(`server run failed: ${error.message}`)));
      });
      const res = await fetch(`${server.url}/api/jobs`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-infix-token": server.token },
        body: JSON.stringify({ workflow, clientId: socket.id }),
      });
      if (res.status !== 201) throw new Error(`POST /api/jobs: ${res.status} ${await res.text()}`);
      await done;
      socket.off("job:succeeded");
      socket.off("job:failed");
      return performance.now() - started;
    };

    await inProcess(); // loads the sessions
    const local: number[] = [];
    const remote: number[] = [];
    let perRun = { messages: 0, bytes: 0 };
    for (let i = 0; i < runs; i++) {
      local.push(await inProcess());
      [messages, bytes] = [0, 0];
      remote.push(await throughServer());
      perRun = { messages, bytes };
    }
    const result: ServerOverhead = {
      size,
      inProcessMs: median(local),
      serverMs: median(remote),
      ratio: median(remote) / median(local),
      ...perRun,
    };
    console.log(
      `  server overhead: zero-shot on tiny at ${size}px, median of ${runs}: in-process ${result.inProcessMs.toFixed(0)} ms, through the server with a socket client ${result.serverMs.toFixed(0)} ms, ratio ${result.ratio.toFixed(2)}× (${result.messages} socket messages, ${(result.bytes / 1024).toFixed(0)} KiB per run)`,
    );
    return result;
  } finally {
    socket.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await benchServerOverhead();

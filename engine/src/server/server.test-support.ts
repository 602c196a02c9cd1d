import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io as connect, type Socket } from "socket.io-client";
import { afterEach } from "vitest";
import { ScriptedExecutor, scriptedWorkflow } from "../queue/scripted-executor.test-support.ts";
import type { ClientToServerEvents, ServerToClientEvents } from "../protocol/index.ts";
import { createServer, type InfixServer, type ServerOptions } from "./server.ts";

/** A server on 127.0.0.1:<random> over a fresh temp data folder, with the scripted executor. */
export async function startTestServer(
  overrides: Partial<ServerOptions> = {},
  dataDir = mkdtempSync(join(tmpdir(), "infix-server-")),
) {
  const executor = (overrides.executor as ScriptedExecutor | undefined) ?? new ScriptedExecutor();
  const server = await createServer({
    port: 0,
    dataDir,
    executor,
    catalog: () => ({ nodes: [], socketTypes: [] }),
    log: () => undefined,
    ...overrides,
  });
  return { server, executor, dataDir, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/**
 * Per-test teardown for a server test file (call once at its top level): `start` starts a
 * test server that is closed and whose data folder is removed after the test; `onCleanup`
 * adds anything else (a socket, a folder). After each test they run last-added first.
 *
 * @example const { start, onCleanup } = serverTestLifecycle(); const { server } = await start();
 */
export function serverTestLifecycle() {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const onCleanup = (cleanup: () => Promise<void> | void): void => void cleanups.push(cleanup);
  const start = async (...args: Parameters<typeof startTestServer>) => {
    const started = await startTestServer(...args);
    cleanups.push(started.cleanup, () => started.server.close());
    return started;
  };
  return { start, onCleanup };
}

/** fetch against the server with the write token (unless `token: null`) and JSON body handling. */
export async function api(
  server: InfixServer,
  method: string,
  path: string,
  options: { json?: unknown; body?: BodyInit; token?: string | null; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers["x-infix-token"] = options.token ?? server.token;
  let body = options.body;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  const res = await fetch(`${server.url}${path}`, { method, headers, body });
  const text = await res.text();
  let data: unknown = text;
  try {
    data = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, data: data as Record<string, unknown> & unknown[], headers: res.headers };
}

/** A GET with the path sent exactly as written (fetch would normalise `..` away). */
export function rawGet(server: InfixServer, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port, path, method: "GET" }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Connects a socket.io client and records every event it receives, in order. */
export function connectRecorder(
  server: InfixServer,
  options: { auth?: Record<string, string>; extraHeaders?: Record<string, string> } = {},
) {
  const socket: ClientSocket = connect(server.url, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    ...options,
  });
  const events: { name: string; payload: unknown }[] = [];
  socket.onAny((name: string, payload: unknown) => events.push({ name, payload }));
  const connected = new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", (error) => reject(error));
  });
  return { socket, events, connected };
}

/** Polls until the predicate holds (30 s at most: a loaded 2-core machine can stall a job for seconds; under the 60 s test timeout). */
export function until(predicate: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = async () => {
      if (await predicate()) return resolve();
      if (Date.now() - start > ms) return reject(new Error("timed out waiting"));
      setTimeout(tick, 5);
    };
    void tick();
  });
}

/**
 * The queue watchdog: submits a one-node job and waits until it succeeds, so a test can prove
 * that whatever it did before (a hostile request, a fault) left the queue moving.
 */
export async function expectQueueStillRuns(server: InfixServer): Promise<void> {
  const workflow = scriptedWorkflow({ watchdog: "Ok" });
  const res = await api(server, "POST", "/api/jobs", { json: { workflow, label: "watchdog" } });
  if (res.status !== 201) throw new Error(`the watchdog job was refused: ${res.status} ${JSON.stringify(res.data)}`);
  const id = (res.data.job as { id: string }).id;
  await until(async () => {
    const job = await api(server, "GET", `/api/jobs/${id}`);
    if (job.data.status === "failed" || job.data.status === "cancelled")
      throw new Error(`the watchdog job ended ${String(job.data.status)}`);
    return job.data.status === "succeeded";
  }, 15_000);
}

/**
 * JSON text with `nested` placed where `value` holds the string "<nested>": lets a test send data
 * nested deeper than JSON.stringify itself can write (`{"d":{"d":…{}}}`, `depth` levels).
 */
export function jsonWithDeepNesting(value: unknown, depth: number): string {
  const nested = `${'{"d":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;
  return JSON.stringify(value).replace('"<nested>"', nested);
}

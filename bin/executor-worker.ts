import { parentPort, workerData } from "node:worker_threads";
import { serveExecutor } from "@infix/engine/host";
import { engineSetupFromCli, type EngineCliOptions } from "./cli-engine-setup.ts";
import { lowerThreadPriority } from "./thread-priority.ts";

/**
 * The worker thread of `infix serve`: the executor, the model sessions and the node output
 * cache live here, so onnxruntime's blocking calls never hold the server's event loop.
 */

/** What the server passes the worker (plain data: it crosses the thread boundary by structured clone). */
export type ExecutorWorkerData = EngineCliOptions;

const options = workerData as ExecutorWorkerData;
const log = (message: string) => console.error(message);
// Before any session exists, so onnxruntime's threads inherit it: on a busy machine the server's
// thread (answers, cancels, heartbeats) goes first, inference after (issue #13's p99 goal).
lowerThreadPriority();
try {
  const setup = await engineSetupFromCli(options, log);
  serveExecutor(parentPort!, setup.executor, setup.cache);
} catch (error) {
  parentPort!.postMessage({ type: "start-failed", error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}

// Worker thread for thread-priority.test.ts: loads the TypeScript as bin/executor-worker.mjs does,
// lowers its own priority and reports its nice value, then that of a thread it starts after.
import { parentPort, Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
const { lowerThreadPriority } = await import("./thread-priority.ts");
const lowered = lowerThreadPriority();
const inner = new Worker(
  "import { getPriority } from 'node:os'; import { parentPort } from 'node:worker_threads'; parentPort.postMessage(getPriority(0));",
  { eval: true },
);
const child = await new Promise((resolve) => inner.once("message", resolve));
await inner.terminate();
parentPort.postMessage({ lowered, child });

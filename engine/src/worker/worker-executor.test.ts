import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { WORKFLOW_FORMAT, WORKFLOW_VERSION, type Workflow } from "../graph/workflow.ts";
import { recordEvents } from "../testing/harness.ts";
import { WorkerExecutor } from "./worker-executor.ts";

const entry = new URL("./test-worker.test-support.mjs", import.meta.url);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startWorker(hardCancelMs?: number, sectionEnded?: SharedArrayBuffer) {
  const root = mkdtempSync(join(tmpdir(), "infix-worker-"));
  const executor = await WorkerExecutor.start({
    entry,
    workerData: { root, sectionEnded },
    validate: () => [],
    hardCancelMs,
    log: () => undefined,
  });
  cleanups.push(
    () => rmSync(root, { recursive: true, force: true }),
    () => executor.close(),
  );
  return executor;
}

function busy(steps: number, stepMs: number): Workflow {
  return {
    format: WORKFLOW_FORMAT,
    version: WORKFLOW_VERSION,
    requires: [],
    nodes: { b: { type: "BusySteps", mode: "active", inputs: { steps, step_ms: stepMs } } },
  };
}

describe("WorkerExecutor", () => {
  it("runs a job in the worker thread and relays progress, previews and node events in order", async () => {
    const executor = await startWorker();
    const { events, log } = recordEvents();
    const result = await executor.execute({ workflow: busy(3, 5), signal: new AbortController().signal, events });
    expect(result).toMatchObject({ status: "succeeded", ran: ["b"], ui: { b: { text: ["3 steps"] } } });
    expect(log.map(([name]) => name)).toEqual([
      "nodeStarted",
      "progress",
      "preview",
      "progress",
      "preview",
      "progress",
      "preview",
      "nodeFinished",
    ]);
    expect(log[5]).toEqual(["progress", "b", 3, 3]);
    // The output cache lives in the worker: the same job again is served from it.
    const again = await executor.execute({ workflow: busy(3, 5), signal: new AbortController().signal, events });
    expect(again.cached).toEqual(["b"]);
    expect((await executor.cache.stats()).entries).toBe(1);
  });

  it("keeps the coordinator's event loop free while the worker's thread is blocked", async () => {
    const executor = await startWorker();
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 1);
    // 20 steps of 50 ms blocking each: in-process this would allow no tick at all during a step.
    const result = await executor.execute({
      workflow: busy(20, 50),
      signal: new AbortController().signal,
      events: recordEvents().events,
    });
    clearInterval(ticker);
    expect(result.status).toBe("succeeded");
    expect(ticks).toBeGreaterThan(100);
  });

  it("cancels mid-run: the abort lands at the next step boundary", async () => {
    const executor = await startWorker();
    const controller = new AbortController();
    const { events, log } = recordEvents();
    const running = executor.execute({ workflow: busy(10_000, 20), signal: controller.signal, events });
    while (!log.some(([name]) => name === "progress")) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error("cancelled"));
    expect((await running).status).toBe("cancelled");
    const steps = log.filter(([name]) => name === "progress").length;
    expect(steps).toBeLessThan(10_000);
  });

  it("terminates a worker that does not stop after a cancel, and runs the next job on a fresh one", async () => {
    const executor = await startWorker(100);
    const controller = new AbortController();
    const { events, log } = recordEvents();
    // One 10 s step: the abort cannot land until it ends, so the hard stop must cut it off.
    const running = executor.execute({ workflow: busy(1, 10_000), signal: controller.signal, events });
    while (!log.some(([name]) => name === "nodeStarted")) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error("cancelled"));
    expect((await running).status).toBe("cancelled");
    const next = await executor.execute({ workflow: busy(2, 1), signal: new AbortController().signal, events });
    expect(next.status).toBe("succeeded");
  });

  it("terminates a worker that ignores its cancel only once its native call has returned", async () => {
    // Terminating a thread inside an onnxruntime call aborts the whole process (native-guard.ts).
    const sectionEnded = new SharedArrayBuffer(4);
    const executor = await startWorker(10, sectionEnded);
    const controller = new AbortController();
    const { events, log } = recordEvents();
    const workflow: Workflow = {
      ...busy(1, 1),
      nodes: { n: { type: "NativeSection", mode: "active", inputs: { section_ms: 400, then_ms: 10_000 } } },
    };
    const running = executor.execute({ workflow, signal: controller.signal, events });
    // Progress 0 is sent from inside the section: the native call is under way.
    while (!log.some(([name]) => name === "progress")) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error("cancelled"));
    expect((await running).status).toBe("cancelled");
    expect(Atomics.load(new Int32Array(sectionEnded), 0)).toBe(1);
    const next = await executor.execute({ workflow: busy(2, 1), signal: new AbortController().signal, events });
    expect(next.status).toBe("succeeded");
  });
});

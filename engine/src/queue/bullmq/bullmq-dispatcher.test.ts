import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OutputCache } from "../../cache/output-cache.ts";
import { Executor } from "../../execution/executor.ts";
import type { Workflow, WorkflowNode } from "../../graph/workflow.ts";
import { NodeRegistry } from "../../nodes/registry.ts";
import { recordEvents, testFiles, testNodePackage, testResources } from "../../testing/index.ts";
import { BullmqDispatcher } from "./bullmq-dispatcher.ts";
import { DEFAULT_FARM_QUEUE, workerQueueName } from "./farm-protocol.ts";
import { startFarmWorker, type FarmWorker } from "./farm-worker.ts";
import { startTestRedis, type TestRedis } from "./redis-server.test-support.ts";

/**
 * The dispatcher and in-process farm workers on a real redis-server (the CLI's worker processes
 * are bin/farm.test.ts's business): routing by cache keys, the studio's job ids, and the moment a
 * worker takes a job.
 */

let redis: TestRedis;
let root: string;
beforeAll(async () => {
  redis = await startTestRedis();
  root = await mkdtemp(join(tmpdir(), "infix-dispatcher-"));
}, 60_000);
afterAll(async () => {
  await redis?.stop();
  await rm(root, { recursive: true, force: true });
});
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const executor = () =>
  new Executor({
    registry: new NodeRegistry([testNodePackage]),
    cache: new OutputCache({ budgetBytes: 2 ** 24 }),
    resources: testResources(),
    files: testFiles(root),
    log: { info: () => undefined, warn: () => undefined },
  });

function workflowOf(nodes: Record<string, Partial<WorkflowNode> & { type: string }>): Workflow {
  const full: Record<string, WorkflowNode> = {};
  for (const [id, node] of Object.entries(nodes)) full[id] = { mode: "active", inputs: {}, ...node };
  return { format: "infix-workflow", version: 2, nodes: full, requires: [] };
}
const seeded = (seed: number) =>
  workflowOf({
    encode: { type: "SlowCount", inputs: { steps: 3, step_ms: 5 } },
    sampler: { type: "AddInts", inputs: { a: { node: "encode", output: "count" }, b: seed } },
    show: { type: "ShowValue", inputs: { value: { node: "sampler", output: "sum" } } },
  });

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function startDispatcher(affinityWaitMs = 3000): Promise<BullmqDispatcher> {
  const planner = executor();
  const dispatcher = await BullmqDispatcher.start({
    affinityWaitMs,
    redisUrl: redis.url,
    validate: (workflow, targets) => planner.validate(workflow, targets),
    cacheKeys: async (workflow, targets) => (await planner.cacheKeys(workflow, targets))?.values(),
    sweepMs: 200,
    log: () => undefined,
  });
  cleanups.push(() => dispatcher.close());
  return dispatcher;
}

async function startWorker(name: string, lines: string[]): Promise<FarmWorker> {
  const worker = await startFarmWorker({
    redisUrl: redis.url,
    executor: executor(),
    name,
    // No test here lets a lock expire (bin/farm.test.ts kills workers): with a short lock, a renewal
    // late on a loaded machine looked like a dead worker and a 4 s job was taken over and failed.
    lockMs: 15_000,
    // Heartbeats live 3 periods: 1.5 s, so a late timer on a loaded machine does not make a live worker look gone.
    heartbeatMs: 500,
    log: (line) => lines.push(line),
  });
  cleanups.push(() => worker.close());
  return worker;
}

const run = (dispatcher: BullmqDispatcher, jobId: string, workflow: Workflow, onStart?: () => void) =>
  dispatcher.run({
    jobId,
    workflow,
    signal: new AbortController().signal,
    events: recordEvents().events,
    started: onStart,
  });

describe("BullmqDispatcher", () => {
  it("says when a worker takes a job (not when it enters Redis), and the worker names it by the studio's id", async () => {
    const dispatcher = await startDispatcher();
    let starts = 0;
    const result = run(dispatcher, "studio-job-1", seeded(1), () => (starts += 1));
    const queue = new Queue(DEFAULT_FARM_QUEUE, {
      connection: { host: "127.0.0.1", port: redis.port, password: redis.password },
    });
    cleanups.push(() => queue.close());
    await until(async () => (await queue.getJob("studio-job-1")) !== undefined);
    expect(starts).toBe(0);
    const lines: string[] = [];
    await startWorker("t1", lines);
    expect(await result).toMatchObject({ status: "succeeded" });
    expect(starts).toBe(1);
    expect(lines.some((line) => line.includes("job studio-job-1 started"))).toBe(true);
  }, 60_000);

  it("routes a re-run to the worker whose cache holds its upstream keys, where only the changed nodes run", async () => {
    const dispatcher = await startDispatcher();
    const first: string[] = [];
    await startWorker("r1", first);
    const original = await run(dispatcher, "route-1", seeded(1));
    expect(original.ran).toEqual(["encode", "sampler", "show"]);
    const second: string[] = [];
    await startWorker("r2", second);
    for (const seed of [2, 3, 4]) {
      const rerun = await run(dispatcher, `route-${seed}`, seeded(seed));
      expect(rerun).toMatchObject({ status: "succeeded" });
      expect(rerun.ran).toEqual(["sampler", "show"]);
      expect(rerun.cached).toEqual(["encode"]);
    }
    expect(first.filter((line) => /job route-\d started .*routed here/.test(line))).toHaveLength(3);
    expect(second.filter((line) => line.includes(" started "))).toHaveLength(0);
  }, 60_000);

  it("a re-run whose worker stays busy past the affinity wait goes to an idle worker through the shared queue", async () => {
    const dispatcher = await startDispatcher(300);
    const busy: string[] = [];
    await startWorker("b1", busy);
    await run(dispatcher, "busy-1", seeded(1));
    const idle: string[] = [];
    await startWorker("b2", idle);
    // b1 holds busy-1's encoder: a long job routed to it by that key keeps it busy.
    const long = workflowOf({
      encode: { type: "SlowCount", inputs: { steps: 3, step_ms: 5 } },
      wait: { type: "SlowCount", inputs: { steps: 200, step_ms: 20 } },
      sum: {
        type: "AddInts",
        inputs: { a: { node: "encode", output: "count" }, b: { node: "wait", output: "count" } },
      },
      show: { type: "ShowValue", inputs: { value: { node: "sum", output: "sum" } } },
    });
    const longRun = run(dispatcher, "busy-long", long);
    await until(() => busy.some((line) => line.includes("job busy-long started")));
    const rerun = await run(dispatcher, "busy-2", seeded(2));
    expect(rerun).toMatchObject({ status: "succeeded" });
    expect(idle.some((line) => line.includes("job busy-2 started") && line.includes("shared queue"))).toBe(true);
    expect(await longRun).toMatchObject({ status: "succeeded" });
  }, 60_000);

  it("moves a job routed to a worker that stopped to the shared queue, where another worker runs it", async () => {
    const dispatcher = await startDispatcher();
    const gone = await startWorker("g1", []);
    await run(dispatcher, "gone-1", seeded(1));
    await gone.close();
    const survivor: string[] = [];
    await startWorker("g2", survivor);
    const rerun = await run(dispatcher, "gone-2", seeded(2));
    expect(rerun).toMatchObject({ status: "succeeded" });
    expect(rerun.ran).toEqual(["encode", "sampler", "show"]);
    expect(survivor.some((line) => line.includes("job gone-2 started") && line.includes("shared queue"))).toBe(true);
    // The stopped worker's queue is left empty.
    const own = new Queue(workerQueueName(DEFAULT_FARM_QUEUE, "g1"), {
      connection: { host: "127.0.0.1", port: redis.port, password: redis.password },
    });
    cleanups.push(() => own.close());
    expect(await own.getWaitingCount()).toBe(0);
  }, 60_000);
});

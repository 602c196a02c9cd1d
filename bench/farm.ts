import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Job } from "@infix/protocol";
import type { InfixServer } from "@infix/engine/server";
import { startTestRedis, type TestRedis } from "@infix/engine/testing";
import { serve } from "../bin/serve-command.ts";

/**
 * The farm (issue #13, part 2) on loopback, with a real redis-server and `infix worker`
 * processes running the engine's test nodes:
 * - throughput of N jobs of a 200 ms SlowCount with 1, 2 and 4 workers, and the scaling ratio;
 * - coordinator overhead per job: sequential instant jobs, farm (1 worker) vs embedded `serve`;
 * - recovery after `kill -9` of a busy worker (lock 2 s): kill → another worker starts the job;
 * - cache affinity: nodes 20 seed-change re-runs execute on 4 workers vs on one (goal: equal).
 */

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const cli = fileURLToPath(new URL("../bin/infix.mjs", import.meta.url));
const LOCK_MS = 2000;

interface WorkerProcess {
  child: ChildProcess;
  log: () => string;
}

function startWorker(redis: TestRedis, data: string, name: string): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [cli, "worker", "--redis", redis.url, "--data", data, "--test-nodes", "--name", name, "--lock-ms", String(LOCK_MS)],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("is taking jobs")) resolve({ child, log: () => log });
    });
    child.once("exit", (code) => reject(new Error(`worker ${name} exited (${code}): ${log}`)));
  });
}

async function stopWorker(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once("exit", resolve));
  worker.child.kill("SIGKILL");
  await exited;
}

const countTo = (steps: number, stepMs: number, tag: number) => ({
  format: "infix-workflow",
  version: 1,
  // The tag makes each workflow distinct, so no worker serves it from its output cache.
  nodes: {
    c: { type: "SlowCount", inputs: { steps, step_ms: stepMs + tag } },
    add: { type: "AddInts", inputs: { a: { node: "c", output: "count" }, b: tag } },
    show: { type: "ShowValue", inputs: { value: { node: "add", output: "sum" } } },
  },
});

function client(server: InfixServer) {
  const call = async (method: string, path: string, json?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { "x-infix-token": server.token, "content-type": "application/json" },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const job = async (id: string) => (await call("GET", `/api/jobs/${id}`)) as unknown as Job;
  return {
    job,
    submit: async (workflow: unknown) => ((await call("POST", "/api/jobs", { workflow })).job as { id: string }).id,
    done: async (id: string) => {
      for (;;) {
        const status = (await job(id)).status;
        if (status === "succeeded") return;
        if (status === "failed" || status === "cancelled") throw new Error(`job ${id} ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

async function coordinator(data: string, redis?: TestRedis, noCacheAffinity = false): Promise<InfixServer> {
  return serve(
    repoRoot,
    {
      port: 0,
      host: "127.0.0.1",
      data,
      testNodes: true,
      device: "cpu",
      graphOptimization: "all",
      redis: redis?.url,
      noCacheAffinity,
    },
    () => undefined,
  );
}

/** Mean ms per job over `count` sequential instant jobs. */
async function sequentialMs(server: InfixServer, count: number, tagBase: number): Promise<number> {
  const { submit, done } = client(server);
  await done(await submit(countTo(0, 0, tagBase - 1))); // warm-up
  const start = performance.now();
  for (let i = 0; i < count; i++) await done(await submit(countTo(0, 0, tagBase + i)));
  return (performance.now() - start) / count;
}

export async function benchFarm(jobs = 16): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "infix-bench-farm-"));
  const redis = await startTestRedis();
  const workers: WorkerProcess[] = [];
  try {
    const data = join(dir, "data");
    const server = await coordinator(data, redis);
    const { submit, done } = client(server);
    console.log(`farm: ${jobs} jobs of SlowCount (5 steps × 40–55 ms), test nodes, loopback Redis`);
    const rates: number[] = [];
    for (const count of [1, 2, 4]) {
      // Fresh workers each round (empty output caches), the same jobs: 5 steps of 40 + i ms.
      for (const worker of workers.splice(0)) await stopWorker(worker);
      for (let i = 0; i < count; i++) workers.push(await startWorker(redis, data, `b${count}-${i}`));
      const start = performance.now();
      const ids = [];
      for (let i = 0; i < jobs; i++) ids.push(await submit(countTo(5, 40, i)));
      for (const id of ids) await done(id);
      const seconds = (performance.now() - start) / 1000;
      rates.push(jobs / seconds);
      console.log(
        `  ${count} worker${count > 1 ? "s" : " "}  ${(jobs / seconds).toFixed(2)} jobs/s  (${seconds.toFixed(2)} s; ${(rates.at(-1)! / rates[0]).toFixed(2)}× one worker)`,
      );
    }
    for (const worker of workers.splice(1)) await stopWorker(worker);
    const farmMs = await sequentialMs(server, 20, 200);

    // Recovery: a long job on the one worker, a second idle worker, kill -9 the busy one.
    const spare = await startWorker(redis, data, "spare");
    workers.push(spare);
    const id = await submit(countTo(400, 25, 100));
    while (!workers[0].log().includes("started (attempt") || workers[0].log().split("started (attempt").length < 2)
      await new Promise((resolve) => setTimeout(resolve, 5));
    const sparesBefore = spare.log().split("started (attempt").length;
    const killedAt = performance.now();
    await stopWorker(workers[0]);
    while (spare.log().split("started (attempt").length === sparesBefore)
      await new Promise((resolve) => setTimeout(resolve, 5));
    const recoveryMs = performance.now() - killedAt;
    await done(id);
    await server.close();

    const embedded = await coordinator(join(dir, "embedded"));
    const embeddedMs = await sequentialMs(embedded, 20, 300);
    await embedded.close();
    console.log(
      `  per instant job, sequential: farm ${farmMs.toFixed(1)} ms, embedded ${embeddedMs.toFixed(1)} ms → coordinator overhead ${(farmMs - embeddedMs).toFixed(1)} ms/job`,
    );
    console.log(
      `  recovery after kill -9 of a busy worker (lock ${LOCK_MS} ms): another worker starts the job ${(recoveryMs / 1000).toFixed(2)} s later`,
    );
  } finally {
    for (const worker of workers) await stopWorker(worker);
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  await benchFarmAffinity();
}

/** A workflow shaped like a generation: slow encoders a seed change keeps, a sampler it changes, what follows. */
const seeded = (workflow: number, seed: number) => ({
  format: "infix-workflow",
  version: 1,
  nodes: {
    encode: { type: "SlowCount", inputs: { steps: 5, step_ms: 40 + workflow } },
    sampler: { type: "SlowCount", inputs: { steps: seed, step_ms: 10 + workflow } },
    combine: {
      type: "AddInts",
      inputs: { a: { node: "encode", output: "count" }, b: { node: "sampler", output: "count" } },
    },
    show: { type: "ShowValue", inputs: { value: { node: "combine", output: "sum" } } },
  },
});

/**
 * Cache affinity: `workerCount` fresh workers run 4 workflows once, then 20 seed-change re-runs
 * (5 waves of one re-run of each, submitted together); returns the nodes the re-runs executed
 * (not served from a cache) and how many re-runs executed their encoder again.
 */
async function affinityRound(redis: TestRedis, dir: string, workerCount: number, label: string, affinity = true) {
  const data = join(dir, `affinity-${label}`);
  const workers: WorkerProcess[] = [];
  const server = await coordinator(data, redis, !affinity);
  try {
    for (let i = 0; i < workerCount; i++) workers.push(await startWorker(redis, data, `${label}-${i}`));
    const { submit, done, job } = client(server);
    const wave = async (seed: number) => {
      const ids = await Promise.all([0, 1, 2, 3].map((workflow) => submit(seeded(workflow, seed))));
      for (const id of ids) await done(id);
      return Promise.all(ids.map(job));
    };
    await wave(2);
    let executed = 0;
    let encoderAgain = 0;
    for (const seed of [3, 4, 5, 6, 7]) {
      for (const finished of await wave(seed)) {
        executed += Object.values(finished.nodes).filter((node) => node.status === "done").length;
        if (finished.nodes.encode.status === "done") encoderAgain += 1;
      }
    }
    return { executed, encoderAgain };
  } finally {
    for (const worker of workers) await stopWorker(worker);
    await server.close();
  }
}

export async function benchFarmAffinity(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "infix-bench-affinity-"));
  const redis = await startTestRedis();
  try {
    const one = await affinityRound(redis, dir, 1, "one");
    const four = await affinityRound(redis, dir, 4, "four");
    const blind = await affinityRound(redis, dir, 4, "blind", false);
    console.log("farm cache affinity: 4 workflows, 20 seed-change re-runs (5 waves of 4), 4 nodes each");
    const hits = (round: { encoderAgain: number }) => `${(100 * (1 - round.encoderAgain / 20)).toFixed(0)}%`;
    console.log(`  1 worker : ${one.executed} nodes re-executed, encoder served from cache in ${hits(one)} of re-runs`);
    console.log(
      `  4 workers: ${four.executed} nodes re-executed, encoder served from cache in ${hits(four)} of re-runs (${(four.executed / one.executed).toFixed(2)}× the single worker; goal 1.00)`,
    );
    console.log(
      `  4 workers without affinity (shared queue only): ${blind.executed} nodes re-executed, encoder served from cache in ${hits(blind)} of re-runs (${(blind.executed / one.executed).toFixed(2)}×)`,
    );
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  // `npx tsx bench/farm.ts affinity`: the cache-affinity figure alone.
  await (process.argv[2] === "affinity" ? benchFarmAffinity() : benchFarm());
  process.exit(0);
}

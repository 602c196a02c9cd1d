import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "@infix/protocol";
import { Queue } from "bullmq";
import { io } from "socket.io-client";
import type { InfixServer } from "@infix/engine/server";
import { startTestRedis, type TestRedis } from "@infix/engine/testing";
import { serve } from "./serve-command.ts";
import { studioApi } from "./studio-api.test-support.ts";

/**
 * The farm (issue #13, part 2) end to end: a real redis-server with a password and AOF, a
 * coordinator (`serve` with `redis`), and `infix worker` processes. Nothing is mocked at the
 * Redis boundary; the faults are real `kill -9`s.
 */

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const cli = fileURLToPath(new URL("./infix.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "infix-farm-"));
let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
}, 60_000);
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  log: () => string;
}

/** Starts `infix worker` and resolves once it takes jobs. */
function startWorkerProcess(name: string, data: string, redisUrl = redis.url, lockMs = 2000): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [cli, "worker", "--redis", redisUrl, "--data", data, "--test-nodes", "--name", name, "--lock-ms", String(lockMs)],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  cleanups.push(() => void child.kill("SIGKILL"));
  let log = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes(`worker ${name} is taking jobs`)) resolve({ name, child, log: () => log });
    });
    child.once("exit", (code) => reject(new Error(`worker ${name} exited (${code}) before taking jobs: ${log}`)));
  });
}

async function startCoordinator(data: string): Promise<InfixServer> {
  const server = await serve(
    repoRoot,
    { port: 0, host: "127.0.0.1", data, testNodes: true, device: "cpu", graphOptimization: "all", redis: redis.url },
    () => undefined,
  );
  cleanups.push(() => server.close());
  return server;
}

function client(server: InfixServer) {
  const call = studioApi(server);
  return {
    call,
    /** `clientId`: the socket that should get the job's events (it joins the job's room). */
    submit: async (workflow: unknown, clientId?: string) =>
      ((await call("POST", "/api/jobs", { workflow, clientId })).data.job as { id: string }).id,
    job: async (id: string) => (await call("GET", `/api/jobs/${id}`)).data as unknown as Job,
  };
}

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}

const countTo = (steps: number, stepMs: number, tag = 0) => ({
  format: "infix-workflow",
  version: 1,
  nodes: {
    // `tag` makes each workflow distinct, so no worker serves it from its output cache.
    c: { type: "SlowCount", inputs: { steps, step_ms: stepMs + tag } },
    show: { type: "ShowValue", inputs: { value: { node: "c", output: "count" } } },
  },
});

/** The farm's shared BullMQ queue, to look at from outside (closed after the test). */
function farmQueue(): Queue {
  const queue = new Queue("infix-jobs", {
    connection: { host: "127.0.0.1", port: redis.port, password: redis.password },
  });
  cleanups.push(() => queue.close());
  return queue;
}

const finished = (job: Job) => job.status === "succeeded" || job.status === "failed" || job.status === "cancelled";

describe("infix serve --redis with infix worker processes", () => {
  it("runs jobs on several workers and relays their node events and progress to socket clients", async () => {
    const data = join(dir, "spread");
    const workers = await Promise.all(["w1", "w2"].map((name) => startWorkerProcess(name, data)));
    const server = await startCoordinator(data);
    const { submit, job, call } = client(server);
    const socket = io(server.url, { transports: ["websocket"], reconnection: false, forceNew: true });
    cleanups.push(() => void socket.close());
    const seen: string[] = [];
    socket.onAny((name: string, payload: { jobId?: string; nodeId?: string }) => {
      if (name.startsWith("node:") || name === "progress") seen.push(`${payload.jobId}:${name}:${payload.nodeId}`);
    });
    await until(() => socket.connected);
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await submit(countTo(5, 20, i), socket.id));
    for (const id of ids) await until(async () => finished(await job(id)));
    for (const id of ids) {
      const done = await job(id);
      expect(done.status).toBe("succeeded");
      expect(done.nodes.show.ui).toEqual({ text: ["5"] });
      expect(seen).toContain(`${id}:node:finished:show`);
      expect(seen).toContain(`${id}:progress:c`);
    }
    // Both workers took jobs.
    for (const worker of workers) expect(worker.log()).toMatch(/job \S+ succeeded/);
    // The caches are the workers'; the coordinator says it has none rather than show an empty one.
    expect((await call("GET", "/api/cache")).status).toBe(404);
  }, 120_000);

  it("a worker killed mid-job: another worker takes the job over and finishes it once; killed twice, it fails with the reason", async () => {
    const data = join(dir, "kill");
    // Four: one dies with each takeover, and the stalled check needs a live worker to run.
    const workers = await Promise.all(["k1", "k2", "k3", "k4"].map((name) => startWorkerProcess(name, data)));
    const server = await startCoordinator(data);
    const { submit, job } = client(server);
    // The runner is the worker that starts a new job.
    const starts = (w: WorkerProcess) =>
      w
        .log()
        .split("\n")
        .filter((line) => / started \(attempt/.test(line)).length;
    const startsNow = () => new Map(workers.map((w) => [w, starts(w)]));
    const nextRunner = async (before: Map<WorkerProcess, number>, alive: WorkerProcess[]) => {
      let runner: WorkerProcess | undefined;
      await until(() => (runner = alive.find((w) => starts(w) > before.get(w)!)) !== undefined);
      return runner!;
    };

    let before = startsNow();
    const id = await submit(countTo(150, 50, 1));
    const first = await nextRunner(before, workers);
    before = startsNow();
    await killHard(first.child);
    let alive = workers.filter((w) => w !== first);
    await until(async () => finished(await job(id)));
    expect((await job(id)).status).toBe("succeeded");
    expect((await job(id)).nodes.show.ui).toEqual({ text: ["150"] });
    const successor = await nextRunner(before, alive);
    // Workers name jobs by the studio's ids.
    const succeeded = (w: WorkerProcess) => (w.log().match(new RegExp(`job ${id} succeeded`, "g")) ?? []).length;
    expect(succeeded(first)).toBe(0);
    expect(succeeded(successor)).toBe(1);
    expect(workers.map(succeeded).reduce((a, b) => a + b)).toBe(1);

    // The second takeover is refused: a job that kills its workers must not take down the farm.
    before = startsNow();
    const doomed = await submit(countTo(150, 50, 2));
    const second = await nextRunner(before, alive);
    before = startsNow();
    await killHard(second.child);
    alive = alive.filter((w) => w !== second);
    const third = await nextRunner(before, alive);
    await killHard(third.child);
    await until(async () => finished(await job(doomed)));
    const failed = await job(doomed);
    expect(failed.status).toBe("failed");
    expect(failed.error?.message).toMatch(/stalled more than allowable limit/);
  }, 180_000);

  it("a job that blocks its thread for 3 lock periods keeps its lock: it runs once, on one worker", async () => {
    const data = join(dir, "blocking");
    const lockMs = 1000;
    const workers = await Promise.all(["b1", "b2"].map((name) => startWorkerProcess(name, data, redis.url, lockMs)));
    const server = await startCoordinator(data);
    const { submit, job } = client(server);
    const id = await submit({
      format: "infix-workflow",
      version: 1,
      nodes: {
        block: { type: "BlockingWait", inputs: { ms: 3 * lockMs } },
        show: { type: "ShowValue", inputs: { value: { node: "block", output: "ms" } } },
      },
    });
    await until(async () => finished(await job(id)));
    expect((await job(id)).status).toBe("succeeded");
    expect((await job(id)).nodes.show.ui).toEqual({ text: [String(3 * lockMs)] });
    const starts = workers.map((w) => (w.log().match(/ started \(attempt/g) ?? []).length);
    expect(starts.reduce((a, b) => a + b)).toBe(1);
  }, 120_000);

  it("a cancel reaches the worker running the job, and a job still waiting in Redis is taken back", async () => {
    const data = join(dir, "cancel");
    await startWorkerProcess("c1", data);
    const server = await startCoordinator(data);
    const { submit, job, call } = client(server);
    const running = await submit(countTo(10_000, 5, 3));
    const waiting = await submit(countTo(5, 5, 4));
    await until(async () => (await job(running)).nodes.c?.progress !== undefined);
    expect((await call("POST", `/api/jobs/${waiting}/cancel`)).status).toBe(200);
    expect((await call("POST", `/api/jobs/${running}/cancel`)).status).toBe(200);
    await until(async () => finished(await job(running)) && finished(await job(waiting)));
    expect((await job(running)).status).toBe("cancelled");
    expect((await job(waiting)).status).toBe("cancelled");
    const after = await submit(countTo(2, 5, 5));
    await until(async () => finished(await job(after)));
    expect((await job(after)).status).toBe("succeeded");
  }, 120_000);

  it("Redis killed and restarted with AOF: the jobs it held are not lost", async () => {
    const data = join(dir, "aof");
    const server = await startCoordinator(data);
    const inRedis = farmQueue();
    const { submit, job } = client(server);
    // No worker yet: the jobs wait in Redis when it dies (under the studio's job ids), and the
    // studio shows them as queued, not running, until a worker takes them.
    const ids = [await submit(countTo(3, 5, 6)), await submit(countTo(3, 5, 7))];
    await until(async () => (await Promise.all(ids.map((id) => inRedis.getJob(id)))).every(Boolean));
    for (const id of ids) expect((await job(id)).status).toBe("queued");
    await redis.kill();
    await redis.restart();
    await startWorkerProcess("a1", data);
    for (const id of ids) await until(async () => finished(await job(id)));
    for (const id of ids) expect((await job(id)).status).toBe("succeeded");
  }, 120_000);

  it("a coordinator that starts drops the jobs its predecessor left waiting in Redis (its journal reads them as interrupted)", async () => {
    const data = join(dir, "leftover");
    const leftover = new Queue("infix-jobs", {
      connection: { host: "127.0.0.1", port: redis.port, password: redis.password },
    });
    await leftover.add("run", { workflow: countTo(1, 1, 8) });
    const server = await startCoordinator(data);
    expect(await leftover.getWaitingCount()).toBe(0);
    const worker = await startWorkerProcess("l1", data);
    const { submit, job } = client(server);
    const id = await submit(countTo(1, 1, 9));
    await until(async () => finished(await job(id)));
    expect(worker.log().match(/ started \(attempt/g)).toHaveLength(1);
    await leftover.close();
  }, 60_000);

  it("refuses a worker with the wrong Redis password, saying so", async () => {
    const wrong = redis.url.replace(redis.password, "not-the-password");
    await expect(startWorkerProcess("x1", join(dir, "auth"), wrong)).rejects.toThrow(/WRONGPASS|NOAUTH|invalid/i);
  }, 60_000);
});

/**
 * A BLIP-Diffusion-shaped workflow of test nodes: slow "encoders" whose outputs a seed change does
 * not touch, a "sampler" whose step count stands for the seed, and what follows it.
 */
const seeded = (seed: number, tag: number, samplerStepMs = 5) => ({
  format: "infix-workflow",
  version: 1,
  nodes: {
    encode: { type: "SlowCount", inputs: { steps: 5, step_ms: 20 + tag } },
    sampler: { type: "SlowCount", inputs: { steps: seed, step_ms: samplerStepMs } },
    combine: {
      type: "AddInts",
      inputs: { a: { node: "encode", output: "count" }, b: { node: "sampler", output: "count" } },
    },
    show: { type: "ShowValue", inputs: { value: { node: "combine", output: "sum" } } },
  },
});

/** Workers' log lines saying they started job `id` (and from which queue). */
const startsOf = (workers: WorkerProcess[], id: string) =>
  workers.flatMap((w) =>
    w
      .log()
      .split("\n")
      .filter((line) => line.includes(`job ${id} started`))
      .map((line) => `${w.name}: ${line.includes("routed here") ? "own" : "shared"}`),
  );

describe("cache affinity: a job goes to the worker holding its upstream outputs", () => {
  it("a seed-change re-run goes to the worker that ran the workflow and re-executes only the sampler and what follows", async () => {
    const data = join(dir, "affinity");
    const first = await startWorkerProcess("a1", data);
    const server = await startCoordinator(data);
    const { submit, job } = client(server);
    const original = await submit(seeded(3, 1));
    await until(async () => finished(await job(original)));
    expect((await job(original)).status).toBe("succeeded");
    // Two more workers, idle: without affinity, the shared queue would hand the re-runs to any.
    const workers = [first, ...(await Promise.all(["a2", "a3"].map((name) => startWorkerProcess(name, data))))];
    for (const seed of [4, 5, 6]) {
      const rerun = await submit(seeded(seed, 1));
      await until(async () => finished(await job(rerun)));
      const done = await job(rerun);
      expect(done.status).toBe("succeeded");
      expect(done.nodes.show.ui).toEqual({ text: [String(5 + seed)] });
      expect(startsOf(workers, rerun)).toEqual(["a1: own"]);
      expect(done.nodes.encode.status).toBe("cached");
      for (const id of ["sampler", "combine", "show"]) expect(done.nodes[id].status).toBe("done");
    }
    // A workflow no worker has seen goes to the shared queue.
    const other = await submit(seeded(3, 2, 7));
    await until(async () => finished(await job(other)));
    expect(startsOf(workers, other)).toHaveLength(1);
    expect(startsOf(workers, other)[0]).toMatch(/: shared$/);
  }, 180_000);

  it("with the preferred worker dead, before or during the re-run, the job still runs on another worker, once", async () => {
    const data = join(dir, "affinity-dead");
    const preferred = await startWorkerProcess("d1", data);
    const server = await startCoordinator(data);
    const { submit, job } = client(server);
    const original = await submit(seeded(2, 3));
    await until(async () => finished(await job(original)));
    const others = await Promise.all(["d2", "d3"].map((name) => startWorkerProcess(name, data)));
    const workers = [preferred, ...others];

    // Killed while running the re-run routed to it: its lock expires, the coordinator moves the
    // job to the shared queue, and another worker runs it whole (it holds no cached encoder).
    const during = await submit(seeded(200, 3, 25));
    await until(() => startsOf(workers, during).length > 0);
    expect(startsOf(workers, during)).toEqual(["d1: own"]);
    await killHard(preferred.child);
    await until(async () => finished(await job(during)));
    const rescued = await job(during);
    expect(rescued.status).toBe("succeeded");
    expect(rescued.nodes.show.ui).toEqual({ text: ["205"] });
    expect(startsOf(workers, during)).toHaveLength(2);
    expect(startsOf(workers, during)[1]).toMatch(/^d[23]: shared$/);
    expect(workers.map((w) => (w.log().match(new RegExp(`job ${during} succeeded`, "g")) ?? []).length)).toEqual(
      expect.arrayContaining([1, 0, 0]),
    );

    // Dead before the re-run: it is routed by what the survivor now holds, or shared.
    const after = await submit(seeded(4, 3));
    await until(async () => finished(await job(after)));
    expect((await job(after)).status).toBe("succeeded");
    expect(startsOf(workers, after)).toHaveLength(1);
    expect(startsOf(workers, after)[0]).not.toMatch(/^d1/);
  }, 180_000);
});

describe("several coordinators serving one farm", () => {
  it("a client on coordinator B gets the events of a job submitted through A, and a coordinator that starts leaves A's waiting jobs alone", async () => {
    const [a, b] = [
      await startCoordinator(join(dir, "coordinator-a")),
      await startCoordinator(join(dir, "coordinator-b")),
    ];
    const socket = io(b.url, { transports: ["websocket"], reconnection: false, forceNew: true });
    cleanups.push(() => void socket.close());
    const seen: string[] = [];
    socket.onAny((name: string, payload: { jobId?: string; nodeId?: string }) => {
      seen.push(`${payload.jobId}:${name}${payload.nodeId ? `:${payload.nodeId}` : ""}`);
    });
    await until(() => socket.connected);
    // Submitted through A by a client whose socket is on B (as behind a load balancer); no
    // worker yet, so it waits in Redis.
    const { call, job } = client(a);
    const submitted = await call("POST", "/api/jobs", { workflow: countTo(5, 10, 20), clientId: socket.id });
    const id = (submitted.data.job as { id: string }).id;
    const inRedis = farmQueue();
    await until(async () => (await inRedis.getJob(id)) !== undefined);
    // A third coordinator starting now drops only its own or dead coordinators' leftovers.
    await startCoordinator(join(dir, "coordinator-c"));
    await startWorkerProcess("m1", join(dir, "coordinator-a"));
    await until(async () => finished(await job(id)));
    expect((await job(id)).status).toBe("succeeded");
    await until(() => seen.includes(`${id}:job:succeeded`));
    expect(seen).toContain(`${id}:node:finished:show`);
    expect(seen).toContain(`${id}:progress:c`);
    // B itself knows nothing of A's job: its events came through Redis.
    expect((await client(b).call("GET", `/api/jobs/${id}`)).status).toBe(404);
  }, 120_000);
});

async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

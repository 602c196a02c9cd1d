import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { Job } from "@infix/protocol";
import { ensureTinyPack } from "../nodes/src/pack/tiny/index.ts";

/**
 * Server responsiveness while a job runs (issue #13): the studio on the small pack (256 px, 25
 * steps; the tiny pack where the machine cannot afford it) runs jobs, and a client measures, during the sampler, the latency of GET /api/config
 * (open loop: one request every 10 ms, whatever the answers do) and of POST …/cancel (from the
 * request to its answer, and to the job reading cancelled). Jobs on the server's own thread
 * (`--in-process`, before the split) against jobs in the worker thread (after). Goal: p99 < 50 ms.
 */

const here = dirname(fileURLToPath(import.meta.url));

export interface WorkerBenchRow {
  mode: "in-process" | "worker";
  configMs: { p50: number; p99: number; max: number; count: number };
  cancelAnswerMs: { p50: number; p99: number; max: number; count: number };
  cancelledMs: { p50: number; p99: number; max: number; count: number };
}

interface Studio {
  url: string;
  token: string;
  child: ChildProcess;
}

async function startStudio(data: string, models: string, inProcess: boolean): Promise<Studio> {
  const child = spawn(
    process.execPath,
    [
      // INFIX_BENCH_CPU_PROF=<dir>: a V8 CPU profile of the studio's threads, to see what the server's thread does.
      ...(process.env.INFIX_BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.INFIX_BENCH_CPU_PROF}`] : []),
      "--import",
      "tsx",
      join(here, "worker-server.ts"),
      data,
      models,
      ...(inProcess ? ["--in-process"] : []),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\S+) (\S+)\n/.exec(out);
      if (match) resolve({ url: match[1], token: match[2], child });
    });
    child.once("exit", (code) => reject(new Error(`the studio exited (${code}) before serving`)));
  });
}

async function call(studio: Studio, method: string, path: string, json?: unknown) {
  const res = await fetch(`${studio.url}${path}`, {
    method,
    headers: { "x-infix-token": studio.token, "content-type": "application/json" },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  return (await res.json()) as Record<string, unknown>;
}

const show = (s: WorkerBenchRow["configMs"]) =>
  `p50 ${s.p50.toFixed(1)} p99 ${s.p99.toFixed(1)} max ${s.max.toFixed(1)} ms (n=${s.count})`;

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN, count: sorted.length };
}

/** Submits the workflow with `seed` (so the sampler really runs) and resolves once the sampler has made `step` steps. */
async function submitAndReachSampler(studio: Studio, workflow: unknown, seed: number, step = 2): Promise<string> {
  const body = structuredClone(workflow) as { nodes: Record<string, { inputs: Record<string, unknown> }> };
  body.nodes.sampler.inputs.seed = seed;
  const id = ((await call(studio, "POST", "/api/jobs", { workflow: body })).job as { id: string }).id;
  for (;;) {
    const job = (await call(studio, "GET", `/api/jobs/${id}`)) as unknown as Job;
    if ((job.nodes.sampler?.progress?.step ?? 0) >= step) return id;
    if (job.status !== "running" && job.status !== "queued") throw new Error(`job ended ${job.status} before sampling`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Polls the job until `done`. Every 2 ms where the time to an end is measured (a cancel); while
 * the probes run, every 25 ms: a full job (workflow included) 500 times a second was most of the
 * server thread's work then, and of the client's (profiled with INFIX_BENCH_CPU_PROF).
 */
async function waitFor(studio: Studio, id: string, done: (job: Job) => boolean, pollMs = 2): Promise<void> {
  while (!done((await call(studio, "GET", `/api/jobs/${id}`)) as unknown as Job))
    await new Promise((resolve) => setTimeout(resolve, pollMs));
}

/**
 * Runs the benchmark and prints one line per mode.
 * @example await benchWorker({ cancels: 5 })
 */
export async function benchWorker(
  options: { cancels?: number; pack?: "tiny" | "small"; size?: number; modes?: readonly WorkerBenchRow["mode"][] } = {},
): Promise<WorkerBenchRow[]> {
  const pack = options.pack ?? "small";
  const size = options.size ?? 256;
  const root = mkdtempSync(join(tmpdir(), "infix-bench-worker-"));
  const models = join(root, "models");
  mkdirSync(models);
  if (pack === "small") symlinkSync(await ensureTinyPack({ size: "small" }), join(models, "small"));
  const workflow = JSON.parse(readFileSync(join(here, "..", "examples", "zero-shot-generation.json"), "utf8")) as {
    nodes: Record<string, { inputs: Record<string, unknown> }>;
  };
  workflow.nodes.pack.inputs.pack = pack;
  Object.assign(workflow.nodes.latent.inputs, { width: size, height: size });
  workflow.nodes.sampler.inputs.steps = 25;
  const rows: WorkerBenchRow[] = [];
  console.log(`worker: server latency while the sampler runs (${pack} pack, ${size} px, 25 steps)`);
  try {
    for (const mode of options.modes ?? (["in-process", "worker"] as const)) {
      const studio = await startStudio(join(root, mode), models, mode === "in-process");
      try {
        // Warm up: sessions load on the first job.
        const warm = await submitAndReachSampler(studio, workflow, 1, 1);
        await waitFor(studio, warm, (job) => job.status !== "running" && job.status !== "queued");

        const config: number[] = [];
        const probed = await submitAndReachSampler(studio, workflow, 2, 1);
        const inFlight: Promise<void>[] = [];
        const probes = setInterval(() => {
          const started = performance.now();
          inFlight.push(
            fetch(`${studio.url}/api/config`).then(async (res) => {
              await res.arrayBuffer();
              config.push(performance.now() - started);
            }),
          );
        }, 10);
        await waitFor(studio, probed, (job) => job.nodes.sampler.status !== "running", 25).finally(() =>
          clearInterval(probes),
        );
        await Promise.all(inFlight);
        await waitFor(studio, probed, (job) => job.status !== "running" && job.status !== "queued");
        console.log(`  ${mode.padEnd(10)} GET /api/config ${show(summary(config))}`);

        const answers: number[] = [];
        const cancelled: number[] = [];
        for (let round = 0; round < (options.cancels ?? 5); round++) {
          const id = await submitAndReachSampler(studio, workflow, 100 + round, 3);
          const started = performance.now();
          await call(studio, "POST", `/api/jobs/${id}/cancel`);
          answers.push(performance.now() - started);
          await waitFor(studio, id, (job) => job.status !== "running" && job.status !== "queued");
          // A job that finished before its cancel was read counts as never cancelled: the worst case.
          const ended = (await call(studio, "GET", `/api/jobs/${id}`)) as unknown as Job;
          cancelled.push(ended.status === "cancelled" ? performance.now() - started : Number.POSITIVE_INFINITY);
        }
        const row: WorkerBenchRow = {
          mode,
          configMs: summary(config),
          cancelAnswerMs: summary(answers),
          cancelledMs: summary(cancelled),
        };
        rows.push(row);
        console.log(`  ${"".padEnd(10)} cancel answered ${show(row.cancelAnswerMs)}`);
        console.log(`  ${"".padEnd(10)} job cancelled   ${show(row.cancelledMs)}`);
      } finally {
        studio.child.kill("SIGTERM");
        await new Promise((resolve) => studio.child.once("exit", resolve));
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // `npx tsx bench/worker.ts [tiny|small] [size] [cancels] [worker|in-process]`: a loaded machine may only
  // afford the tiny pack, or only the worker mode (the in-process server can stall past a client's timeout).
  const [pack, size, cancels, mode] = process.argv.slice(2);
  await benchWorker({
    pack: pack === "tiny" ? "tiny" : undefined,
    size: size ? Number(size) : undefined,
    cancels: cancels ? Number(cancels) : undefined,
    modes: mode === "worker" || mode === "in-process" ? [mode] : undefined,
  });
}

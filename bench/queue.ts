import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import type { Job } from "@infix/protocol";
import { JournalJobStore } from "@infix/engine/server";

/**
 * The queue journal under the load issue #14 found (21 jobs carrying 9.5 MB each made an
 * 829 MB journal, and compacting it blocked the server 7.3 s): the journal's size after those
 * jobs ran, and the longest event-loop stall while a compaction copies them.
 */

function bigJob(id: string, bytes: number): Job {
  return {
    id,
    status: "queued",
    createdAt: Date.now(),
    nodeCount: 1,
    nodes: { a: { status: "pending" } },
    workflow: {
      format: "infix-workflow",
      version: 2,
      requires: [],
      description: "x".repeat(bytes),
      nodes: { a: { type: "Ok", mode: "active", inputs: {} } },
    },
  };
}

/**
 * Runs the benchmark and prints its figures.
 * @example await benchQueue({ jobs: 21, megabytes: 9.5 })
 */
export async function benchQueue(options: { jobs?: number; megabytes?: number } = {}) {
  const jobs = options.jobs ?? 21;
  const bytes = Math.round((options.megabytes ?? 9.5) * 1024 * 1024);
  const dir = mkdtempSync(join(tmpdir(), "infix-bench-queue-"));
  const path = join(dir, "queue.jsonl");
  try {
    const store = new JournalJobStore(path, { log: () => undefined });
    const admitStarted = performance.now();
    for (let i = 0; i < jobs; i++) {
      const id = `job${i}`;
      await store.admit(bigJob(id, bytes), i);
      await store.update(id, { status: "running", startedAt: Date.now() });
      await store.update(id, { status: "succeeded", finishedAt: Date.now(), nodes: { a: { status: "done", ms: 1 } } });
    }
    await store.idle();
    const admitMs = (performance.now() - admitStarted) / jobs;
    const journalMb = statSync(path).size / 1024 ** 2;
    // Dropping half the jobs makes the file outgrow twice the live state: a compaction copies the rest.
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const compactStarted = performance.now();
    for (let i = 0; i < Math.ceil(jobs / 2); i++) await store.remove(`job${i}`);
    await store.idle();
    const compactMs = performance.now() - compactStarted;
    delay.disable();
    const { compactions } = store.stats();
    // The same monitor with nothing to do, for the machine's own timer jitter (a loaded CI box).
    const idle = monitorEventLoopDelay({ resolution: 1 });
    idle.enable();
    await new Promise((resolve) => setTimeout(resolve, compactMs));
    idle.disable();
    await store.close();
    const figures = {
      jobs,
      jobMb: bytes / 1024 ** 2,
      journalMb,
      admitMsPerJob: admitMs,
      compactions,
      compactMs,
      maxLoopStallMs: delay.max / 1e6,
      p99LoopStallMs: delay.percentile(99) / 1e6,
      idleMaxLoopStallMs: idle.max / 1e6,
    };
    console.log("queue: journal with big jobs (each written once; compaction off the event loop)");
    console.log(
      `  ${jobs} jobs × ${figures.jobMb.toFixed(1)} MB → journal ${journalMb.toFixed(0)} MB (admission ${admitMs.toFixed(0)} ms/job, fsync included)`,
    );
    console.log(
      `  compaction ×${compactions}: ${compactMs.toFixed(0)} ms, event-loop stall max ${figures.maxLoopStallMs.toFixed(1)} ms, p99 ${figures.p99LoopStallMs.toFixed(1)} ms (idle: max ${figures.idleMaxLoopStallMs.toFixed(1)} ms)`,
    );
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await benchQueue();

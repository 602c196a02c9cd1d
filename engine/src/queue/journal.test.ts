import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Job } from "../protocol/index.ts";
import { JournalJobStore } from "./journal.ts";
import { scriptedWorkflow } from "./scripted-executor.test-support.ts";

let dir: string;
let stores: JournalJobStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "infix-journal-"));
});
afterEach(async () => {
  for (const store of stores) await store.close();
  stores = [];
  rmSync(dir, { recursive: true, force: true });
});

function openStore(options: ConstructorParameters<typeof JournalJobStore>[1] = {}) {
  const warnings: string[] = [];
  const store = new JournalJobStore(join(dir, "queue.jsonl"), { log: (m) => warnings.push(m), ...options });
  stores.push(store);
  return { store, warnings };
}

/** A queued job whose workflow carries `padding` bytes of editor data (what makes jobs big). */
function job(id: string, padding = 0): Job {
  const workflow = {
    ...scriptedWorkflow({ a: "Ok" }),
    editor: { nodes: {}, groups: [], notes: [], pad: "x".repeat(padding) },
  };
  return { id, status: "queued", createdAt: 1, nodeCount: 1, workflow, nodes: { a: { status: "pending" } } };
}

async function runToEnd(store: JournalJobStore, id: string): Promise<void> {
  await store.update(id, { status: "running", startedAt: 2 });
  await store.update(id, { status: "succeeded", finishedAt: 3, nodes: { a: { status: "done", ms: 1 } } });
}

describe("JournalJobStore", () => {
  it("writes admissions made at once as one group, each at its own place, through a compaction", async () => {
    const { store } = openStore({ compactionMinRecords: 10 });
    // Forty at once: they share a few writes and syncs; each job's later changes find its line.
    const sizes = await Promise.all(Array.from({ length: 40 }, (_, i) => store.admit(job(`g${i}`, i * 10), i)));
    expect(new Set(sizes).size).toBe(40);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? runToEnd(store, `g${i}`) : undefined)));
    await store.idle();
    expect(store.stats().compactions).toBeGreaterThan(0);
    await store.close();
    const reopened = openStore().store;
    const jobs = new Map(reopened.restored.jobs.map((entry) => [entry.job.id, entry]));
    expect(jobs.size).toBe(40);
    for (let i = 0; i < 40; i++) {
      const entry = jobs.get(`g${i}`)!;
      expect(entry.position).toBe(i);
      expect(entry.job.workflow.editor).toMatchObject({ pad: "x".repeat(i * 10) });
      expect(entry.job.status).toBe(i % 2 === 0 ? "succeeded" : "queued");
    }
  });

  it("writes a job's workflow once: state changes after admission are small records", async () => {
    const { store } = openStore();
    for (let i = 0; i < 5; i++) {
      await store.admit(job(`j${i}`, 200_000), i);
      await runToEnd(store, `j${i}`);
    }
    await store.idle();
    // Five 200 kB workflows: about 1 MB. The old journal rewrote each job at every change (3×).
    expect(statSync(join(dir, "queue.jsonl")).size).toBeLessThan(5 * 200_000 + 10_000);
    await store.close();
    const reopened = openStore().store;
    expect(reopened.restored.jobs.map((j) => [j.job.id, j.job.status, j.job.nodes.a.status])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [`j${i}`, "succeeded", "done"]),
    );
  });

  it("refuses a job it cannot serialise with an 'unstorable' error and writes nothing", async () => {
    const { store } = openStore();
    const deep: Record<string, unknown> = {};
    let cursor = deep;
    for (let level = 0; level < 20_000; level++) cursor = cursor.d = {};
    const tooDeep = job("deep");
    (tooDeep.workflow.editor as Record<string, unknown>).deep = deep;
    await expect(store.admit(tooDeep, 0)).rejects.toMatchObject({ kind: "unstorable", message: /nested too deeply/ });
    await store.close();
    expect(openStore().store.restored.jobs).toEqual([]);
  });

  it("compacts off the event loop while appends go on, and loses no record written meanwhile", async () => {
    // A tiny slack makes every few appends start a compaction, so many overlap with admissions.
    const { store } = openStore({ compactionSlackBytes: 1, compactionMinRecords: 5 });
    const expected = new Map<string, string>();
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 0);
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 6; i++) {
        const id = `r${round}-${i}`;
        // One at a time: admissions made at once share one write, and this test wants many writes.
        await store.admit(job(id, 50_000), round * 10 + i);
        expected.set(id, "queued");
      }
      const finished = `r${round}-0`;
      void runToEnd(store, finished);
      expected.set(finished, "succeeded");
      const removed = `r${round}-1`;
      void store.remove(removed);
      expected.delete(removed);
    }
    await store.idle();
    clearInterval(ticker);
    // Timers ran while compactions copied: the copy yields to the event loop between jobs.
    expect(ticks).toBeGreaterThan(5);
    const live = 50 * 50_000;
    expect(store.stats().compactions).toBeGreaterThan(3);
    expect(store.stats().bytes).toBeLessThan(2 * live + 100_000);
    await store.close();
    const { store: reopened, warnings } = openStore();
    expect(warnings).toEqual([]);
    expect(new Map(reopened.restored.jobs.map((j) => [j.job.id, j.job.status]))).toEqual(expected);
  });

  it("skips a torn last line with a warning and keeps every record before it", async () => {
    const { store } = openStore();
    await store.admit(job("a"), 0);
    await store.admit(job("b"), 1);
    await store.update("a", { position: -1 });
    await store.close();
    appendFileSync(join(dir, "queue.jsonl"), '{"type":"job","job":{"id":"torn","sta');
    const { store: reopened, warnings } = openStore();
    expect(reopened.restored.jobs.map((j) => [j.job.id, j.position])).toEqual([
      ["a", -1],
      ["b", 1],
    ]);
    expect(warnings).toEqual([expect.stringMatching(/skipped 1 unreadable line.*the rest is kept/)]);
    await reopened.admit(job("c"), 2);
    await reopened.close();
    expect(openStore().store.restored.jobs.map((j) => j.job.id)).toEqual(["a", "b", "c"]);
  });

  it("deletes the temp file of a compaction killed mid-way, and keeps the journal", async () => {
    const { store } = openStore();
    await store.admit(job("kept"), 0);
    await store.close();
    const leftover = join(dir, ".queue.jsonl.0123456789ab.compact.tmp");
    writeFileSync(leftover, '{"type":"paused","paused":false}\n{"type":"job","job":{"id":"half');
    const { store: reopened, warnings } = openStore();
    expect(existsSync(leftover)).toBe(false);
    expect(readdirSync(dir)).toEqual(["queue.jsonl"]);
    expect(warnings).toEqual([expect.stringMatching(/removed 1 temp file/)]);
    expect(reopened.restored.jobs.map((j) => j.job.id)).toEqual(["kept"]);
  });

  it("reads a journal in the old format (a whole job record per change)", async () => {
    const old = job("old");
    const lines = [
      { type: "paused", paused: true },
      { type: "job", job: old, position: 0 },
      { type: "job", job: { ...old, status: "running", startedAt: 5 }, position: 0 },
    ];
    writeFileSync(join(dir, "queue.jsonl"), lines.map((line) => `${JSON.stringify(line)}\n`).join(""));
    const { store } = openStore();
    expect(store.restored.paused).toBe(true);
    expect(store.restored.jobs.map((j) => [j.job.id, j.job.status, j.job.startedAt])).toEqual([["old", "running", 5]]);
  });
});

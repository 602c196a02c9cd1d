import { describe, expect, it } from "vitest";
import { runSoak } from "./run-soak.ts";
import { MEMORY_RETURN_RATIO } from "./stats.ts";

/**
 * The short soak of `npm test`: 40 s of fuzz, links, load (10 socket.io clients) and one
 * kill -9 against a real server on 127.0.0.1, then the memory's return once idle. It asserts the
 * goals that do not depend on the machine's speed; latency is printed (and judged by
 * `npm run soak`), not asserted here.
 */
describe("soak (short)", () => {
  it("keeps every goal: no escapes, no 5xx, the queue moving, no resets or hangs, no job lost, events only to watchers, memory back once idle", async () => {
    const failures: string[] = [];
    const report = await runSoak({ seconds: 40, clients: 10, faults: true, log: (line) => failures.push(line) });
    console.log(report.table);
    const { counts } = report;
    expect(failures.filter((line) => !line.startsWith("fault:"))).toEqual([]);
    expect(counts.fuzzCases).toBeGreaterThan(50);
    expect(counts.jobsSubmitted).toBeGreaterThan(20);
    expect(counts.faults).toBe(1);
    expect({
      linkSuccesses: counts.linkSuccesses,
      traversalSuccesses: counts.traversalSuccesses,
      serverErrors: counts.serverErrors,
      queueStalls: counts.queueStalls,
      resets: counts.resets,
      hangs: counts.hangs,
      jobsLost: counts.jobsLost,
      strayEvents: counts.strayEvents,
      missedEnds: counts.missedEnds,
    }).toEqual({
      linkSuccesses: 0,
      traversalSuccesses: 0,
      serverErrors: 0,
      queueStalls: 0,
      resets: 0,
      hangs: 0,
      jobsLost: 0,
      strayEvents: 0,
      missedEnds: 0,
    });
    expect(counts.watchedJobs).toBeGreaterThan(20);
    // Memory comes back once the server is idle and its cache cleared (V8 gives its grown heap back).
    expect(counts.memoryAfterRun).toBeGreaterThan(0);
    expect(counts.memoryAfterClear).toBeLessThanOrEqual(counts.memoryAtStart * MEMORY_RETURN_RATIO);
  }, 300_000);
});

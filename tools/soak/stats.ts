/** What a soak run counts, and the table it prints. */

export interface SoakCounts {
  /** Responses by HTTP status. */
  statuses: Map<number, number>;
  /** Responses that carried a file from outside the served folders, or a write that landed outside. */
  linkSuccesses: number;
  /** Traversal strings on /api/files that were answered with a file from outside. */
  traversalSuccesses: number;
  serverErrors: number;
  /** Times the watchdog's trivial job did not finish in time. */
  queueStalls: number;
  /** Requests that failed at the socket (reset, refused) outside a planned fault. */
  resets: number;
  /** Requests with no answer within the hang limit. */
  hangs: number;
  /** Milliseconds of every API call (not uploads, not the planned slow bodies). */
  latencies: number[];
  /** Server resident memory samples, bytes. */
  memory: number[];
  /** Resident memory of the process that ran to the end, right after it started listening, bytes. */
  memoryAtStart: number;
  /** Its resident memory right after the run, its sockets closed and the cache cleared, bytes (0: not measured). */
  memoryAfterRun: number;
  /** The lowest it came down to while idle after that, bytes. */
  memoryAfterClear: number;
  /** How long after the cache clear it came within the goal (or the whole allowance, when it did not), ms. */
  memorySettleMs: number;
  /** Job ids sockets got events of without watching them (goal 0). */
  strayEvents: number;
  /** Watched jobs whose end a socket that kept its connection never saw (goal 0). */
  missedEnds: number;
  /** Watched (socket, job) pairs in all. */
  watchedJobs: number;
  jobsSubmitted: number;
  jobsFinished: number;
  jobsLost: number;
  /** Planned faults done (kill -9 and restart). */
  faults: number;
  /** Fuzz cases sent. */
  fuzzCases: number;
  /** The server process's event-loop delay, ms (resolution 5 ms). */
  loopDelay: { p50: number; p99: number; max: number };
  /** The load generator's own event-loop delay, ms: high values mean the numbers above include its own waits. */
  driverLoopDelay: { p50: number; p99: number; max: number };
}

export function emptyCounts(): SoakCounts {
  return {
    statuses: new Map(),
    linkSuccesses: 0,
    traversalSuccesses: 0,
    serverErrors: 0,
    queueStalls: 0,
    resets: 0,
    hangs: 0,
    latencies: [],
    memory: [],
    memoryAtStart: 0,
    memoryAfterRun: 0,
    memoryAfterClear: 0,
    memorySettleMs: 0,
    strayEvents: 0,
    missedEnds: 0,
    watchedJobs: 0,
    jobsSubmitted: 0,
    jobsFinished: 0,
    jobsLost: 0,
    faults: 0,
    fuzzCases: 0,
    loopDelay: { p50: 0, p99: 0, max: 0 },
    driverLoopDelay: { p50: 0, p99: 0, max: 0 },
  };
}

/** The value at quantile q (0..1) of unsorted numbers; 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export interface SoakGoal {
  name: string;
  value: string;
  goal: string;
  met: boolean;
}

/** The memory goal: back within 20% of the start after the run and a cache clear. */
export const MEMORY_RETURN_RATIO = 1.2;

/** Each measured line with its goal; `met` false marks a failed goal. */
export function soakGoals(counts: SoakCounts): SoakGoal[] {
  const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MB`;
  const p99 = quantile(counts.latencies, 0.99);
  const memory = counts.memory;
  const requests = [...counts.statuses.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status}:${n}`)
    .join(" ");
  const total = [...counts.statuses.values()].reduce((a, b) => a + b, 0);
  return [
    { name: "requests by status", value: `${total} (${requests})`, goal: "", met: true },
    { name: "fuzz cases", value: String(counts.fuzzCases), goal: "", met: true },
    { name: "link successes", value: String(counts.linkSuccesses), goal: "0", met: counts.linkSuccesses === 0 },
    {
      name: "traversal successes",
      value: String(counts.traversalSuccesses),
      goal: "0",
      met: counts.traversalSuccesses === 0,
    },
    { name: "5xx", value: String(counts.serverErrors), goal: "0", met: counts.serverErrors === 0 },
    { name: "queue stopped moving", value: String(counts.queueStalls), goal: "0", met: counts.queueStalls === 0 },
    {
      name: "resets / hangs",
      value: `${counts.resets} / ${counts.hangs}`,
      goal: "0 / 0",
      met: counts.resets + counts.hangs === 0,
    },
    {
      name: "API latency p50 / p99 / max",
      value: `${quantile(counts.latencies, 0.5).toFixed(1)} / ${p99.toFixed(1)} / ${quantile(counts.latencies, 1).toFixed(1)} ms`,
      goal: "p99 < 100 ms",
      met: p99 < 100,
    },
    {
      name: "server event-loop delay p50 / p99 / max",
      value: `${counts.loopDelay.p50} / ${counts.loopDelay.p99} / ${counts.loopDelay.max} ms`,
      goal: "",
      met: true,
    },
    {
      name: "load generator event-loop delay p50 / p99 / max",
      value: `${counts.driverLoopDelay.p50} / ${counts.driverLoopDelay.p99} / ${counts.driverLoopDelay.max} ms`,
      goal: "",
      met: true,
    },
    {
      name: "server memory start / peak / end",
      value: memory.length ? `${mb(memory[0])} / ${mb(Math.max(...memory))} / ${mb(memory[memory.length - 1])}` : "n/a",
      goal: "",
      met: true,
    },
    {
      name: "server memory: its start / after the run and a cache clear / once idle",
      value:
        counts.memoryAfterRun === 0
          ? "not measured"
          : `${mb(counts.memoryAtStart)} / ${mb(counts.memoryAfterRun)} / ${mb(counts.memoryAfterClear)} (in ${(counts.memorySettleMs / 1000).toFixed(1)} s)`,
      goal: "idle ≤ start + 20%",
      // Not measured (no /proc off Linux): nothing to judge.
      met:
        counts.memoryAtStart === 0 ||
        counts.memoryAfterRun === 0 ||
        counts.memoryAfterClear <= counts.memoryAtStart * MEMORY_RETURN_RATIO,
    },
    {
      name: "jobs submitted / finished / lost",
      value: `${counts.jobsSubmitted} / ${counts.jobsFinished} / ${counts.jobsLost}`,
      goal: "0 lost",
      met: counts.jobsLost === 0,
    },
    {
      name: "socket events: stray / missed ends / watched",
      value: `${counts.strayEvents} / ${counts.missedEnds} / ${counts.watchedJobs}`,
      goal: "0 / 0",
      met: counts.strayEvents + counts.missedEnds === 0,
    },
    { name: "kill -9 and restart", value: String(counts.faults), goal: "", met: true },
  ];
}

/** The goals as an aligned text table. */
export function formatSoakTable(goals: readonly SoakGoal[]): string {
  const width = Math.max(...goals.map((g) => g.name.length));
  const valueWidth = Math.max(...goals.map((g) => g.value.length));
  return goals
    .map((g) => {
      const mark = g.goal === "" ? "" : g.met ? `  ok (goal ${g.goal})` : `  FAIL (goal ${g.goal})`;
      return `${g.name.padEnd(width)}  ${g.value.padEnd(valueWidth)}${mark}`;
    })
    .join("\n");
}

import { spawn } from "node:child_process";
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import { io as connect, type Socket } from "socket.io-client";
import type { WatchReply } from "@infix/protocol";
import { closeClients, exchange, type Exchange } from "./client.ts";
import { nextFuzzCase, seededRandom, slowWorkflow, trivialWorkflow } from "./fuzz-cases.ts";
import { startSoakServer, type LoopDelay, type SoakServer } from "./server-process.ts";
import {
  emptyCounts,
  formatSoakTable,
  MEMORY_RETURN_RATIO,
  soakGoals,
  type SoakCounts,
  type SoakGoal,
} from "./stats.ts";

/**
 * The soak: a real server (its own process, 127.0.0.1 only) under fuzz, link, load and fault
 * scenarios at once for a bounded time, every loop stopping by itself at the deadline. See
 * README "Soak". Used by `npm run soak -- --minutes N` and, shortened, by soak.test.ts.
 */
export interface SoakOptions {
  seconds: number;
  /** socket.io clients submitting, cancelling and reconnecting; default 20. */
  clients?: number;
  /** kill -9 the server once, half-way, and restart it on the same data folder; default true. */
  faults?: boolean;
  seed?: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  counts: SoakCounts;
  goals: SoakGoal[];
  table: string;
  passed: boolean;
}

/** A file's content that only exists outside the served folders: seeing it in an answer is an escape. */
const MARKER = "SOAK-OUTSIDE-SECRET-7f3a";
const HANG_MS = 10_000;
const WATCHDOG_MS = 10_000;
/** How long the server's memory gets to come back after the run and a cache clear. */
const MEMORY_SETTLE_MS = 120_000;

/**
 * One socket.io connection and what it saw: job ids it watches (submitted with its id, or
 * asked for with `jobs:watch`), job ids it got events of, and jobs it saw end. `intact` while
 * it never lost its connection, so it must have seen each watched job end.
 */
interface SocketRecord {
  socket: Socket;
  watched: Set<string>;
  received: Set<string>;
  ended: Set<string>;
  /** Watched ids the server answered it does not know (ended and dropped from the history): the lost check judges those. */
  unknown: Set<string>;
  intact: boolean;
}

type JobClient = { record: SocketRecord; own: string[] };

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const counts = emptyCounts();
  const random = seededRandom(options.seed ?? 14);
  const base = mkdtempSync(join(tmpdir(), "infix-soak-"));
  const dataDir = join(base, "data");
  const outside = join(base, "outside");
  const outsideFile = join(outside, "file.txt");
  plantLinks(dataDir, outside);
  const outsideBefore = snapshot(outside);
  const flipper = spawn(
    process.execPath,
    ["-e", FLIPPER, join(dataDir, "input", "race"), outside, String(options.seconds * 1000)],
    {
      stdio: "ignore",
    },
  );

  let server: SoakServer = await startSoakServer(dataDir);
  let restarting = false;
  let earlierLoopDelay: LoopDelay | undefined;
  const deadline = Date.now() + options.seconds * 1000;
  const running = () => Date.now() < deadline;
  const accepted = new Set<string>();
  const finished = new Set<string>();
  const records: SocketRecord[] = [];
  const driverDelay = monitorEventLoopDelay({ resolution: 5 });
  driverDelay.enable();
  const memoryTimer = setInterval(() => {
    const rss = server.rss();
    if (rss > 0) counts.memory.push(rss);
  }, 250);
  counts.memory.push(server.rss());
  counts.memoryAtStart = server.rss();

  const record = (result: Exchange, path: string, method = ""): Exchange => {
    if (!result.ok) {
      if (!restarting) {
        if (result.failure === "hang") counts.hangs++;
        else counts.resets++;
        log(`${result.failure}: ${method} ${path}: ${result.message}`);
      }
      return result;
    }
    counts.statuses.set(result.status, (counts.statuses.get(result.status) ?? 0) + 1);
    if (result.status >= 500) {
      counts.serverErrors++;
      log(`${result.status}: ${path}: ${result.body.slice(0, 300)}`);
    }
    if (!path.startsWith("/api/uploads")) counts.latencies.push(result.ms);
    return result;
  };
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    record(
      await exchange(server.port, method, path, {
        headers: { "x-infix-token": server.token, "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        hangMs: HANG_MS,
      }),
      path,
      method,
    );
  const submit = async (workflow: Record<string, unknown>, clientId?: string): Promise<string | undefined> => {
    const res = await call("POST", "/api/jobs", { workflow, clientId });
    if (!res.ok || res.status !== 201) return undefined;
    const id = (JSON.parse(res.body) as { job: { id: string } }).job.id;
    accepted.add(id);
    counts.jobsSubmitted++;
    return id;
  };
  const openSocket = (): SocketRecord => {
    const socket = connect(server.url, { transports: ["websocket"], reconnection: false, forceNew: true });
    const record: SocketRecord = {
      socket,
      watched: new Set(),
      received: new Set(),
      ended: new Set(),
      unknown: new Set(),
      intact: true,
    };
    socket.onAny((name: string, payload: { jobId?: string; id?: string; status?: string }) => {
      if (name === "queue") return;
      const jobId = payload.jobId ?? payload.id;
      if (jobId === undefined) return;
      record.received.add(jobId);
      const ends = name === "job:succeeded" || name === "job:failed" || name === "job:cancelled";
      if (ends || (name === "job:state" && /^(succeeded|failed|cancelled)$/.test(payload.status ?? ""))) {
        record.ended.add(jobId);
        finished.add(jobId);
      }
    });
    socket.on("disconnect", () => (record.intact = false));
    records.push(record);
    return record;
  };
  /** Asks for the events of `ids` (at most 100 per message, as the server takes). */
  const watch = (record: SocketRecord, ids: string[]) => {
    for (let i = 0; i < ids.length; i += 100) {
      const batch = ids.slice(i, i + 100);
      for (const id of batch) record.watched.add(id);
      record.socket.emit("jobs:watch", batch, (reply: WatchReply) => {
        if (reply.error) log(`jobs:watch refused: ${reply.error}`);
        for (const id of reply.unknown) record.unknown.add(id);
      });
    }
  };

  const loadClient = async (client: JobClient) => {
    while (running()) {
      if (!client.record.socket.connected || random() < 0.03) {
        // Make before break: the old connection keeps its jobs' events until the new one watches them.
        const old = client.record;
        client.record = openSocket();
        // Until it connects or fails (the server restarting): a client waiting longer than the
        // history lasts would find its jobs that ended meanwhile gone from it.
        const failed = once(client.record.socket, "connect_error");
        await waitFor(async () => client.record.socket.connected || failed.settled, 5000);
        // A new connection watches nothing: it asks for its client's jobs that are still going.
        const going = client.own.filter((id) => !finished.has(id));
        if (client.record.socket.connected && going.length > 0) watch(client.record, going);
        old.socket.close();
        old.intact = false;
      }
      const { record } = client;
      const clientId = record.socket.connected ? record.socket.id : undefined;
      const id = await submit(random() < 0.3 ? slowWorkflow(5) : trivialWorkflow(Math.floor(random() * 1e6)), clientId);
      if (id) {
        client.own.push(id);
        // Submitted with this connection's id: the server sends its events here on its own.
        if (clientId !== undefined) record.watched.add(id);
        else watch(record, [id]);
      }
      if (client.own.length > 0 && random() < 0.15) {
        await call("POST", `/api/jobs/${client.own[Math.floor(random() * client.own.length)]}/cancel`);
      }
      if (random() < 0.1) await call("GET", "/api/jobs");
      await pause(20 + random() * 80);
    }
  };
  const fuzzer = async () => {
    while (running()) {
      const fuzz = nextFuzzCase(random, server.token, outsideFile);
      counts.fuzzCases++;
      const res = record(
        await exchange(server.port, fuzz.method, fuzz.path, {
          headers: fuzz.headers,
          body: fuzz.body,
          hangMs: HANG_MS,
        }),
        fuzz.path,
        fuzz.method,
      );
      if (res.ok && res.body.includes(MARKER)) {
        if (fuzz.kind === "traversal") counts.traversalSuccesses++;
        else counts.linkSuccesses++;
        log(`escape: ${fuzz.method} ${fuzz.path} → ${res.status}`);
      }
      await pause(5);
    }
  };
  const linkProber = async () => {
    const paths = [
      "/api/files/input/race/file.txt",
      "/api/files/input/link-out.txt",
      "/api/files/input/link-dir/file.txt",
      "/api/files/input/hard.txt",
      "/api/workflows/linked",
      "/api/workflows/linked/versions/1",
    ];
    while (running()) {
      for (const path of paths) {
        const res = await call("GET", path);
        if (res.ok && res.body.includes(MARKER)) {
          counts.linkSuccesses++;
          log(`link escape: ${path}`);
        }
      }
      await call("PUT", "/api/workflows/linked", trivialWorkflow(5));
      await pause(10);
    }
  };
  const watchdog = async () => {
    while (running()) {
      const started = Date.now();
      const id = await submit(trivialWorkflow(-Math.floor(random() * 1e6)));
      // The observer watches the watchdog's jobs: behind a full queue one can wait longer than
      // the window below, and its end must still be seen (the bounded history may drop it first).
      if (id && observer.record.socket.connected) watch(observer.record, [id]);
      if (id && !restarting) {
        // The queue is moving while jobs finish: a watchdog job queued behind a full queue on a
        // loaded machine may wait longer than the window, but if nothing at all finished in it,
        // the queue has stopped.
        const finishedBefore = finished.size;
        const done = await waitFor(async () => {
          if (finished.has(id)) return true;
          const res = await call("GET", `/api/jobs/${id}`);
          return res.ok && res.status === 200 && /"status":"(succeeded|failed|cancelled)"/.test(res.body);
        }, WATCHDOG_MS);
        if (!done && !restarting && finished.size === finishedBefore) {
          counts.queueStalls++;
          log(`watchdog: job ${id} not finished after ${WATCHDOG_MS} ms`);
        }
      }
      await pause(Math.max(0, 1000 - (Date.now() - started)));
    }
  };
  const fault = async () => {
    if (options.faults === false) return;
    await pause(options.seconds * 500);
    if (!running()) return;
    restarting = true;
    log("fault: kill -9");
    const port = server.port;
    const before = server.loopDelay();
    await server.killHard();
    earlierLoopDelay = before;
    server = await startSoakServer(dataDir, port);
    // The memory goal judges the process that lives to the end, against its own start.
    counts.memoryAtStart = server.rss();
    // The restored history at once: it holds the jobs that ended just before the kill, whose end
    // events the kill may have cut, and at a few hundred jobs a second it rolls over in well
    // under a second, before the clients have reconnected to ask.
    const restored = await call("GET", "/api/jobs");
    if (restored.ok) markFinished(restored.body);
    counts.faults++;
    // Give in-flight requests that were cut by the kill time to settle before counting resets again.
    await pause(500);
    restarting = false;
  };

  const clients: JobClient[] = Array.from({ length: options.clients ?? 20 }, () => ({ record: openSocket(), own: [] }));
  // Watches nothing: it must get the queue summary and no job's events.
  const observer = { record: openSocket() };
  // Finished jobs also from the history (newest 100): events sent while no socket listened
  // (right after a restart) would otherwise be missed and the job miscounted as lost.
  const markFinished = (body: string) => {
    for (const match of body.matchAll(/"id":"([^"]+)","status":"(succeeded|failed|cancelled)"/g))
      finished.add(match[1]);
  };
  const keepObserver = async () => {
    while (running()) {
      if (!observer.record.socket.connected && !restarting) observer.record = openSocket();
      // Also while the server restarts (failures then are not counted): the first history after
      // a restart holds the jobs that ended just before the kill, whose events may have been cut.
      const res = await call("GET", "/api/jobs");
      if (res.ok) markFinished(res.body);
      await pause(250);
    }
  };
  try {
    await Promise.all([
      ...clients.map(loadClient),
      fuzzer(),
      fuzzer(),
      linkProber(),
      watchdog(),
      fault(),
      keepObserver(),
    ]);
    // Drain: every accepted job must reach an end (succeeded, failed or cancelled).
    await waitFor(async () => {
      const res = await call("GET", "/api/jobs");
      return res.ok && !/"status":"(queued|running)"/.test(res.body);
    }, 60_000);
    for (const id of accepted) {
      if (finished.has(id)) continue;
      const res = await call("GET", `/api/jobs/${id}`);
      if (res.ok && res.status === 200 && /"status":"(succeeded|failed|cancelled)"/.test(res.body)) finished.add(id);
      else log(`lost: job ${id} (${res.ok ? res.status : res.failure})`);
    }
    // Each connection got the events of the jobs it watched and none of others'. One that kept
    // its connection to the end must have seen each of its watched jobs end (the last events
    // may still be on their way when the HTTP answers above come).
    const owed = (record: SocketRecord) =>
      record.intact && record.socket.connected
        ? [...record.watched].filter((id) => !record.ended.has(id) && !record.unknown.has(id))
        : [];
    await waitFor(async () => records.every((record) => owed(record).length === 0), 5000);
    for (const record of records) {
      const strangers = [...record.received].filter((id) => !record.watched.has(id));
      counts.strayEvents += strangers.length;
      if (strangers.length)
        log(`socket ${record.socket.id} got events of jobs it does not watch: ${strangers.join(" ")}`);
      const missed = owed(record);
      counts.missedEnds += missed.length;
      if (missed.length) log(`socket ${record.socket.id} never saw these watched jobs end: ${missed.join(" ")}`);
      counts.watchedJobs += record.watched.size;
    }
    counts.jobsFinished = [...accepted].filter((id) => finished.has(id)).length;
    counts.jobsLost = accepted.size - counts.jobsFinished;
    // Writes through links: the outside folder must be exactly as it was.
    const outsideAfter = snapshot(outside);
    if (outsideAfter !== outsideBefore) {
      counts.linkSuccesses++;
      log(`the outside folder changed:\n${outsideBefore}\n→\n${outsideAfter}`);
    }
    counts.memory.push(server.rss());
    // Memory returns: with the run over, its connections closed and the output cache cleared,
    // the server must come back near where it started. The job history stays (it is capped).
    // After load V8 keeps its grown heap (mostly free pages) until its memory reducer runs on
    // the idle process, 20-50 s later as measured, then gives them back: allow it that.
    for (const record of records) record.socket.close();
    await call("DELETE", "/api/cache");
    const cleared = Date.now();
    counts.memoryAfterRun = server.rss();
    counts.memoryAfterClear = counts.memoryAfterRun;
    await waitFor(async () => {
      counts.memoryAfterClear = Math.min(counts.memoryAfterClear, server.rss());
      return counts.memoryAfterClear <= counts.memoryAtStart * MEMORY_RETURN_RATIO;
    }, MEMORY_SETTLE_MS);
    counts.memorySettleMs = Date.now() - cleared;
    counts.loopDelay = worstOf(server.loopDelay(), earlierLoopDelay);
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    counts.driverLoopDelay = {
      p50: ms(driverDelay.percentile(50)),
      p99: ms(driverDelay.percentile(99)),
      max: ms(driverDelay.max),
    };
  } finally {
    clearInterval(memoryTimer);
    driverDelay.disable();
    for (const record of records) record.socket.close();
    flipper.kill();
    await server.stop();
    closeClients();
    rmSync(base, { recursive: true, force: true });
  }
  const goals = soakGoals(counts);
  return { counts, goals, table: formatSoakTable(goals), passed: goals.every((goal) => goal.met) };
}

function worstOf(a: LoopDelay, b: LoopDelay | undefined): LoopDelay {
  if (!b) return a;
  return { p50: Math.max(a.p50, b.p50), p99: Math.max(a.p99, b.p99), max: Math.max(a.max, b.max) };
}

/** Links placed in the server's folders before it starts: each one must never be followed. */
function plantLinks(dataDir: string, outside: string): void {
  mkdirSync(join(outside, "sub"), { recursive: true });
  writeFileSync(join(outside, "file.txt"), MARKER);
  writeFileSync(join(outside, "1.json"), JSON.stringify({ ...trivialWorkflow(0), name: MARKER }));
  mkdirSync(join(dataDir, "input", "race"), { recursive: true });
  mkdirSync(join(dataDir, "workflows"), { recursive: true });
  writeFileSync(join(dataDir, "input", "race", "file.txt"), "inside");
  symlinkSync(join(outside, "file.txt"), join(dataDir, "input", "link-out.txt"));
  symlinkSync(outside, join(dataDir, "input", "link-dir"));
  linkSync(join(outside, "file.txt"), join(dataDir, "input", "hard.txt"));
  symlinkSync(outside, join(dataDir, "workflows", "linked"));
}

/** Names, sizes and contents of a folder's files, to notice any write that landed there. */
function snapshot(folder: string): string {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return `${path}:${readFileSync(path, "latin1")}`;
    })
    .sort()
    .join("\n");
}

/** Flips <flip> between a real folder and a symlink to <outside> until <ms> pass (or it is killed). */
const FLIPPER = `
const fs = require("node:fs");
const [flip, outside, ms] = process.argv.slice(1);
const real = flip + ".real";
const end = Date.now() + Number(ms);
while (Date.now() < end) {
  for (let i = 0; i < 20; i++) {
    fs.renameSync(flip, real); fs.symlinkSync(outside, flip);
    fs.unlinkSync(flip); fs.renameSync(real, flip);
  }
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
}`;

/** Whether `event` happened on the socket yet. */
function once(socket: Socket, event: string): { settled: boolean } {
  const state = { settled: false };
  socket.once(event, () => (state.settled = true));
  return state;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 20 ms until it holds (true) or `ms` pass (false). */
async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await pause(20);
  }
  return false;
}

import { randomUUID } from "node:crypto";
import { toProblem, type Problem } from "../graph/problem.ts";
import type { PreviewImage } from "../nodes/definition.ts";
import type { ExecutionResult, WorkflowExecutor } from "../execution/types.ts";
import type { Job, JobSummary, NodeRunState, QueueState, SubmitJob } from "../protocol/index.ts";
import { SingleWorkerDispatcher, type JobDispatcher } from "./dispatcher.ts";
import { executionEventsFor, summarise, toUiMessage, type QueueEvent } from "./job-events.ts";
import { JobStoreError, type JobStore } from "./job-store.ts";
import { JournalJobStore } from "./journal.ts";
import { LatestPerKeyThrottle } from "./latest-throttle.ts";

export type { QueueEvent, QueueEventMap } from "./job-events.ts";

/**
 * The job queue, the API the routes and the socket bridge use: jobs wait in order and start
 * when the dispatcher has room; every change goes to the job store, so the queue and a bounded
 * history survive a restart. Pausing stops new jobs from starting; running ones finish (as
 * ComfyUI's queue does). HTTP status codes are the routes' business: a refusal says why in a
 * {@link QueueRefusal}.
 */

export interface JobQueueOptions {
  /** Runs the jobs; or give `executor` for the single-worker default. */
  dispatcher?: JobDispatcher;
  executor?: WorkflowExecutor;
  /** Keeps the jobs; or give `journalPath` for the journal file (created when missing). */
  store?: JobStore;
  journalPath?: string;
  /** How many finished jobs to keep (default 100). */
  historyLimit?: number;
  /** How many bytes of finished jobs (their stored workflows) to keep (default 16 MiB; the newest always stays); oldest go first. */
  historyBytes?: number;
  /** How many jobs may wait (default 1000), and how many bytes they may take (default 512 MiB). */
  maxQueuedJobs?: number;
  maxQueuedBytes?: number;
  /** Progress throttle interval, ms (default 50). */
  progressIntervalMs?: number;
  /** Preview throttle interval, ms (default 100): encoding a PNG per step would cost more than the step. */
  previewIntervalMs?: number;
  /** Queue snapshot (`queue` event) throttle interval, ms (default 250). */
  queueIntervalMs?: number;
  /** Where to report recoverable trouble (unreadable journal lines, failed writes); default console.warn. */
  log?: (message: string) => void;
}

/**
 * Why the queue refused: `invalid` (the workflow has problems), `unstorable` (the job cannot be
 * written, e.g. nested too deeply), `not_found`, `conflict` (wrong state for that), `full` (the
 * queue's bounds), `store_failed` (the store could not write: a server fault), `closed`.
 */
export type QueueRefusal = "invalid" | "unstorable" | "not_found" | "conflict" | "full" | "store_failed" | "closed";

/** Outcome of a queue operation: the value, or why not. */
export type QueueResult<T> =
  { ok: true; value: T } | { ok: false; reason: QueueRefusal; error: string; problems?: Problem[] };

/** The error given to a job that was running when the server stopped. */
export const SERVER_STOPPED_PROBLEM: Problem = {
  code: "server_stopped",
  message: "the server stopped while this job was running; queue it again",
};

interface Entry {
  job: Job;
  position: number;
  /** Stored size (its admission record), for the byte bounds. */
  bytes: number;
  controller?: AbortController;
  /** Handed to the dispatcher (it may still read as queued while it waits for a farm worker). */
  dispatched?: boolean;
}

export class JobQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly running = new Map<string, { entry: Entry; done: Promise<void> }>();
  private readonly admitting = new Set<Promise<unknown>>();
  private readonly listeners = new Set<(event: QueueEvent) => void>();
  private readonly store: JobStore;
  private readonly dispatcher: JobDispatcher;
  private readonly historyLimit: number;
  private readonly historyBytes: number;
  /** How many jobs may wait. */
  readonly maxQueuedJobs: number;
  private readonly maxQueuedBytes: number;
  private readonly log: (message: string) => void;
  private paused: boolean;
  private nextBack = 0;
  private nextFront = -1;
  private closed = false;
  private readonly progressThrottle: LatestPerKeyThrottle<{
    jobId: string;
    nodeId: string;
    step: number;
    total: number;
  }>;
  private readonly previewThrottle: LatestPerKeyThrottle<{ jobId: string; nodeId: string; image: PreviewImage }>;
  /**
   * The queue snapshot goes out at most every 250 ms: it goes to every socket, and a burst of
   * submissions would otherwise send it several times per job (a queue panel needs no more).
   * The value is computed when sent, so the snapshot is never stale.
   */
  private readonly queueThrottle: LatestPerKeyThrottle<() => QueueState>;
  /** Admissions between their cap check and their entry in the queue (the store is writing them). */
  private reservedJobs = 0;
  /** Jobs waiting in line (status `queued`, not yet handed to the dispatcher), and their stored bytes. */
  private queuedJobs = 0;
  private queuedBytes = 0;
  /** Finished jobs, oldest first (the order they finished), and their stored bytes. */
  private readonly history = new Map<string, Entry>();
  private historyBytesUsed = 0;

  /** Opens the queue from its store: queued jobs keep their order, a job that was running is marked failed. */
  constructor(options: JobQueueOptions) {
    this.log = options.log ?? ((message) => console.warn(message));
    const dispatcher = options.dispatcher ?? (options.executor && new SingleWorkerDispatcher(options.executor));
    if (!dispatcher) throw new TypeError("JobQueue needs a dispatcher or an executor");
    this.dispatcher = dispatcher;
    const store = options.store ?? (options.journalPath && new JournalJobStore(options.journalPath, { log: this.log }));
    if (!store) throw new TypeError("JobQueue needs a store or a journal path");
    this.store = store;
    this.historyLimit = options.historyLimit ?? 100;
    this.historyBytes = options.historyBytes ?? 16 * 1024 * 1024;
    this.maxQueuedJobs = options.maxQueuedJobs ?? 1000;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 512 * 1024 * 1024;
    // The `queue` event lists the first 100 waiting jobs (`omitted` counts the rest): it goes to every listener.
    this.queueThrottle = new LatestPerKeyThrottle(options.queueIntervalMs ?? 250, (_key, state) =>
      this.emit({ name: "queue", payload: state() }),
    );
    const { restored } = this.store;
    this.paused = restored.paused;
    for (const { job, position, bytes } of restored.jobs) {
      const entry: Entry = { job, position, bytes };
      this.entries.set(job.id, entry);
      if (job.status === "queued") this.countWaiting(entry, 1);
      this.nextBack = Math.max(this.nextBack, position + 1);
      this.nextFront = Math.min(this.nextFront, position - 1);
      if (job.status === "running") this.finish(entry, "failed", SERVER_STOPPED_PROBLEM, false);
    }
    // The restored history in the order its jobs finished (the loop above added the interrupted ones out of order).
    const finished = [...this.entries.values()]
      .filter((e) => isFinished(e.job))
      .sort((a, b) => (a.job.finishedAt ?? 0) - (b.job.finishedAt ?? 0));
    this.history.clear();
    this.historyBytesUsed = 0;
    for (const entry of finished) this.addToHistory(entry);
    this.trimHistory();
    this.progressThrottle = new LatestPerKeyThrottle(options.progressIntervalMs ?? 50, (_key, e) =>
      this.emit({ name: "progress", payload: e }),
    );
    this.previewThrottle = new LatestPerKeyThrottle(options.previewIntervalMs ?? 100, (_key, e) =>
      this.emit({ name: "preview", payload: e }),
    );
    queueMicrotask(() => this.pump());
  }

  /** Listens to every queue event; returns the function that stops listening. */
  subscribe(listener: (event: QueueEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Validates, stores and queues a job. Admission is atomic: the job joins the queue only once
   * it is valid and durably stored; any refusal or failure on the way leaves no trace of it.
   * Validation problems come back all together.
   *
   * @example const r = await queue.submit({ workflow }); if (!r.ok) console.log(r.reason, r.problems);
   */
  async submit(request: SubmitJob): Promise<QueueResult<JobSummary>> {
    if (this.closed) return { ok: false, reason: "closed", error: "the queue is shutting down" };
    let problems: Problem[];
    try {
      problems = this.dispatcher.validate(request.workflow, request.targets);
    } catch (error) {
      problems = [toProblem(error)];
    }
    if (problems.length > 0)
      return { ok: false, reason: "invalid", error: `the workflow has ${problems.length} problem(s)`, problems };
    // Check and reserve in one synchronous step: the store's write below is awaited, and
    // submissions checked meanwhile must count this one, or concurrent ones overshoot the cap.
    if (this.isFull())
      return {
        ok: false,
        reason: "full",
        error: `the queue holds ${this.maxQueuedJobs} waiting jobs, its limit; try later`,
      };
    this.reservedJobs += 1;
    try {
      return await this.admit(request);
    } finally {
      this.reservedJobs -= 1;
    }
  }

  /** Stores and queues a validated job whose place under the count cap is reserved. */
  private async admit(request: SubmitJob): Promise<QueueResult<JobSummary>> {
    const nodes: Record<string, NodeRunState> = {};
    for (const id of Object.keys(request.workflow.nodes)) nodes[id] = { status: "pending" };
    const job: Job = {
      id: randomUUID(),
      status: "queued",
      label: request.label,
      clientId: request.clientId,
      createdAt: Date.now(),
      nodeCount: Object.keys(request.workflow.nodes).length,
      workflow: request.workflow,
      targets: request.targets,
      nodes,
    };
    const position = request.front ? this.nextFront-- : this.nextBack++;
    let bytes: number;
    const admission = this.store.admit(job, position);
    this.admitting.add(admission);
    try {
      bytes = await admission;
    } catch (error) {
      if (error instanceof JobStoreError && error.kind === "unstorable")
        return { ok: false, reason: "unstorable", error: error.message };
      this.log(`queue: a job could not be stored (${String(error)})`);
      return { ok: false, reason: "store_failed", error: `the job could not be stored: ${errorText(error)}` };
    } finally {
      this.admitting.delete(admission);
    }
    // Checked after the write, with no await before the entry joins: concurrent admissions see each other.
    if (this.queuedBytes + bytes > this.maxQueuedBytes) {
      // Known only once serialised: undo the admission rather than keep a job past the bound.
      void this.store.remove(job.id);
      return {
        ok: false,
        reason: "full",
        error: `the waiting jobs would exceed ${this.maxQueuedBytes} bytes; try later`,
      };
    }
    const entry: Entry = { job, position, bytes };
    this.entries.set(job.id, entry);
    this.countWaiting(entry, 1);
    this.emit({ name: "job:queued", payload: summarise(job) });
    this.emitQueue();
    this.pump();
    return { ok: true, value: summarise(job) };
  }

  /** The full job (workflow, per-node states), or undefined. */
  get(id: string): Job | undefined {
    return this.entries.get(id)?.job;
  }

  /** The running job, if any (the first, when a dispatcher runs several). */
  runningJob(): Job | undefined {
    return this.runningJobs()[0];
  }

  runningJobs(): Job[] {
    return [...this.running.values()].map(({ entry }) => entry.job);
  }

  /**
   * Running jobs first, then queued in order, then history newest first. `queuedLimit` lists
   * only the first waiting jobs (`omitted` says how many more wait): a full queue is 1,000
   * summaries, and serialising them for every request cost most of the server's time under load.
   */
  state(queuedLimit = Number.POSITIVE_INFINITY): QueueState {
    const finished = [...this.history.values()].reverse();
    const running = [...this.running.values()].map(({ entry }) => entry);
    const waiting = this.waiting();
    const listed = waiting.length > queuedLimit ? waiting.slice(0, queuedLimit) : waiting;
    const state: QueueState = {
      paused: this.paused,
      jobs: [...running, ...listed, ...finished].map(listingOf),
    };
    if (listed.length < waiting.length) state.omitted = { queued: waiting.length - listed.length, finished: 0 };
    return state;
  }

  /** Whether a submission now would be refused as `full` (the count bound), so a route can say so before reading its body. */
  isFull(): boolean {
    return this.waitingCount() + this.reservedJobs >= this.maxQueuedJobs;
  }

  /** Cancels a queued job (it becomes cancelled) or aborts a running one (its run decides how it ends). */
  cancel(id: string): QueueResult<JobSummary> {
    const entry = this.entries.get(id);
    if (!entry) return notFound(id);
    if (isFinished(entry.job)) {
      return { ok: false, reason: "conflict", error: `job ${id} already ${entry.job.status}` };
    } else if (entry.job.status === "running" || entry.dispatched) {
      // A dispatched job still reading as queued (waiting for a farm worker) is the dispatcher's to take back.
      entry.controller?.abort(new Error("cancelled"));
    } else {
      this.finish(entry, "cancelled");
      this.pump();
    }
    return { ok: true, value: summarise(entry.job) };
  }

  /** Moves a queued job to the front of the queue. */
  moveToFront(id: string): QueueResult<QueueState> {
    const entry = this.entries.get(id);
    if (!entry) return notFound(id);
    if (entry.job.status !== "queued")
      return { ok: false, reason: "conflict", error: `job ${id} is ${entry.job.status}, not queued` };
    if (entry.dispatched)
      return { ok: false, reason: "conflict", error: `job ${id} is already waiting for a worker, first in line` };
    entry.position = this.nextFront--;
    void this.store.update(id, { position: entry.position });
    this.emitQueue();
    return { ok: true, value: this.state() };
  }

  /** Deletes a queued or finished job; a running one must be cancelled first. */
  remove(id: string): QueueResult<null> {
    const entry = this.entries.get(id);
    if (!entry) return notFound(id);
    if (entry.job.status === "running" || entry.dispatched)
      return { ok: false, reason: "conflict", error: `job ${id} is running; cancel it first` };
    this.entries.delete(id);
    if (entry.job.status === "queued") this.countWaiting(entry, -1);
    if (this.history.delete(id)) this.historyBytesUsed -= entry.bytes;
    void this.store.remove(id);
    this.emitQueue();
    return { ok: true, value: null };
  }

  /** Stops starting new jobs (running ones finish). */
  pause(): QueueState {
    return this.setPaused(true);
  }

  resume(): QueueState {
    const state = this.setPaused(false);
    this.pump();
    return state;
  }

  /**
   * Stops the queue: aborts the running jobs and waits for them without storing their end, so
   * after a restart they read as "the server stopped while this job was running".
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { entry } of this.running.values()) entry.controller?.abort(new Error("the server is stopping"));
    await Promise.allSettled([...this.running.values()].map(({ done }) => done));
    await Promise.allSettled([...this.admitting]);
    this.progressThrottle.clear();
    this.previewThrottle.clear();
    this.queueThrottle.clear();
    await this.store.close();
  }

  private setPaused(paused: boolean): QueueState {
    if (this.paused !== paused) {
      this.paused = paused;
      void this.store.setPaused(paused);
    }
    this.emitQueue();
    return this.state();
  }

  /** How many jobs wait: kept up to date at each change of status, as it is read on every submission. */
  private waitingCount(): number {
    return this.queuedJobs;
  }

  /** Counts a job into (+1) or out of (-1) the waiting line: both bounds are read on every submission. */
  private countWaiting(entry: Entry, sign: 1 | -1): void {
    this.queuedJobs += sign;
    this.queuedBytes += sign * entry.bytes;
  }

  /** The queued job that runs next. */
  private firstWaiting(): Entry | undefined {
    let first: Entry | undefined;
    for (const entry of this.entries.values())
      if (entry.job.status === "queued" && !entry.dispatched && (!first || entry.position < first.position))
        first = entry;
    return first;
  }

  /** Queued jobs in the order they run. */
  private waiting(): Entry[] {
    return [...this.entries.values()]
      .filter((e) => e.job.status === "queued" && !e.dispatched)
      .sort((a, b) => a.position - b.position);
  }

  /** Jobs marked running whose dispatch has not begun yet (the store is writing their start). */
  private starting = 0;

  /** Starts queued jobs while the dispatcher has room and the queue is not paused. */
  private pump(): void {
    if (this.closed || this.paused) return;
    let free = this.dispatcher.freeSlots() - this.starting;
    if (free <= 0 || this.queuedJobs === 0) return;
    // One free slot (the usual case) needs only the first waiting job, not the whole queue sorted.
    const candidates = free === 1 ? [this.firstWaiting()].filter((e) => e !== undefined) : this.waiting();
    for (const next of candidates) {
      if (free-- <= 0) break;
      this.starting += 1;
      const done = this.run(next);
      this.running.set(next.job.id, { entry: next, done });
    }
  }

  private async run(entry: Entry): Promise<void> {
    const { job } = entry;
    entry.controller = new AbortController();
    entry.dispatched = true;
    // Out of the waiting line from here on, even while a farm job still reads as queued.
    this.countWaiting(entry, -1);
    const markRunning = () => {
      job.status = "running";
      job.startedAt = Date.now();
      this.emit({ name: "job:started", payload: { jobId: job.id } });
      this.emitQueue();
    };
    // A farm's dispatcher says when a worker takes the job; until then it reads as queued
    // ("waiting for a worker"), not running.
    const later = this.dispatcher.startsLater === true;
    if (!later) markRunning();
    // Written before the run starts, so a crash mid-run reads as interrupted, never re-runs the job.
    const started = this.store.update(job.id, { status: "running", startedAt: job.startedAt ?? Date.now() });
    if (later) this.emitQueue();
    await started;
    this.starting -= 1;
    let result: ExecutionResult;
    try {
      result = await this.dispatcher.run({
        jobId: job.id,
        started: () => {
          if (job.status !== "queued" || this.closed) return;
          markRunning();
          void this.store.update(job.id, { startedAt: job.startedAt });
        },
        workflow: job.workflow,
        targets: job.targets,
        signal: entry.controller.signal,
        events: executionEventsFor(job, {
          emit: (event) => this.emit(event),
          progress: this.progressThrottle,
          preview: this.previewThrottle,
        }),
      });
    } catch (error) {
      // The dispatcher promises not to throw; if it does, the job fails and the queue goes on.
      result = { status: "failed", error: toProblem(error), ui: {}, ran: [], cached: [], spared: [] };
    }
    this.progressThrottle.flushAll();
    this.previewThrottle.clear();
    this.running.delete(job.id);
    entry.controller = undefined;
    entry.dispatched = false;
    // A job no worker took still reads as queued: it counts as waiting again until finish() ends it.
    if (job.status === "queued") this.countWaiting(entry, 1);
    if (this.closed) return;
    for (const [nodeId, ui] of Object.entries(result.ui)) {
      const node = job.nodes[nodeId];
      if (node && !node.ui) node.ui = toUiMessage(ui);
    }
    const error =
      result.error ??
      result.problems?.[0] ??
      (result.status === "failed" ? { code: "failed", message: "the job failed" } : undefined);
    this.finish(entry, result.status, result.status === "failed" ? error : undefined);
    this.pump();
  }

  private finish(entry: Entry, status: "succeeded" | "failed" | "cancelled", error?: Problem, notify = true): void {
    const { job } = entry;
    if (job.status === "queued") this.countWaiting(entry, -1);
    job.status = status;
    job.finishedAt = Date.now();
    if (error) job.error = error;
    for (const node of Object.values(job.nodes)) {
      if (node.status === "pending") node.status = "skipped";
      // A node cut off mid-run ends as failed when the job failed, skipped otherwise.
      if (node.status === "running") node.status = status === "failed" ? "failed" : "skipped";
    }
    // The nodes' states carry references to output files (FileRef), never the outputs themselves.
    void this.store.update(job.id, { status, finishedAt: job.finishedAt, error: job.error, nodes: job.nodes });
    this.addToHistory(entry);
    this.trimHistory();
    if (!notify) return;
    if (status === "succeeded") this.emit({ name: "job:succeeded", payload: { jobId: job.id } });
    else if (status === "cancelled") this.emit({ name: "job:cancelled", payload: { jobId: job.id } });
    else
      this.emit({
        name: "job:failed",
        payload: { jobId: job.id, error: job.error ?? { code: "failed", message: "the job failed" } },
      });
    this.emitQueue();
  }

  private addToHistory(entry: Entry): void {
    if (this.history.has(entry.job.id)) return;
    this.history.set(entry.job.id, entry);
    this.historyBytesUsed += entry.bytes;
  }

  /**
   * Drops the oldest finished jobs beyond the history's count and byte bounds; the newest
   * stays whatever its size, so its result can still be read. The history is kept in finish
   * order, so this costs nothing at the usual finish (it ran at every one, over every job).
   */
  private trimHistory(): void {
    for (const [id, entry] of this.history) {
      const over =
        this.history.size > this.historyLimit || (this.historyBytesUsed > this.historyBytes && this.history.size > 1);
      if (!over) return;
      this.history.delete(id);
      this.historyBytesUsed -= entry.bytes;
      this.entries.delete(id);
      void this.store.remove(id);
    }
  }

  private emitQueue(): void {
    this.queueThrottle.push("queue", () => this.state(100));
  }

  private emit(event: QueueEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing listener (a closed socket) must not stop the queue or the other listeners.
      }
    }
  }
}

/** A job's line in a queue listing: its summary, marked while a farm has it and no worker took it yet. */
function listingOf(entry: Entry): JobSummary {
  const summary = summarise(entry.job);
  return entry.dispatched && entry.job.status === "queued" ? { ...summary, awaitingWorker: true } : summary;
}

function isFinished(job: Job): boolean {
  return job.status !== "queued" && job.status !== "running";
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function notFound(id: string): QueueResult<never> {
  return { ok: false, reason: "not_found", error: `no job with id ${id}` };
}

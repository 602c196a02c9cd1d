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
  private readonly maxQueuedJobs: number;
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
   * The queue snapshot goes out at most every 50 ms: it lists every job, and a burst of
   * submissions would otherwise send it (and serialise it per socket) several times per job.
   * The value is computed when sent, so the snapshot is never stale.
   */
  private readonly queueThrottle = new LatestPerKeyThrottle<() => QueueState>(50, (_key, state) =>
    this.emit({ name: "queue", payload: state() }),
  );

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
    const { restored } = this.store;
    this.paused = restored.paused;
    for (const { job, position, bytes } of restored.jobs) {
      const entry: Entry = { job, position, bytes };
      this.entries.set(job.id, entry);
      this.nextBack = Math.max(this.nextBack, position + 1);
      this.nextFront = Math.min(this.nextFront, position - 1);
      if (job.status === "running") this.finish(entry, "failed", SERVER_STOPPED_PROBLEM, false);
    }
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
    const waiting = this.waiting();
    if (waiting.length >= this.maxQueuedJobs)
      return {
        ok: false,
        reason: "full",
        error: `the queue holds ${waiting.length} waiting jobs, its limit; try later`,
      };
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
    const queuedBytes = waiting.reduce((sum, entry) => sum + entry.bytes, 0);
    const entry: Entry = { job, position, bytes };
    this.entries.set(job.id, entry);
    if (queuedBytes + bytes > this.maxQueuedBytes) {
      // Known only once serialised: undo the admission rather than keep a job past the bound.
      this.entries.delete(job.id);
      void this.store.remove(job.id);
      return {
        ok: false,
        reason: "full",
        error: `the waiting jobs would exceed ${this.maxQueuedBytes} bytes; try later`,
      };
    }
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

  /** Running jobs first, then queued in order, then history newest first. */
  state(): QueueState {
    const finished = [...this.entries.values()]
      .filter((e) => isFinished(e.job))
      .sort((a, b) => (b.job.finishedAt ?? 0) - (a.job.finishedAt ?? 0));
    const running = [...this.running.values()].map(({ entry }) => entry);
    return {
      paused: this.paused,
      jobs: [...running, ...this.waiting(), ...finished].map((e) => summarise(e.job)),
    };
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
    if (free <= 0) return;
    for (const next of this.waiting()) {
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

  /** Drops the oldest finished jobs beyond the history's count and byte bounds. */
  private trimHistory(): void {
    const finished = [...this.entries.values()]
      .filter((e) => isFinished(e.job))
      .sort((a, b) => (b.job.finishedAt ?? 0) - (a.job.finishedAt ?? 0));
    let kept = 0;
    let bytes = 0;
    for (const entry of finished) {
      // The newest finished job stays whatever its size, so its result can still be read.
      if (kept === 0 || (kept < this.historyLimit && bytes + entry.bytes <= this.historyBytes)) {
        kept += 1;
        bytes += entry.bytes;
        continue;
      }
      this.entries.delete(entry.job.id);
      void this.store.remove(entry.job.id);
    }
  }

  private emitQueue(): void {
    this.queueThrottle.push("queue", () => this.state());
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

function isFinished(job: Job): boolean {
  return job.status !== "queued" && job.status !== "running";
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function notFound(id: string): QueueResult<never> {
  return { ok: false, reason: "not_found", error: `no job with id ${id}` };
}

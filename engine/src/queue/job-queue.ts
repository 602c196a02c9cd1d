import { randomUUID } from "node:crypto";
import { toProblem, type Problem } from "../graph/problem.ts";
import type { PreviewImage } from "../nodes/definition.ts";
import type { ExecutionResult, WorkflowExecutor } from "../execution/types.ts";
import type { Job, JobSummary, NodeRunState, QueueState, SubmitJob } from "../protocol/index.ts";
import { executionEventsFor, summarise, toUiMessage, type QueueEvent } from "./job-events.ts";
import { QueueJournal, snapshotRecords, type JournalRecord } from "./journal.ts";
import { LatestPerKeyThrottle } from "./latest-throttle.ts";

export type { QueueEvent, QueueEventMap } from "./job-events.ts";

/**
 * The job queue: jobs wait in order, one runs at a time through the WorkflowExecutor, and
 * every change is journaled so the queue and a bounded history survive a restart. Pausing
 * stops new jobs from starting; the running one finishes (as ComfyUI's queue does).
 */

export interface JobQueueOptions {
  executor: WorkflowExecutor;
  /** The journal file; created when missing. */
  journalPath: string;
  /** How many finished jobs to keep (default 100). */
  historyLimit?: number;
  /** Progress throttle interval, ms (default 50). */
  progressIntervalMs?: number;
  /** Preview throttle interval, ms (default 100): encoding a PNG per step would cost more than the step. */
  previewIntervalMs?: number;
  /** Where to report recoverable trouble (unreadable journal lines); default console.warn. */
  log?: (message: string) => void;
}

/** Outcome of a queue operation on one job: the job, or why not (HTTP status and message). */
export type QueueResult<T> =
  { ok: true; value: T } | { ok: false; status: 400 | 404 | 409 | 503; error: string; problems?: Problem[] };

/** The error given to a job that was running when the server stopped. */
export const SERVER_STOPPED_PROBLEM: Problem = {
  code: "server_stopped",
  message: "the server stopped while this job was running; queue it again",
};

interface Entry {
  job: Job;
  position: number;
  controller?: AbortController;
}

export class JobQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(event: QueueEvent) => void>();
  private readonly journal: QueueJournal;
  private readonly executor: WorkflowExecutor;
  private readonly historyLimit: number;
  private readonly log: (message: string) => void;
  private paused: boolean;
  private running: Entry | null = null;
  private runningDone: Promise<void> = Promise.resolve();
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

  /** Opens the queue from its journal: queued jobs keep their order, a job that was running is marked failed. */
  constructor(options: JobQueueOptions) {
    this.executor = options.executor;
    this.historyLimit = options.historyLimit ?? 100;
    this.log = options.log ?? console.warn;
    const { journal, state } = QueueJournal.open(options.journalPath);
    this.journal = journal;
    if (state.skippedLines > 0) {
      this.log(
        `queue journal ${options.journalPath}: skipped ${state.skippedLines} unreadable line(s) (a write cut short by a crash)`,
      );
    }
    this.paused = state.paused;
    for (const { job, position } of state.jobs.values()) {
      this.entries.set(job.id, { job, position });
      this.nextBack = Math.max(this.nextBack, position + 1);
      this.nextFront = Math.min(this.nextFront, position - 1);
      if (job.status === "running") this.finish({ job, position }, "failed", SERVER_STOPPED_PROBLEM, false);
    }
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
   * Validates and queues a job. Validation problems come back all together and nothing is queued.
   *
   * @example const r = queue.submit({ workflow }); if (!r.ok) console.log(r.problems);
   */
  submit(request: SubmitJob): QueueResult<JobSummary> {
    if (this.closed) return { ok: false, status: 409, error: "the queue is shutting down" };
    let problems: Problem[];
    try {
      problems = this.executor.validate(request.workflow, request.targets);
    } catch (error) {
      problems = [toProblem(error)];
    }
    if (problems.length > 0)
      return { ok: false, status: 400, error: `the workflow has ${problems.length} problem(s)`, problems };
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
    // Admission is atomic: the job joins the queue only once its journal line is written. A
    // workflow that cannot be serialised (nested deeper than JSON.stringify's stack allows) or
    // a failed write leaves no trace, so nothing half-admitted can block the queue.
    const position = request.front ? this.nextFront : this.nextBack;
    let line: string;
    try {
      line = QueueJournal.serialise({ type: "job", job, position });
    } catch (error) {
      return { ok: false, status: 400, error: `the job cannot be stored: ${unstorableReason(error)}` };
    }
    try {
      this.journal.appendLine(line);
    } catch (error) {
      return { ok: false, status: 503, error: `the job could not be written to the queue journal: ${String(error)}` };
    }
    if (request.front) this.nextFront--;
    else this.nextBack++;
    const entry: Entry = { job, position };
    this.entries.set(job.id, entry);
    this.compactIfDue();
    this.emit({ name: "job:queued", payload: summarise(job) });
    this.emitQueue();
    this.pump();
    return { ok: true, value: summarise(job) };
  }

  /** The full job (workflow, per-node states), or undefined. */
  get(id: string): Job | undefined {
    return this.entries.get(id)?.job;
  }

  /** The running job, if any. */
  runningJob(): Job | undefined {
    return this.running?.job;
  }

  /** Running job first, then queued in order, then history newest first. */
  state(): QueueState {
    const all = [...this.entries.values()];
    const queued = all.filter((e) => e.job.status === "queued").sort((a, b) => a.position - b.position);
    const finished = all
      .filter((e) => e.job.status !== "queued" && e.job.status !== "running")
      .sort((a, b) => (b.job.finishedAt ?? 0) - (a.job.finishedAt ?? 0));
    const running = this.running ? [this.running] : [];
    return { paused: this.paused, jobs: [...running, ...queued, ...finished].map((e) => summarise(e.job)) };
  }

  /** Cancels a queued job (it becomes cancelled) or aborts the running one (its run decides how it ends). */
  cancel(id: string): QueueResult<JobSummary> {
    const entry = this.entries.get(id);
    if (!entry) return notFound(id);
    if (entry.job.status === "queued") {
      this.finish(entry, "cancelled");
      this.pump();
    } else if (entry.job.status === "running") {
      entry.controller?.abort(new Error("cancelled"));
    } else {
      return { ok: false, status: 409, error: `job ${id} already ${entry.job.status}` };
    }
    return { ok: true, value: summarise(entry.job) };
  }

  /** Moves a queued job to the front of the queue. */
  moveToFront(id: string): QueueResult<QueueState> {
    const entry = this.entries.get(id);
    if (!entry) return notFound(id);
    if (entry.job.status !== "queued")
      return { ok: false, status: 409, error: `job ${id} is ${entry.job.status}, not queued` };
    entry.position = this.nextFront--;
    this.record(entry);
    this.emitQueue();
    return { ok: true, value: this.state() };
  }

  /** Deletes a queued or finished job; the running one must be cancelled first. */
  remove(id: string): QueueResult<null> {
    const entry = this.entries.get(id);
    if (!entry) return notFound(id);
    if (entry.job.status === "running")
      return { ok: false, status: 409, error: `job ${id} is running; cancel it first` };
    this.entries.delete(id);
    this.append({ type: "delete", id });
    this.emitQueue();
    return { ok: true, value: null };
  }

  /** Stops starting new jobs (the running one finishes). */
  pause(): QueueState {
    return this.setPaused(true);
  }

  resume(): QueueState {
    const state = this.setPaused(false);
    this.pump();
    return state;
  }

  /**
   * Stops the queue: aborts the running job and waits for it without journaling its end, so
   * after a restart it reads as "the server stopped while this job was running".
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.running?.controller?.abort(new Error("the server is stopping"));
    await this.runningDone;
    this.progressThrottle.clear();
    this.previewThrottle.clear();
    this.queueThrottle.clear();
    this.journal.close();
  }

  private setPaused(paused: boolean): QueueState {
    if (this.paused !== paused) {
      this.paused = paused;
      this.append({ type: "paused", paused });
    }
    this.emitQueue();
    return this.state();
  }

  /** Starts the next queued job when nothing runs and the queue is not paused. */
  private pump(): void {
    if (this.closed || this.paused || this.running) return;
    const next = [...this.entries.values()]
      .filter((e) => e.job.status === "queued")
      .sort((a, b) => a.position - b.position)[0];
    if (!next) return;
    this.runningDone = this.run(next);
  }

  private async run(entry: Entry): Promise<void> {
    const { job } = entry;
    entry.controller = new AbortController();
    this.running = entry;
    job.status = "running";
    job.startedAt = Date.now();
    this.record(entry);
    this.emit({ name: "job:started", payload: { jobId: job.id } });
    this.emitQueue();
    let result: ExecutionResult;
    try {
      result = await this.executor.execute({
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
      // The executor promises not to throw; if it does, the job fails and the queue goes on.
      result = { status: "failed", error: toProblem(error), ui: {}, ran: [], cached: [], spared: [] };
    }
    this.progressThrottle.flushAll();
    this.previewThrottle.clear();
    this.running = null;
    entry.controller = undefined;
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
    this.record(entry);
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

  private trimHistory(): void {
    const finished = [...this.entries.values()]
      .filter((e) => e.job.status !== "queued" && e.job.status !== "running")
      .sort((a, b) => (b.job.finishedAt ?? 0) - (a.job.finishedAt ?? 0));
    for (const old of finished.slice(this.historyLimit)) {
      this.entries.delete(old.job.id);
      this.append({ type: "delete", id: old.job.id });
    }
  }

  private record(entry: Entry): void {
    this.append({ type: "job", job: entry.job, position: entry.position });
  }

  /**
   * Journals a change to a job already admitted. A failure here (a full disk) is logged and the
   * queue goes on in memory: the job's state is right, only its restart copy lags.
   */
  private append(record: JournalRecord): void {
    if (this.closed) return;
    try {
      this.journal.append(record);
    } catch (error) {
      this.log(`queue journal: could not record a change (${String(error)}); the queue goes on in memory`);
      return;
    }
    this.compactIfDue();
  }

  private compactIfDue(): void {
    if (this.journal.needsCompaction(this.entries.size)) {
      const jobs = new Map([...this.entries].map(([id, e]) => [id, { job: e.job, position: e.position }]));
      this.journal.compact(snapshotRecords({ paused: this.paused, jobs }));
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

/** Why a job could not be serialised, in words a user can act on. */
function unstorableReason(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message))
    return "its data is nested too deeply (flatten the workflow's editor data or node inputs)";
  return error instanceof Error ? error.message : String(error);
}

function notFound(id: string): QueueResult<never> {
  return { ok: false, status: 404, error: `no job with id ${id}` };
}

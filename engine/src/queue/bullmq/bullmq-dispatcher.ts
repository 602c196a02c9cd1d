import { randomUUID } from "node:crypto";
import { Queue, QueueEvents, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { ExecuteRequest, ExecutionEvents, ExecutionResult } from "../../execution/types.ts";
import type { Problem } from "../../graph/problem.ts";
import type { Workflow } from "../../graph/workflow.ts";
import type { JobDispatcher } from "../dispatcher.ts";
import {
  DEFAULT_FARM_QUEUE,
  checkRedis,
  decodeEvent,
  farmChannels,
  farmKeys,
  redisConnection,
  workerQueueName,
  type FarmCancelMessage,
  type FarmEventMessage,
  type FarmJobData,
  type WorkerHeartbeat,
} from "./farm-protocol.ts";

export interface BullmqDispatcherOptions {
  /** `redis://:password@host:port` of the farm's Redis. */
  redisUrl: string;
  /** Validation in the coordinator (the registry's schemas), before a job enters Redis. */
  validate: (workflow: Workflow, targets?: string[]) => Problem[];
  /**
   * The cache keys of the nodes a job needs (the coordinator's executor plans them without
   * running anything): the job goes to the live worker holding most of them. Without it, or
   * when no worker holds any, the job goes to the shared queue.
   */
  cacheKeys?: (workflow: Workflow, targets?: string[]) => Promise<Iterable<string> | undefined>;
  /** How long a job routed to a worker waits for it before it moves to the shared queue (ms, default 3000). */
  affinityWaitMs?: number;
  /**
   * How often the coordinator looks for workers that stopped (their heartbeat expired) and moves
   * their jobs to the shared queue, and refreshes its own heartbeat (ms, default 2000).
   */
  sweepMs?: number;
  /**
   * This coordinator's name in the farm, stable across restarts (e.g. host and data folder): at
   * start it drops the jobs its previous run left waiting in Redis, and no other coordinator's.
   * Default: a random id.
   */
  coordinatorId?: string;
  /** The BullMQ queue name; default `infix-jobs`. */
  queueName?: string;
  /**
   * Jobs handed to Redis at once; default 64. The coordinator's own queue keeps order, pause and
   * move-to-front for the rest, and BullMQ's waiting list is FIFO among these.
   */
  maxInFlight?: number;
  log?: (message: string) => void;
}

interface InFlight {
  events: ExecutionEvents;
  /** The BullMQ queue the job is in now: a worker's own, or the shared one after a fallback. */
  queue: string;
  /** Settles the run: the job's result, its failure, or its removal before a worker started it. */
  settle: (result: ExecutionResult) => void;
  /** Resolves when the worker's end-of-events marker arrives. */
  ended: () => void;
  /** Set by a cancel: a worker that starts the job after all is told again. */
  cancelled?: string;
  /** The request's `started`, at most once. */
  started: () => void;
}

/** How long a finished job waits for its worker's last events (they travel on another connection). */
const LAST_EVENTS_GRACE_MS = 2000;

const EMPTY_RESULT = { ui: {}, ran: [], cached: [], spared: [] };

/** Where a job waits for a worker (BullMQ's states a worker has not taken yet). */
const WAITING_STATES = new Set(["waiting", "prioritized", "delayed"]);

/**
 * The coordinator's side of the farm: each admitted job becomes a BullMQ job on Redis, and its
 * node events come back over pub/sub to the same `ExecutionEvents` the embedded executor would
 * call, so the queue and the sockets see no difference. The result comes back as the BullMQ
 * job's return value.
 *
 * Cache affinity (issue #13): the job goes to the queue of the worker whose output cache holds
 * most of its nodes' cache keys (a seed change re-runs only the sampler and what follows there);
 * if that worker has not taken it after `affinityWaitMs` (busy), or its heartbeat expires (dead),
 * the job moves to the shared queue every worker consumes. A move is BullMQ's remove, which
 * refuses a job a worker has locked, then an add under the same id: a job never runs twice.
 *
 * @example const dispatcher = await BullmqDispatcher.start({ redisUrl, validate: (w, t) => setup.executor.validate(w, t) });
 */
export class BullmqDispatcher implements JobDispatcher {
  /** A job waits in Redis for a free worker; `request.started()` says when one takes it. */
  readonly startsLater = true;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly log: (message: string) => void;
  private readonly channels: ReturnType<typeof farmChannels>;
  private readonly keys: ReturnType<typeof farmKeys>;
  private readonly queues = new Map<string, Queue<FarmJobData, ExecutionResult>>();
  private readonly queueEvents = new Map<string, Promise<QueueEvents>>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private sweeping = false;
  private closed = false;

  private constructor(
    private readonly options: BullmqDispatcherOptions,
    private readonly shared: string,
    private readonly coordinatorId: string,
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
  ) {
    this.log = options.log ?? ((message) => console.error(message));
    this.channels = farmChannels(shared);
    this.keys = farmKeys(shared);
  }

  /** Connects to Redis (failing with the reason when it cannot) and listens for workers' events. */
  static async start(options: BullmqDispatcherOptions): Promise<BullmqDispatcher> {
    const name = options.queueName ?? DEFAULT_FARM_QUEUE;
    const log = options.log ?? ((message: string) => console.error(message));
    await checkRedis(options.redisUrl);
    const publisher = redisConnection(options.redisUrl, log);
    const subscriber = redisConnection(options.redisUrl, log);
    const id = options.coordinatorId ?? randomUUID();
    const dispatcher = new BullmqDispatcher(options, name, id, publisher, subscriber);
    await dispatcher.beat();
    await dispatcher.listen(name);
    await dispatcher.dropLeftovers();
    subscriber.on("message", (_channel: string, text: string) => dispatcher.receive(text));
    await subscriber.subscribe(dispatcher.channels.events);
    const sweepMs = options.sweepMs ?? 2000;
    dispatcher.sweeper = setInterval(() => void dispatcher.sweep(), sweepMs);
    return dispatcher;
  }

  validate(workflow: Workflow, targets?: string[]): Problem[] {
    return this.options.validate(workflow, targets);
  }

  freeSlots(): number {
    return (this.options.maxInFlight ?? 64) - this.inFlight.size;
  }

  async run(request: ExecuteRequest): Promise<ExecutionResult> {
    const problems = this.validate(request.workflow, request.targets);
    if (problems.length > 0) return { ...EMPTY_RESULT, status: "failed", error: problems[0], problems };
    if (request.signal.aborted) return { ...EMPTY_RESULT, status: "cancelled" };
    // The Infix job's id, so the workers' logs name the job the studio shows.
    const jobId = request.jobId ?? randomUUID();
    let settle!: (result: ExecutionResult) => void;
    const settled = new Promise<ExecutionResult>((resolve) => (settle = resolve));
    let ended!: () => void;
    const endOfEvents = new Promise<void>((resolve) => (ended = resolve));
    const onAbort = () => void this.cancel(jobId, request.signal.reason);
    try {
      const preferred = await this.preferredWorker(request);
      const queue = preferred?.queue ?? this.shared;
      await this.listen(queue);
      let taken = false;
      const started = () => {
        if (!taken) request.started?.();
        taken = true;
      };
      this.inFlight.set(jobId, { events: request.events, queue, settle, ended, started });
      // attempts: 1 — a node failure is the workflow's and would fail again. A worker that dies
      // mid-job is BullMQ's "stalled" case instead: moved back to wait once (maxStalledCount 1,
      // set on the workers), then failed with "job stalled more than allowable limit".
      await this.queue(queue).add(
        "run",
        { workflow: request.workflow, targets: request.targets, coordinator: this.coordinatorId },
        { jobId, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } },
      );
      if (preferred) this.later(this.options.affinityWaitMs ?? 3000, () => this.fallBack(jobId, preferred));
      request.signal.addEventListener("abort", onAbort, { once: true });
      if (request.signal.aborted) onAbort();
      const result = await settled;
      if (result.status === "failed" && request.signal.aborted) return { ...EMPTY_RESULT, status: "cancelled" };
      let grace: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([endOfEvents, new Promise((resolve) => (grace = setTimeout(resolve, LAST_EVENTS_GRACE_MS)))]);
      clearTimeout(grace);
      return result;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (request.signal.aborted) return { ...EMPTY_RESULT, status: "cancelled" };
      return { ...EMPTY_RESULT, status: "failed", error: farmProblem(reason) };
    } finally {
      request.signal.removeEventListener("abort", onAbort);
      this.inFlight.delete(jobId);
    }
  }

  /** Stops listening (jobs in Redis stay there; a restarted coordinator reads them as interrupted). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const timer of this.timers) clearTimeout(timer);
    for (const run of this.inFlight.values()) {
      run.ended();
      run.settle({ ...EMPTY_RESULT, status: "cancelled" });
    }
    const events = await Promise.allSettled(this.queueEvents.values());
    for (const listener of events) if (listener.status === "fulfilled") await listener.value.close();
    for (const queue of this.queues.values()) await queue.close();
    await this.publisher.del(this.keys.coordinator(this.coordinatorId)).catch(() => undefined);
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }

  /**
   * The live worker whose cache holds most of the job's keys (an idle one among equals), or none:
   * no keys, no worker holding any, or Redis could not say.
   */
  private async preferredWorker(request: ExecuteRequest): Promise<WorkerHeartbeat | undefined> {
    try {
      const keys = [...((await this.options.cacheKeys?.(request.workflow, request.targets)) ?? [])];
      if (keys.length === 0) return undefined;
      const names = await this.publisher.smembers(this.keys.workers);
      if (names.length === 0) return undefined;
      const pipeline = this.publisher.pipeline();
      for (const name of names) pipeline.get(this.keys.heartbeat(name)).smismember(this.keys.held(name), ...keys);
      const replies = (await pipeline.exec()) ?? [];
      let best: { beat: WorkerHeartbeat; held: number } | undefined;
      names.forEach((_name, index) => {
        const [beatError, beatText] = replies[2 * index] ?? [];
        const [heldError, flags] = replies[2 * index + 1] ?? [];
        if (beatError || heldError || typeof beatText !== "string") return;
        const beat = JSON.parse(beatText) as WorkerHeartbeat;
        const held = (flags as number[]).reduce((sum, flag) => sum + flag, 0);
        if (held === 0) return;
        if (!best || held > best.held || (held === best.held && best.beat.busy && !beat.busy)) best = { beat, held };
      });
      return best?.beat;
    } catch (error) {
      this.log(`farm: could not route by cache (${error instanceof Error ? error.message : String(error)})`);
      return undefined;
    }
  }

  /**
   * After the affinity wait: a job its worker has not taken yet goes to the shared queue, when
   * another worker is free to take it there (else moving it would only lose its cached outputs;
   * it waits another round). A dead worker's jobs are the sweep's.
   */
  private async fallBack(jobId: string, preferred: WorkerHeartbeat): Promise<void> {
    const run = this.inFlight.get(jobId);
    if (!run || run.queue !== preferred.queue || this.closed) return;
    if (!(await this.anotherWorkerIdle(preferred.name))) {
      this.later(this.options.affinityWaitMs ?? 3000, () => this.fallBack(jobId, preferred));
      return;
    }
    if (await this.moveToShared(preferred.queue, jobId, false))
      this.log(`farm: job ${jobId} waited for worker ${preferred.name}; shared now`);
  }

  /** Whether a live worker other than `name` is idle (by the heartbeats). */
  private async anotherWorkerIdle(name: string): Promise<boolean> {
    const names = (await this.publisher.smembers(this.keys.workers)).filter((other) => other !== name);
    if (names.length === 0) return false;
    const beats = await this.publisher.mget(names.map((other) => this.keys.heartbeat(other)));
    return beats.some((text) => text !== null && !(JSON.parse(text) as WorkerHeartbeat).busy);
  }

  /**
   * Moves a job from a worker's queue to the shared one, when no worker holds it: a waiting job
   * as it is, an active one whose lock expired (its worker died) with one more takeover counted.
   * True when moved.
   */
  private async moveToShared(from: string, jobId: string, takeOverActive: boolean): Promise<boolean> {
    const queue = this.queue(from);
    const job = await queue.getJob(jobId).catch(() => undefined);
    if (!job) return false;
    const state = await job.getState();
    const stalled =
      state === "active" && takeOverActive && (await this.publisher.exists(queue.toKey(`${jobId}:lock`))) === 0;
    if (!WAITING_STATES.has(state) && !stalled) return false;
    try {
      // Refused while a worker holds the job's lock: it has started, so it stays where it is.
      await job.remove();
    } catch {
      return false;
    }
    const data: FarmJobData = { ...job.data, takeovers: (job.data.takeovers ?? 0) + (stalled ? 1 : 0) };
    const run = this.inFlight.get(jobId);
    if (run) run.queue = this.shared;
    await this.queue(this.shared).add(job.name, data, { ...job.opts, jobId });
    return true;
  }

  /**
   * Periodically: refreshes this coordinator's heartbeat, moves the jobs of workers whose
   * heartbeat expired to the shared queue (their queues have no consumer any more), and checks
   * the state of this coordinator's jobs (a result whose event was missed, e.g. across a Redis
   * restart, is read from the job).
   */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.closed) return;
    this.sweeping = true;
    try {
      await this.beat();
      for (const name of await this.publisher.smembers(this.keys.workers)) {
        if ((await this.publisher.exists(this.keys.heartbeat(name))) === 1) continue;
        const from = workerQueueName(this.shared, name);
        const queue = this.queue(from);
        const jobs = await queue.getJobs(["waiting", "prioritized", "delayed", "active"]);
        let left = 0;
        for (const job of jobs) {
          if (!job?.id) continue;
          if (await this.moveToShared(from, job.id, true))
            this.log(`farm: worker ${name} stopped; job ${job.id} shared now`);
          else left += 1;
        }
        // Forgotten once its queue is empty (an active job keeps it until its lock expires).
        if (left === 0 && ![...this.inFlight.values()].some((run) => run.queue === from)) {
          await this.publisher.srem(this.keys.workers, name);
          await this.forget(from);
        }
      }
      for (const [jobId, run] of this.inFlight) {
        const job = await this.queue(run.queue).getJob(jobId);
        const state = await job?.getState();
        if (job && state === "completed") this.finished(jobId, job.returnvalue);
        else if (job && state === "failed") this.finished(jobId, failure(job));
      }
    } catch (error) {
      this.log(`farm: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.sweeping = false;
    }
  }

  private async beat(): Promise<void> {
    const ttl = 3 * (this.options.sweepMs ?? 2000);
    await this.publisher.set(this.keys.coordinator(this.coordinatorId), String(Date.now()), "PX", ttl);
  }

  /**
   * At start: removes the jobs waiting in Redis that this coordinator's previous run, or a
   * coordinator no longer alive, left there; their journals read them as interrupted, so running
   * them now would be work nobody sees. Another live coordinator's jobs are left alone.
   */
  private async dropLeftovers(): Promise<void> {
    const names = await this.publisher.smembers(this.keys.workers);
    let dropped = 0;
    for (const name of [this.shared, ...names.map((worker) => workerQueueName(this.shared, worker))]) {
      const queue = this.queue(name);
      for (const job of await queue.getJobs(["waiting", "prioritized", "delayed"])) {
        if (!job?.id) continue;
        const owner = job.data.coordinator;
        const alive =
          owner !== undefined &&
          owner !== this.coordinatorId &&
          (await this.publisher.exists(this.keys.coordinator(owner))) === 1;
        if (alive) continue;
        if (
          await job.remove().then(
            () => true,
            () => false,
          )
        )
          dropped += 1;
      }
    }
    if (dropped > 0)
      this.log(
        `farm: removed ${dropped} job(s) a previous coordinator left waiting in Redis (they read as interrupted)`,
      );
  }

  private queue(name: string): Queue<FarmJobData, ExecutionResult> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue<FarmJobData, ExecutionResult>(name, { connection: this.publisher });
      queue.on("error", (error) => this.log(`farm: ${error.message}`));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Listens for the results of jobs in queue `name` (before a job is added there, so none is missed). */
  private async listen(name: string): Promise<void> {
    let ready = this.queueEvents.get(name);
    if (!ready) {
      const events = new QueueEvents(name, { connection: redisConnection(this.options.redisUrl, this.log) });
      events.on("error", (error) => this.log(`farm: ${error.message}`));
      // A worker took the job (its first node event may follow on the other connection).
      events.on("active", ({ jobId }) => this.inFlight.get(jobId)?.started());
      events.on("completed", ({ jobId, returnvalue }) => {
        const result = (typeof returnvalue === "string" ? JSON.parse(returnvalue) : returnvalue) as ExecutionResult;
        this.finished(jobId, result);
      });
      events.on("failed", ({ jobId, failedReason }) => {
        this.finished(jobId, { ...EMPTY_RESULT, status: "failed", error: farmProblem(failedReason) });
      });
      ready = events.waitUntilReady().then(() => events);
      this.queueEvents.set(name, ready);
    }
    await ready;
  }

  /** A worker finished the job (or BullMQ failed it after its workers died): it had started, whatever came first. */
  private finished(jobId: string, result: ExecutionResult): void {
    const run = this.inFlight.get(jobId);
    run?.started();
    run?.settle(result);
  }

  /** Closes what this coordinator opened for a worker's queue (the worker stopped). */
  private async forget(name: string): Promise<void> {
    const events = this.queueEvents.get(name);
    this.queueEvents.delete(name);
    await (await events)?.close();
    await this.queues.get(name)?.close();
    this.queues.delete(name);
  }

  private later(ms: number, task: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task().catch((error: unknown) => this.log(`farm: ${error instanceof Error ? error.message : String(error)}`));
    }, ms);
    this.timers.add(timer);
  }

  /** A job still waiting in Redis is removed; a running one is told to stop at its next step. */
  private async cancel(jobId: string, reason: unknown): Promise<void> {
    const why = reason instanceof Error ? reason.message : "cancelled";
    const run = this.inFlight.get(jobId);
    if (run) run.cancelled = why;
    try {
      const job = run && (await this.queue(run.queue).getJob(jobId));
      if (job && WAITING_STATES.has(await job.getState())) {
        await job.remove();
        run.ended();
        run.settle({ ...EMPTY_RESULT, status: "cancelled" });
        return;
      }
    } catch {
      // Locked by a worker that just took it: it is running, so tell the workers instead.
    }
    await this.tellCancel(jobId, why);
  }

  private async tellCancel(jobId: string, reason: string): Promise<void> {
    const message: FarmCancelMessage = { jobId, reason };
    await this.publisher.publish(this.channels.cancel, JSON.stringify(message));
  }

  private receive(text: string): void {
    let message: FarmEventMessage;
    try {
      message = JSON.parse(text) as FarmEventMessage;
    } catch {
      return this.log("farm: ignored an event that is not JSON");
    }
    const run = this.inFlight.get(message.jobId);
    if (!run) return; // another coordinator's job, or one already finished
    if (message.event[0] === "end") return run.ended();
    run.started();
    // Cancelled while it moved between queues: the worker that started it after all is told again.
    if (run.cancelled !== undefined && message.event[0] === "nodeStarted")
      void this.tellCancel(message.jobId, run.cancelled).catch(() => undefined);
    const [name, ...args] = decodeEvent(message.event);
    (run.events[name] as (...values: unknown[]) => void)(...args);
  }
}

function failure(job: Job<FarmJobData, ExecutionResult>): ExecutionResult {
  return { ...EMPTY_RESULT, status: "failed", error: farmProblem(job.failedReason ?? "failed") };
}

function farmProblem(reason: string): Problem {
  return { code: "worker_stopped", message: `the farm could not finish this job (${reason}); queue the job again` };
}

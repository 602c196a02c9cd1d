import { randomUUID } from "node:crypto";
import { Queue, QueueEvents } from "bullmq";
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
  redisConnection,
  type FarmCancelMessage,
  type FarmEventMessage,
  type FarmJobData,
} from "./farm-protocol.ts";

export interface BullmqDispatcherOptions {
  /** `redis://:password@host:port` of the farm's Redis. */
  redisUrl: string;
  /** Validation in the coordinator (the registry's schemas), before a job enters Redis. */
  validate: (workflow: Workflow, targets?: string[]) => Problem[];
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
  /** Resolves when the coordinator took the job back out of Redis before a worker started it. */
  removed: (result: ExecutionResult) => void;
  /** Resolves when the worker's end-of-events marker arrives. */
  ended: () => void;
}

/** How long a finished job waits for its worker's last events (they travel on another connection). */
const LAST_EVENTS_GRACE_MS = 2000;

const EMPTY_RESULT = { ui: {}, ran: [], cached: [], spared: [] };

/**
 * The coordinator's side of the farm: each admitted job becomes a BullMQ job on Redis; any
 * `infix worker` pulls it, and its node events come back over pub/sub to the same
 * `ExecutionEvents` the embedded executor would call, so the queue and the sockets see no
 * difference. The result comes back as the BullMQ job's return value.
 *
 * @example const dispatcher = await BullmqDispatcher.start({ redisUrl, validate: (w, t) => setup.executor.validate(w, t) });
 */
export class BullmqDispatcher implements JobDispatcher {
  private readonly inFlight = new Map<string, InFlight>();
  private readonly log: (message: string) => void;
  private readonly channels: ReturnType<typeof farmChannels>;

  private constructor(
    private readonly options: BullmqDispatcherOptions,
    private readonly queue: Queue<FarmJobData, ExecutionResult>,
    private readonly queueEvents: QueueEvents,
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
  ) {
    this.log = options.log ?? ((message) => console.error(message));
    this.channels = farmChannels(queue.name);
  }

  /** Connects to Redis (failing with the reason when it cannot) and listens for workers' events. */
  static async start(options: BullmqDispatcherOptions): Promise<BullmqDispatcher> {
    const name = options.queueName ?? DEFAULT_FARM_QUEUE;
    const log = options.log ?? ((message: string) => console.error(message));
    await checkRedis(options.redisUrl);
    const publisher = redisConnection(options.redisUrl, log);
    const subscriber = redisConnection(options.redisUrl, log);
    const queue = new Queue<FarmJobData, ExecutionResult>(name, { connection: publisher });
    const queueEvents = new QueueEvents(name, { connection: redisConnection(options.redisUrl, log) });
    // One listener per job waiting for its result (waitUntilFinished).
    const listeners = (options.maxInFlight ?? 64) + 10;
    queue.setMaxListeners(listeners);
    queueEvents.setMaxListeners(listeners);
    queueEvents.on("error", (error) => log(`farm: ${error.message}`));
    await queueEvents.waitUntilReady();
    // Jobs a previous coordinator handed over and never heard back from: its journal reads them as
    // interrupted at this start (as in embedded mode), so running them now would be work nobody
    // sees. One coordinator per queue is the supported setup.
    const leftovers = await queue.getWaitingCount();
    if (leftovers > 0) {
      await queue.drain();
      log(`farm: removed ${leftovers} job(s) a previous coordinator left waiting in Redis (they read as interrupted)`);
    }
    const dispatcher = new BullmqDispatcher(options, queue, queueEvents, publisher, subscriber);
    subscriber.on("message", (_channel: string, text: string) => dispatcher.receive(text));
    await subscriber.subscribe(dispatcher.channels.events);
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
    const jobId = randomUUID();
    let removed!: (result: ExecutionResult) => void;
    const removedEarly = new Promise<ExecutionResult>((resolve) => (removed = resolve));
    let ended!: () => void;
    const endOfEvents = new Promise<void>((resolve) => (ended = resolve));
    this.inFlight.set(jobId, { events: request.events, removed, ended });
    const onAbort = () => void this.cancel(jobId, request.signal.reason);
    try {
      // attempts: 1 — a node failure is the workflow's and would fail again. A worker that dies
      // mid-job is BullMQ's "stalled" case instead: moved back to wait once (maxStalledCount 1,
      // set on the workers), then failed with "job stalled more than allowable limit".
      const job = await this.queue.add(
        "run",
        { workflow: request.workflow, targets: request.targets },
        { jobId, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } },
      );
      request.signal.addEventListener("abort", onAbort, { once: true });
      if (request.signal.aborted) onAbort();
      const result = await Promise.race([job.waitUntilFinished(this.queueEvents), removedEarly]);
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
    for (const run of this.inFlight.values()) {
      run.ended();
      run.removed({ ...EMPTY_RESULT, status: "cancelled" });
    }
    await this.queueEvents.close();
    await this.queue.close();
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }

  /** A job still waiting in Redis is removed; a running one is told to stop at its next step. */
  private async cancel(jobId: string, reason: unknown): Promise<void> {
    const why = reason instanceof Error ? reason.message : "cancelled";
    try {
      const job = await this.queue.getJob(jobId);
      if (job && (await job.getState()) === "waiting") {
        await job.remove();
        const run = this.inFlight.get(jobId);
        run?.ended();
        run?.removed({ ...EMPTY_RESULT, status: "cancelled" });
        return;
      }
    } catch {
      // Locked by a worker that just took it: it is running, so tell the workers instead.
    }
    const message: FarmCancelMessage = { jobId, reason: why };
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
    const [name, ...args] = decodeEvent(message.event);
    (run.events[name] as (...values: unknown[]) => void)(...args);
  }
}

function farmProblem(reason: string): Problem {
  return { code: "worker_stopped", message: `the farm could not finish this job (${reason}); queue the job again` };
}

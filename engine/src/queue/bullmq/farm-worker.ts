import { UnrecoverableError, WaitingError, Worker, type Job } from "bullmq";
import type { ExecutionEvents, ExecutionResult, WorkflowExecutor } from "../../execution/types.ts";
import type { ExecutionEventMessage } from "../../worker/worker-messages.ts";
import {
  DEFAULT_FARM_QUEUE,
  END_OF_EVENTS,
  STALLED_TOO_OFTEN,
  checkRedis,
  encodeEvent,
  farmChannels,
  farmKeys,
  redisConnection,
  workerQueueName,
  type FarmCancelMessage,
  type FarmEventMessage,
  type FarmJobData,
  type WorkerHeartbeat,
} from "./farm-protocol.ts";
import { HeldKeys } from "./held-keys.ts";

export interface FarmWorkerOptions {
  redisUrl: string;
  /**
   * Runs the jobs. Give one whose blocking calls happen off this thread (the `WorkerExecutor`):
   * BullMQ renews the job's lock from this event loop, and a blocked loop reads as a dead worker.
   */
  executor: WorkflowExecutor;
  /** This worker's name in events, logs and the name of its own queue (unique in the farm). */
  name: string;
  queueName?: string;
  /**
   * How long a job stays locked without renewal before another worker may take it over (ms,
   * default 30 000): the time to notice a worker killed mid-job. Renewed every half of it.
   */
  lockMs?: number;
  /**
   * How often the worker says it is alive and which cache keys it holds (ms, default 2000); the
   * heartbeat lives three times as long, so the coordinator stops routing to a dead worker then.
   */
  heartbeatMs?: number;
  /** How many entries the executor's output cache holds now: the published keys are trimmed to it. */
  cacheEntries?: () => Promise<number>;
  /** Most cache keys published (default 4096): the most recently used ones. */
  heldKeysLimit?: number;
  log?: (message: string) => void;
}

export interface FarmWorker {
  /** Stops taking jobs; a running one is finished first (BullMQ's graceful close). */
  close(): Promise<void>;
}

/**
 * One farm worker: pulls jobs, one at a time, from its own BullMQ queue (jobs the coordinator
 * routed here because this worker's cache holds their upstream outputs) and from the shared one,
 * runs each on `executor`, publishes its node events, and returns its result to the coordinator.
 * A cancel arrives on the cancel channel and aborts the run at its next step.
 */
export async function startFarmWorker(options: FarmWorkerOptions): Promise<FarmWorker> {
  const log = options.log ?? ((message) => console.error(message));
  const sharedQueue = options.queueName ?? DEFAULT_FARM_QUEUE;
  const ownQueue = workerQueueName(sharedQueue, options.name);
  const channels = farmChannels(sharedQueue);
  const keys = farmKeys(sharedQueue);
  await checkRedis(options.redisUrl);
  const publisher = redisConnection(options.redisUrl, log);
  const subscriber = redisConnection(options.redisUrl, log);
  const running = new Map<string, AbortController>();
  subscriber.on("message", (_channel: string, text: string) => {
    try {
      const message = JSON.parse(text) as FarmCancelMessage;
      running.get(message.jobId)?.abort(new Error(message.reason));
    } catch {
      log("farm worker: ignored a cancel that is not JSON");
    }
  });
  await subscriber.subscribe(channels.cancel);
  const lockMs = options.lockMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? 2000;
  const held = new HeldKeys(options.heldKeysLimit ?? 4096);

  // Heartbeat: alive, busy or not, and the cache keys held; all expire together if this process dies.
  let busy = false;
  let closing = false;
  const heartbeat = async (withKeys: boolean) => {
    if (closing) return;
    const ttl = 3 * heartbeatMs;
    const beat: WorkerHeartbeat = { name: options.name, queue: ownQueue, busy };
    const multi = publisher.multi().sadd(keys.workers, options.name);
    if (withKeys) {
      multi.del(keys.held(options.name));
      const list = held.list();
      if (list.length > 0) multi.sadd(keys.held(options.name), ...list);
    }
    await multi
      .pexpire(keys.held(options.name), ttl)
      .set(keys.heartbeat(options.name), JSON.stringify(beat), "PX", ttl)
      .exec();
  };
  const beat = (withKeys = false) =>
    heartbeat(withKeys).catch((error: unknown) =>
      log(`worker ${options.name}: heartbeat failed (${error instanceof Error ? error.message : String(error)})`),
    );
  const timer = setInterval(() => void beat(), heartbeatMs);

  const workers: Worker<FarmJobData, ExecutionResult>[] = [];
  const processor =
    (source: "own" | "shared") =>
    async (job: Job<FarmJobData, ExecutionResult>, token?: string): Promise<ExecutionResult> => {
      // One job at a time across both queues: a job the other queue handed over in the same
      // instant goes back to wait for the next free worker.
      if (busy) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      busy = true;
      // The other queue stops fetching while this job runs (it resumes after).
      const other = workers[source === "own" ? 1 : 0];
      const paused = other?.pause(true);
      void beat();
      try {
        return await runJob(job, source);
      } finally {
        busy = false;
        void beat(true);
        // After the pause has taken effect: a resume that overtook it would leave the queue paused.
        void paused?.then(() => (closing ? undefined : other.resume()));
      }
    };

  const runJob = async (job: Job<FarmJobData, ExecutionResult>, source: "own" | "shared") => {
    // The coordinator gives the BullMQ job the Infix job's id, so logs and the studio agree.
    const jobId = job.id!;
    const takeovers = (job.data.takeovers ?? 0) + job.stalledCounter;
    if (takeovers > 1)
      throw new UnrecoverableError(`${STALLED_TOO_OFTEN}: the workers running it stopped ${takeovers} times`);
    const controller = new AbortController();
    running.set(jobId, controller);
    const publish = (event: ExecutionEventMessage) => {
      const message: FarmEventMessage = { jobId, worker: options.name, event: encodeEvent(event) };
      void publisher.publish(channels.events, JSON.stringify(message));
    };
    const events: ExecutionEvents = {
      nodeStarted: (...args) => publish(["nodeStarted", ...args]),
      nodeCached: (...args) => publish(["nodeCached", ...args]),
      nodeFinished: (...args) => publish(["nodeFinished", ...args]),
      nodeFailed: (...args) => publish(["nodeFailed", ...args]),
      progress: (...args) => publish(["progress", ...args]),
      preview: (...args) => publish(["preview", ...args]),
    };
    const from = source === "own" ? "routed here for its cached outputs" : "shared queue";
    log(`worker ${options.name}: job ${jobId} started (attempt ${job.attemptsStarted}, ${from})`);
    try {
      const result = await options.executor.execute({
        workflow: job.data.workflow,
        targets: job.data.targets,
        signal: controller.signal,
        events,
      });
      const reused = result.cached.length + result.spared.length;
      log(`worker ${options.name}: job ${jobId} ${result.status} (ran ${result.ran.length} nodes, reused ${reused})`);
      if (result.cacheKeys) {
        const ids = [...result.spared, ...result.cached, ...result.ran];
        held.touch(ids.map((id) => result.cacheKeys![id]).filter((key) => key !== undefined));
        if (options.cacheEntries) held.trim(await options.cacheEntries().catch(() => held.size));
      }
      const end: FarmEventMessage = { jobId, worker: options.name, event: END_OF_EVENTS };
      await publisher.publish(channels.events, JSON.stringify(end));
      return result;
    } finally {
      running.delete(jobId);
    }
  };

  const workerOptions = {
    connection: publisher,
    concurrency: 1,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // One takeover by another worker after this one dies, then the job fails with the reason.
    maxStalledCount: 1,
  };
  workers.push(new Worker<FarmJobData, ExecutionResult>(ownQueue, processor("own"), workerOptions));
  workers.push(new Worker<FarmJobData, ExecutionResult>(sharedQueue, processor("shared"), workerOptions));
  for (const worker of workers) {
    worker.on("error", (error) => log(`worker ${options.name}: ${error.message}`));
    await worker.waitUntilReady();
  }
  await heartbeat(true);
  return {
    close: async () => {
      closing = true;
      clearInterval(timer);
      await Promise.all(workers.map((worker) => worker.close()));
      // Gone at once rather than after the TTL: the coordinator moves this worker's waiting jobs on.
      await publisher.del(keys.heartbeat(options.name), keys.held(options.name)).catch(() => undefined);
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}

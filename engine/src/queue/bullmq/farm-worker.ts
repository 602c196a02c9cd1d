import { Worker } from "bullmq";
import type { ExecutionEvents, ExecutionResult, WorkflowExecutor } from "../../execution/types.ts";
import type { ExecutionEventMessage } from "../../worker/worker-messages.ts";
import {
  DEFAULT_FARM_QUEUE,
  END_OF_EVENTS,
  checkRedis,
  encodeEvent,
  farmChannels,
  redisConnection,
  type FarmCancelMessage,
  type FarmEventMessage,
  type FarmJobData,
} from "./farm-protocol.ts";

export interface FarmWorkerOptions {
  redisUrl: string;
  /**
   * Runs the jobs. Give one whose blocking calls happen off this thread (the `WorkerExecutor`):
   * BullMQ renews the job's lock from this event loop, and a blocked loop reads as a dead worker.
   */
  executor: WorkflowExecutor;
  /** This worker's name in events and logs. */
  name: string;
  queueName?: string;
  /**
   * How long a job stays locked without renewal before another worker may take it over (ms,
   * default 30 000): the time to notice a worker killed mid-job. Renewed every half of it.
   */
  lockMs?: number;
  log?: (message: string) => void;
}

export interface FarmWorker {
  /** Stops taking jobs; a running one is finished first (BullMQ's graceful close). */
  close(): Promise<void>;
}

/**
 * One farm worker: pulls jobs from the BullMQ queue, one at a time, runs each on `executor`,
 * publishes its node events, and returns its result to the coordinator. A cancel arrives on the
 * cancel channel and aborts the run at its next step.
 */
export async function startFarmWorker(options: FarmWorkerOptions): Promise<FarmWorker> {
  const log = options.log ?? ((message) => console.error(message));
  const queueName = options.queueName ?? DEFAULT_FARM_QUEUE;
  const channels = farmChannels(queueName);
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

  const worker = new Worker<FarmJobData, ExecutionResult>(
    queueName,
    async (job) => {
      const jobId = job.id!;
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
      log(`worker ${options.name}: job ${jobId} started (attempt ${job.attemptsStarted})`);
      try {
        const result = await options.executor.execute({
          workflow: job.data.workflow,
          targets: job.data.targets,
          signal: controller.signal,
          events,
        });
        log(`worker ${options.name}: job ${jobId} ${result.status}`);
        const end: FarmEventMessage = { jobId, worker: options.name, event: END_OF_EVENTS };
        await publisher.publish(channels.events, JSON.stringify(end));
        return result;
      } finally {
        running.delete(jobId);
      }
    },
    {
      connection: publisher,
      concurrency: 1,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      // One takeover by another worker after this one dies, then the job fails with the reason.
      maxStalledCount: 1,
    },
  );
  worker.on("error", (error) => log(`worker ${options.name}: ${error.message}`));
  await worker.waitUntilReady();
  return {
    close: async () => {
      await worker.close();
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}

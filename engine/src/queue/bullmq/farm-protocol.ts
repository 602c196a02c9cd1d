import { Redis } from "ioredis";
import type { ExecutionEventMessage } from "../../worker/worker-messages.ts";
import type { Workflow } from "../../graph/workflow.ts";

/**
 * What the coordinator and the farm's workers exchange through Redis (issue #13, part 2).
 *
 * Jobs and their results go through a BullMQ queue: durable (AOF), locked while a worker runs
 * them, moved back once when that worker dies. Node events, progress and previews go through
 * Redis pub/sub instead of `job.updateProgress`: they are many, short-lived and only useful live,
 * so they should not be written into the job's hash and the events stream (which BullMQ keeps
 * and trims); a coordinator that misses some while down still gets the job's final result.
 */

/** The BullMQ queue every worker pulls from. */
export const DEFAULT_FARM_QUEUE = "infix-jobs";

/** The pub/sub channels, per queue name (one farm per queue). */
export const farmChannels = (queue: string) => ({
  /** Worker → coordinator: `FarmEventMessage` as JSON. */
  events: `${queue}:events`,
  /** Coordinator → workers: `FarmCancelMessage` as JSON. */
  cancel: `${queue}:cancel`,
});

/** A job's payload in BullMQ: the workflow the coordinator admitted. */
export interface FarmJobData {
  workflow: Workflow;
  targets?: string[];
  /** The coordinator that admitted it (`BullmqDispatcherOptions.coordinatorId`): a restart drops its own leftovers. */
  coordinator?: string;
  /**
   * How often a worker died while running it before it was moved out of that worker's queue
   * (the coordinator moves a dead worker's jobs to the shared queue; BullMQ's stalled counter
   * starts again there, so the count travels with the job).
   */
  takeovers?: number;
}

/**
 * Cache affinity (BullMQ's open-source edition has no group routing): every worker consumes the
 * shared queue and a queue of its own; it publishes a heartbeat (a key with a TTL, refreshed
 * periodically and after each job) and the set of cache keys its output cache holds. The
 * coordinator sends a job to the queue of the live worker that holds most of the job's keys.
 */
export const farmKeys = (queue: string) => ({
  /** SET of the names of workers that registered (live or not: a missing heartbeat says dead). */
  workers: `${queue}:workers`,
  /** `WorkerHeartbeat` as JSON, with a TTL. */
  heartbeat: (worker: string) => `${queue}:worker:${worker}`,
  /** SET of the cache keys the worker holds, with the heartbeat's TTL. */
  held: (worker: string) => `${queue}:worker:${worker}:held`,
  /** A coordinator's heartbeat, with a TTL: its jobs waiting in Redis are not leftovers. */
  coordinator: (id: string) => `${queue}:coordinator:${id}`,
});

export interface WorkerHeartbeat {
  name: string;
  /** The BullMQ queue only this worker consumes. */
  queue: string;
  /** Running a job now. */
  busy: boolean;
}

/** The queue of one worker (BullMQ queue names may not hold `:`; a host:pid name is made safe). */
export function workerQueueName(queue: string, worker: string): string {
  return `${queue}.worker.${worker.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
}

/** The failure of a job whose workers died under it more than once (worded as BullMQ's own). */
export const STALLED_TOO_OFTEN = "job stalled more than allowable limit";

/** One executor callback of a running job; previews carry their RGB as base64. */
export interface FarmEventMessage {
  jobId: string;
  /** Which worker runs it (for logs and tests). */
  worker: string;
  event: ExecutionEventMessage | ["preview", string, { width: number; height: number; rgb: string }] | ["end"];
}

export interface FarmCancelMessage {
  jobId: string;
  reason: string;
}

/**
 * The last message of a run, published before the worker hands its result to BullMQ. The result
 * reaches the coordinator on another connection (the queue's events stream), possibly before the
 * last node events; the coordinator waits for this marker so it relays every event first.
 */
export const END_OF_EVENTS: ["end"] = ["end"];

/** Encodes an executor event for the events channel (previews' bytes as base64). */
export function encodeEvent(event: ExecutionEventMessage): FarmEventMessage["event"] {
  if (event[0] !== "preview") return event;
  const [, nodeId, image] = event;
  return ["preview", nodeId, { ...image, rgb: Buffer.from(image.rgb).toString("base64") }];
}

/** The inverse of `encodeEvent`. */
export function decodeEvent(event: Exclude<FarmEventMessage["event"], ["end"]>): ExecutionEventMessage {
  if (event[0] !== "preview") return event as ExecutionEventMessage;
  const [, nodeId, image] = event;
  const rgb = typeof image.rgb === "string" ? new Uint8Array(Buffer.from(image.rgb, "base64")) : image.rgb;
  return ["preview", nodeId, { ...image, rgb }];
}

/**
 * A Redis connection from a `redis://[:password@]host:port[/db]` (or `rediss://`) URL, set up as
 * BullMQ needs it (no per-request retry limit: its blocking commands wait indefinitely).
 */
export function redisConnection(url: string, log: (message: string) => void = () => undefined): Redis {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  // ioredis reconnects by itself; say so once per outage instead of once per retry.
  let last = "";
  connection.on("error", (error: Error) => {
    if (error.message !== last) log(`redis: ${error.message} (reconnecting)`);
    last = error.message;
  });
  connection.on("ready", () => (last = ""));
  return connection;
}

/**
 * Connects once, without retries, so a wrong password or address fails at start with the reason
 * (the long-lived connections would retry forever).
 */
export async function checkRedis(url: string): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // A refused password arrives as an error event; the connect promise only says the connection closed.
  let refusal: Error | undefined;
  probe.on("error", (error: Error) => (refusal ??= error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const reason = (refusal ?? (error instanceof Error ? error : new Error(String(error)))).message;
    throw new Error(`could not use the farm's Redis at ${redactRedisUrl(url)}: ${reason}`, { cause: error });
  } finally {
    probe.disconnect();
  }
}

/** The URL with its password masked, for logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an invalid Redis URL)";
  }
}

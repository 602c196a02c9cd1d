import { hostname } from "node:os";
import { WorkerExecutor } from "@infix/engine/host";
import { startFarmWorker, type FarmWorker, redactRedisUrl } from "@infix/engine/server";
import { engineCliOptions, engineSetupFromCli } from "./cli-engine-setup.ts";
import type { RuntimeCliOptions } from "./runtime-options.ts";

/** `infix worker`'s options as commander parses them. */
export interface WorkerOptions extends RuntimeCliOptions {
  redis: string;
  /** The data folder shared with the coordinator (inputs are read from it, outputs saved into it). */
  data: string;
  output?: string;
  models?: string;
  testNodes?: boolean;
  /** This worker's name in logs; default host:pid. */
  name?: string;
  /** How long a job of a dead worker stays locked before another worker takes it over (ms). */
  lockMs?: number;
}

/**
 * `infix worker`: one farm worker. Jobs run in a worker thread with the same engine setup as
 * `infix serve`'s (executor, model sessions, output cache), so onnxruntime's blocking calls never
 * hold the event loop that renews BullMQ's job lock (a blocked loop would read as a dead worker).
 */
export async function startWorker(options: WorkerOptions, log: (line: string) => void): Promise<FarmWorker> {
  const setup = await engineSetupFromCli(options, log);
  const executor = await WorkerExecutor.start({
    entry: new URL("./executor-worker.mjs", import.meta.url),
    workerData: engineCliOptions(options),
    validate: (workflow, targets) => setup.executor.validate(workflow, targets),
    log,
  });
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const lockMs = options.lockMs ?? 30_000;
  const farm = await startFarmWorker({
    redisUrl: options.redis,
    executor,
    name,
    lockMs,
    // Alive-or-dead is noticed about as fast as a dead worker's job lock expires, within 6 s.
    heartbeatMs: Math.min(2000, lockMs / 2),
    // The published cache keys follow the worker thread's output cache as it evicts.
    cacheEntries: async () => (await executor.cache.stats()).entries,
    log,
  });
  log(`worker ${name} is taking jobs from ${redactRedisUrl(options.redis)}`);
  return {
    close: async () => {
      await farm.close();
      await executor.close();
    },
  };
}

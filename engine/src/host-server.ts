/**
 * The host's network half (`@infix/engine/server`): the HTTP and socket.io server, the job
 * queue's stores and dispatchers, and the BullMQ farm (coordinator dispatcher and farm
 * worker). For bin/ and benchmarks; never for node packages. What runs the jobs is
 * `@infix/engine/host`.
 */
export * from "./server/index.ts";
export { JournalJobStore, type JournalOptions } from "./queue/journal.ts";
export type { JobStore } from "./queue/job-store.ts";
export { SingleWorkerDispatcher, type JobDispatcher } from "./queue/dispatcher.ts";
export { BullmqDispatcher, type BullmqDispatcherOptions } from "./queue/bullmq/bullmq-dispatcher.ts";
export { startFarmWorker, type FarmWorker, type FarmWorkerOptions } from "./queue/bullmq/farm-worker.ts";
export { checkRedis, DEFAULT_FARM_QUEUE, redactRedisUrl } from "./queue/bullmq/farm-protocol.ts";
export { farmSocketAdapter } from "./queue/bullmq/farm-sockets.ts";

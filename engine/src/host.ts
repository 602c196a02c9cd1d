/**
 * The host (`@infix/engine/host`): what runs node packages — the node registry, the executor
 * and its output cache, the file folders and the job worker thread. For bin/ (the CLI and
 * server entry) and benchmarks; never for node packages. Its network half (HTTP server, job
 * queue, BullMQ farm) is `@infix/engine/server`, apart so that `infix run` and the worker
 * thread never load express, socket.io or BullMQ.
 */
export * from "./nodes/registry.ts";
export * from "./execution/index.ts";
export * from "./cache/index.ts";
export { FileStore, type FileFolders, type FolderName } from "./files/file-store.ts";
export { WorkerExecutor, type WorkerExecutorOptions } from "./worker/worker-executor.ts";
export { serveExecutor, type WorkerCache } from "./worker/serve-executor.ts";

/** Running workflows: the executor, its contract with the queue, and list fan-out. */
export * from "./types.ts";
export * from "./executor.ts";

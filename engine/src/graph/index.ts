/**
 * The framework-free graph core: workflow schema and migrations, node schemas, problems,
 * connection rules, validation, topological order and cache keys. The editor and the
 * server import it alike. Pure: no Node or DOM imports.
 */
export * from "./problem.ts";
export * from "./node-schema.ts";
export * from "./workflow.ts";
export * from "./problem-codes.ts";
export * from "./parse.ts";
export * from "./json-schema.ts";
export * from "./connect.ts";
export * from "./link-rules.ts";
export * from "./widget-value.ts";
export * from "./plan.ts";
export * from "./suggest.ts";
export * from "./validate.ts";
export * from "./hash.ts";
export * from "./cache-key.ts";

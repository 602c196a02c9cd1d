/**
 * The framework-free graph core: workflow schema, node schemas, problems, and (as they
 * land) connection rules, validation, topological order and cache keys. The editor and
 * the server import it alike. Pure: no Node or DOM imports.
 */
export * from "./problem.ts";
export * from "./node-schema.ts";
export * from "./workflow.ts";

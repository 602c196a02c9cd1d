/** The engine's public API for node packages and the server entry. */
export * from "./graph/index.ts";
export * from "./nodes/definition.ts";
export * from "./runtime/tensor.ts";

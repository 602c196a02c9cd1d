/** The output cache: byte-budgeted LRU of node outputs by cache key. */
export * from "./byte-size.ts";
export * from "./output-cache.ts";

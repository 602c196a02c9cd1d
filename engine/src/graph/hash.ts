/**
 * Stable hashing for cache keys: canonical JSON (sorted keys) hashed with FNV-1a 64.
 * Pure: no Node or DOM imports, so the editor can compute the same keys as the server.
 */

/** A JSON-like value that can be canonicalised; `undefined` object fields are dropped as JSON does. */
export type Canonicalisable =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly Canonicalisable[]
  | { readonly [key: string]: Canonicalisable };

/**
 * JSON text with object keys sorted at every level, so equal values give equal text in any
 * process regardless of insertion order.
 *
 * @example canonicalJson({ b: 1, a: [true, null] }) === '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: Canonicalisable): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "boolean":
      return value ? "true" : "false";
  }
  // Plain loops and string appends: this runs for every node of every job (see bench/engine.ts).
  if (Array.isArray(value)) {
    let text = "[";
    for (let i = 0; i < value.length; i++) text += (i > 0 ? "," : "") + canonicalJson(value[i] as Canonicalisable);
    return text + "]";
  }
  const record = value as { readonly [key: string]: Canonicalisable };
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort();
  let text = "{";
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    text += (first ? "" : ",") + JSON.stringify(key) + ":" + canonicalJson(item);
    first = false;
  }
  return text + "}";
}

const FNV_PRIME_LOW = 0x1b3; // FNV 64 prime = 2^40 + 0x1b3

// One growing scratch buffer for UTF-8 bytes: hashing runs once per node per job, so no allocation per call.
const encoder = new TextEncoder();
let scratch = new Uint8Array(1024);

/**
 * FNV-1a 64 (Fowler–Noll–Vo, draft-eastlake-fnv) of the string's UTF-8 bytes, as 16 hex digits.
 * Computed in four 16-bit lanes so it needs no BigInt; every intermediate stays below 2^31.
 *
 * @example fnv1a64("foobar") === "85944171f73967e8"
 */
export function fnv1a64(text: string): string {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
  const length = encoder.encodeInto(text, scratch).written;
  const bytes = scratch;
  // Offset basis 0xcbf29ce484222325, lowest lane first.
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (let i = 0; i < length; i++) {
    h0 ^= bytes[i];
    // Multiply by 2^40 + 0x1b3: each lane times 0x1b3, plus lanes 0 and 1 shifted up 40 bits (2.5 lanes).
    const t0 = h0 * FNV_PRIME_LOW;
    const t1 = h1 * FNV_PRIME_LOW + (t0 >>> 16);
    const t2 = h2 * FNV_PRIME_LOW + (h0 << 8) + (t1 >>> 16);
    const t3 = h3 * FNV_PRIME_LOW + (h1 << 8) + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  return hex4(h3) + hex4(h2) + hex4(h1) + hex4(h0);
}

function hex4(lane: number): string {
  return lane.toString(16).padStart(4, "0");
}

/** Hash of a value's canonical JSON: equal values, equal hashes, in every process. */
export function hashValue(value: Canonicalisable): string {
  return fnv1a64(canonicalJson(value));
}

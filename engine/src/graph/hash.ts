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
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return `[${value.map((item: Canonicalisable) => canonicalJson(item)).join(",")}]`;
  const record = value as { readonly [key: string]: Canonicalisable };
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    if (record[key] === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  }
  return `{${parts.join(",")}}`;
}

const FNV_PRIME_LOW = 0x1b3; // FNV 64 prime = 2^40 + 0x1b3

/**
 * FNV-1a 64 (Fowler–Noll–Vo, draft-eastlake-fnv) of the string's UTF-8 bytes, as 16 hex digits.
 * Computed in four 16-bit lanes so it needs neither BigInt nor a byte buffer.
 *
 * @example fnv1a64("foobar") === "85944171f73967e8"
 */
export function fnv1a64(text: string): string {
  // Offset basis 0xcbf29ce484222325, lowest lane first.
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  const mix = (byte: number): void => {
    h0 ^= byte;
    // Multiply by 2^40 + 0x1b3: each lane times 0x1b3, plus lanes 0 and 1 shifted up 40 bits.
    const t0 = h0 * FNV_PRIME_LOW;
    const t1 = h1 * FNV_PRIME_LOW + (t0 >>> 16);
    const t2 = h2 * FNV_PRIME_LOW + (h0 << 8) + (t1 >>> 16);
    const t3 = h3 * FNV_PRIME_LOW + (h1 << 8) + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  };
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    // Join surrogate pairs into one code point before UTF-8 encoding.
    if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    // A lone surrogate encodes as U+FFFD, as TextEncoder does.
    if (code >= 0xd800 && code < 0xe000) code = 0xfffd;
    if (code < 0x80) mix(code);
    else if (code < 0x800) {
      mix(0xc0 | (code >> 6));
      mix(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      mix(0xe0 | (code >> 12));
      mix(0x80 | ((code >> 6) & 0x3f));
      mix(0x80 | (code & 0x3f));
    } else {
      mix(0xf0 | (code >> 18));
      mix(0x80 | ((code >> 12) & 0x3f));
      mix(0x80 | ((code >> 6) & 0x3f));
      mix(0x80 | (code & 0x3f));
    }
  }
  const hex = (lane: number) => lane.toString(16).padStart(4, "0");
  return hex(h3) + hex(h2) + hex(h1) + hex(h0);
}

/** Hash of a value's canonical JSON: equal values, equal hashes, in every process. */
export function hashValue(value: Canonicalisable): string {
  return fnv1a64(canonicalJson(value));
}

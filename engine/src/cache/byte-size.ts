/**
 * How many bytes a value holds, for the output cache's budget. Counts real buffer sizes
 * (typed arrays, ArrayBuffers) exactly and everything else by a fixed small estimate.
 */

/** Implemented by values that know their own size better than a walk (e.g. model pack handles). */
export interface SizedValue {
  byteSize(): number;
}

function hasByteSize(value: object): value is SizedValue {
  return typeof (value as Partial<SizedValue>).byteSize === "function";
}

/** Per-slot and per-object overheads: rough V8 figures, enough to rank entries for eviction. */
const SLOT_BYTES = 8;
const OBJECT_BYTES = 16;

/**
 * The bytes `value` holds: typed arrays and ArrayBuffers by `byteLength` (each buffer counted
 * once, even when several views share it), strings at two bytes a character, arrays, plain
 * objects, Maps and Sets walked, and objects with `byteSize()` asked.
 *
 * @example byteSizeOf({ dims: [1, 3, 8, 8], data: new Float32Array(192) }) // 768 + a few dozen bytes
 */
export function byteSizeOf(value: unknown): number {
  const seen = new Set<unknown>();
  const pending: unknown[] = [value];
  let total = 0;
  while (pending.length > 0) {
    const item = pending.pop();
    switch (typeof item) {
      case "string":
        total += 2 * item.length;
        continue;
      case "number":
      case "bigint":
        total += SLOT_BYTES;
        continue;
      case "boolean":
        total += 4;
        continue;
      case "object":
        break;
      default:
        continue; // undefined, functions, symbols
    }
    if (item === null || seen.has(item)) continue;
    seen.add(item);
    if (ArrayBuffer.isView(item)) {
      // Count the underlying buffer once: views sharing it add nothing.
      if (!seen.has(item.buffer)) {
        seen.add(item.buffer);
        total += item.buffer.byteLength;
      }
      continue;
    }
    if (
      item instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer !== "undefined" && item instanceof SharedArrayBuffer)
    ) {
      total += item.byteLength;
      continue;
    }
    if (hasByteSize(item)) {
      total += item.byteSize();
      continue;
    }
    total += OBJECT_BYTES;
    if (Array.isArray(item)) {
      total += SLOT_BYTES * item.length;
      for (const element of item) pending.push(element);
    } else if (item instanceof Map) {
      for (const [key, entry] of item) pending.push(key, entry);
    } else if (item instanceof Set) {
      for (const entry of item) pending.push(entry);
    } else {
      for (const key of Object.keys(item)) {
        total += 2 * key.length + SLOT_BYTES;
        pending.push((item as Record<string, unknown>)[key]);
      }
    }
  }
  return total;
}

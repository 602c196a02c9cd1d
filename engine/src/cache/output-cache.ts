import type { CacheStats } from "../protocol/index.ts";
import { byteSizeOf } from "./byte-size.ts";

/**
 * The in-memory output cache: node outputs by cache key, least recently used evicted first,
 * bounded by a byte budget rather than an entry count (one image batch can outweigh a
 * thousand integers).
 */

export interface OutputCacheOptions {
  /** Most bytes the entries may hold together. */
  budgetBytes: number;
  /** How to size an entry; defaults to `byteSizeOf`. */
  sizeOf?: (value: unknown) => number;
}

/** Stats as GET /api/cache serves them, plus how many entries were too big to keep. */
export interface OutputCacheStats extends CacheStats {
  /** Entries refused because alone they exceed the budget. */
  rejected: number;
}

interface Slot<V> {
  value: V;
  bytes: number;
}

/** An LRU map bounded by bytes. `get` counts a hit or a miss and marks the entry as recently used. */
export class OutputCache<V = unknown> {
  // A Map iterates in insertion order; re-inserting on use makes the first key the least recent.
  private readonly slots = new Map<string, Slot<V>>();
  private readonly sizeOf: (value: unknown) => number;
  private budget: number;
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private rejected = 0;

  constructor(options: OutputCacheOptions) {
    if (!(options.budgetBytes >= 0))
      throw new RangeError(`cache budget must be a non-negative number of bytes, got ${options.budgetBytes}`);
    this.budget = options.budgetBytes;
    this.sizeOf = options.sizeOf ?? byteSizeOf;
  }

  /** The value under `key`, counting a hit (and refreshing it) or a miss. */
  get(key: string): V | undefined {
    const slot = this.slots.get(key);
    if (!slot) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.slots.delete(key);
    this.slots.set(key, slot);
    return slot.value;
  }

  /** Whether `key` is held; counts nothing and changes no order. */
  has(key: string): boolean {
    return this.slots.has(key);
  }

  /**
   * Stores `value` under `key`, evicting least recently used entries to fit. Returns false,
   * storing nothing, when the value alone exceeds the budget.
   */
  set(key: string, value: V): boolean {
    const bytes = this.sizeOf(value);
    this.delete(key);
    if (bytes > this.budget) {
      this.rejected++;
      return false;
    }
    this.slots.set(key, { value, bytes });
    this.bytes += bytes;
    this.evictToFit(this.budget);
    return true;
  }

  /** Removes `key`; true when it was held. */
  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (!slot) return false;
    this.slots.delete(key);
    this.bytes -= slot.bytes;
    return true;
  }

  /** Drops every entry; hit, miss, eviction and rejection counts are kept (they are lifetime counts). */
  clear(): void {
    this.slots.clear();
    this.bytes = 0;
  }

  /** Changes the budget, evicting at once if the entries no longer fit. */
  setBudget(budgetBytes: number): void {
    if (!(budgetBytes >= 0))
      throw new RangeError(`cache budget must be a non-negative number of bytes, got ${budgetBytes}`);
    this.budget = budgetBytes;
    this.evictToFit(budgetBytes);
  }

  /** Keys from least to most recently used. */
  keys(): string[] {
    return [...this.slots.keys()];
  }

  /** Entry count, bytes held, budget and lifetime counters, as GET /api/cache reports them. */
  stats(): OutputCacheStats {
    return {
      entries: this.slots.size,
      bytes: this.bytes,
      budgetBytes: this.budget,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      rejected: this.rejected,
    };
  }

  private evictToFit(budget: number): void {
    for (const [key, slot] of this.slots) {
      if (this.bytes <= budget) break;
      this.slots.delete(key);
      this.bytes -= slot.bytes;
      this.evictions++;
    }
  }
}

/**
 * The cache keys a farm worker says it holds: the keys of the nodes its recent jobs ran or
 * reused, most recently used last, bounded by a count. Its output cache evicts least recently
 * used entries by bytes, so keeping the newest `entries` keys follows what the cache holds
 * closely enough to route on (a stale key costs one re-run, never a wrong result: the worker's
 * executor looks every key up again).
 */
export class HeldKeys {
  // A Set iterates in insertion order; re-inserting on use makes the first key the least recent.
  private readonly keys = new Set<string>();

  constructor(private readonly limit: number) {}

  /** Marks `keys` as just used (in order), dropping the oldest beyond the limit. */
  touch(keys: Iterable<string>): void {
    for (const key of keys) {
      this.keys.delete(key);
      this.keys.add(key);
    }
    this.trim(this.limit);
  }

  /** Keeps only the `count` most recent keys (the cache's entry count after an eviction). */
  trim(count: number): void {
    for (const key of this.keys) {
      if (this.keys.size <= Math.max(0, count)) break;
      this.keys.delete(key);
    }
  }

  get size(): number {
    return this.keys.size;
  }

  /** Oldest first. */
  list(): string[] {
    return [...this.keys];
  }
}

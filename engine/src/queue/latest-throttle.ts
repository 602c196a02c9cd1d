/**
 * Sends at most one value per key every `intervalMs`, always the latest: the first value of a
 * quiet key goes out at once, later ones within the interval replace each other and the last
 * goes out when the interval ends. Used for progress (a sampler step every few ms would flood
 * the socket) and previews, per node, as the house style asks (~50 ms).
 */
export class LatestPerKeyThrottle<T> {
  private readonly keys = new Map<string, { lastSent: number; pending?: T; timer?: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly intervalMs: number,
    private readonly send: (key: string, value: T) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  push(key: string, value: T): void {
    const entry = this.keys.get(key) ?? { lastSent: Number.NEGATIVE_INFINITY };
    this.keys.set(key, entry);
    const time = this.now();
    if (entry.timer === undefined && time - entry.lastSent >= this.intervalMs) {
      entry.lastSent = time;
      this.send(key, value);
      return;
    }
    entry.pending = value;
    entry.timer ??= setTimeout(() => this.flush(key), Math.max(0, entry.lastSent + this.intervalMs - time));
  }

  /** Sends the key's pending value now, if any (e.g. before the node's "finished" event). */
  flush(key: string): void {
    const entry = this.keys.get(key);
    if (!entry) return;
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = undefined;
    if (entry.pending !== undefined) {
      const value = entry.pending;
      entry.pending = undefined;
      entry.lastSent = this.now();
      this.send(key, value);
    }
  }

  /** Flushes every key. */
  flushAll(): void {
    for (const key of [...this.keys.keys()]) this.flush(key);
  }

  /** Drops pending values without sending them and forgets every key. */
  clear(): void {
    for (const entry of this.keys.values()) if (entry.timer !== undefined) clearTimeout(entry.timer);
    this.keys.clear();
  }
}

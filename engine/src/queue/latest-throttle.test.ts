import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LatestPerKeyThrottle } from "./latest-throttle.ts";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("LatestPerKeyThrottle", () => {
  it("sends the first value at once, then only the latest per interval, per key", () => {
    const sent: string[] = [];
    const throttle = new LatestPerKeyThrottle<number>(50, (key, value) => sent.push(`${key}=${value}`));
    throttle.push("a", 1);
    throttle.push("a", 2);
    throttle.push("a", 3);
    throttle.push("b", 1);
    expect(sent).toEqual(["a=1", "b=1"]);
    vi.advanceTimersByTime(49);
    expect(sent).toEqual(["a=1", "b=1"]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual(["a=1", "b=1", "a=3"]);
    // Within 50 ms of the last send, the next value waits for the interval again.
    throttle.push("a", 4);
    expect(sent).toHaveLength(3);
    vi.advanceTimersByTime(50);
    expect(sent.at(-1)).toBe("a=4");
  });

  it("flushes a pending value on demand and clears without sending", () => {
    const sent: number[] = [];
    const throttle = new LatestPerKeyThrottle<number>(50, (_key, value) => sent.push(value));
    throttle.push("a", 1);
    throttle.push("a", 2);
    throttle.flush("a");
    expect(sent).toEqual([1, 2]);
    throttle.push("a", 3);
    throttle.clear();
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([1, 2]);
  });
});

import { describe, expect, it } from "vitest";
import { LiveStore } from "./live-store.ts";

function manualFrames() {
  const queue: (() => void)[] = [];
  return { request: (cb: () => void) => void queue.push(cb), run: () => queue.splice(0).forEach((cb) => cb()), queue };
}

describe("LiveStore", () => {
  it("notifies only the node whose state changed", () => {
    const live = new LiveStore(manualFrames());
    let a = 0;
    let b = 0;
    live.subscribe("a", () => a++);
    live.subscribe("b", () => b++);
    live.update("a", { status: "running" });
    expect([a, b]).toEqual([1, 0]);
    expect(live.get("a").status).toBe("running");
  });

  it("batches progress ticks to one update per node per frame, the latest winning", () => {
    const frames = manualFrames();
    const live = new LiveStore(frames);
    let calls = 0;
    live.subscribe("s", () => calls++);
    for (let step = 1; step <= 10; step++) live.batch("s", { progress: { step, total: 10 } });
    expect(calls).toBe(0);
    expect(frames.queue).toHaveLength(1);
    frames.run();
    expect(calls).toBe(1);
    expect(live.get("s").progress).toEqual({ step: 10, total: 10 });
  });

  it("lets an immediate status update absorb pending progress, and resets", () => {
    const frames = manualFrames();
    const live = new LiveStore(frames);
    live.batch("s", { progress: { step: 3, total: 4 } });
    live.update("s", { status: "done", ms: 12 });
    expect(live.get("s")).toEqual({ progress: { step: 3, total: 4 }, status: "done", ms: 12 });
    frames.run();
    live.reset();
    expect(live.get("s")).toEqual({});
  });
});

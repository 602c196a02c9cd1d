import { getPriority } from "node:os";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";

/** Runs lowerThreadPriority in a worker thread; its nice value after, and that of a thread it starts then. */
async function inWorker(): Promise<{ lowered: number | undefined; child: number }> {
  const worker = new Worker(new URL("./thread-priority.test-support.mjs", import.meta.url));
  try {
    return await new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  } finally {
    await worker.terminate();
  }
}

describe("lowerThreadPriority", () => {
  it("lowers the calling thread and the threads it starts on Linux, leaving the server's thread as it was", async () => {
    const before = getPriority(0);
    const { lowered, child } = await inWorker();
    if (process.platform === "linux") {
      expect(lowered).toBe(Math.min(19, before + 10));
      expect(child).toBe(lowered);
    } else expect(lowered).toBeUndefined();
    expect(getPriority(0)).toBe(before);
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { floatTensor, intTensor } from "../tensor.ts";
import { float16BitsToFloat32, float32ToFloat16Bits } from "./float16.ts";
import { SessionPool, type PoolSession, type SessionCreateOptions } from "./session-pool.ts";
import { encodeTestModel, externalInitializer, writeAddModel } from "./test-models.ts";

let dir: string;
let addPath: string;
let addHalfPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "infix-pool-"));
  addPath = join(dir, "add.onnx");
  addHalfPath = join(dir, "add16.onnx");
  await writeAddModel(addPath);
  await writeAddModel(addHalfPath, "float16");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const a = () => floatTensor([3], Float32Array.of(1, 2.5, -4));
const b = () => floatTensor([3], Float32Array.of(0.5, 0.25, 10));

/** A session stand-in that counts, and whose runs wait until released by the test. */
class FakeSession implements PoolSession {
  released = false;
  pending: (() => void)[] = [];
  constructor(readonly path: string) {}
  run(): Promise<Record<string, ort.Tensor>> {
    return new Promise((done) =>
      this.pending.push(() => done({ y: new ort.Tensor("float32", Float32Array.of(1), [1]) })),
    );
  }
  async release(): Promise<void> {
    this.released = true;
  }
  finishAll(): void {
    for (const finish of this.pending.splice(0)) finish();
  }
}

function fakePool(budgetBytes: number) {
  const created: FakeSession[] = [];
  const pool = new SessionPool({
    memoryBudgetBytes: budgetBytes,
    createSession: async (path) => {
      const session = new FakeSession(path);
      created.push(session);
      return session;
    },
  });
  return { pool, created };
}

const tick = () => new Promise((done) => setTimeout(done, 5));

/** Waits until `condition` holds (the pool reads files before creating a session, so timing varies). */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not reached in 10 s");
    await tick();
  }
}

describe("SessionPool with onnxruntime", () => {
  it("runs a float32 graph and returns the sums", async () => {
    const pool = new SessionPool();
    const { y } = await pool.run(addPath, { a: a(), b: b() });
    expect(y.dims).toEqual([3]);
    expect(Array.from(y.data as Float32Array)).toEqual([1.5, 2.75, 6]);
    expect(pool.stats()).toMatchObject({ sessionsLoaded: 1, loads: 1, runsInFlight: 0 });
    expect(pool.stats().bytesLoaded).toBeGreaterThan(0);
  });

  it("converts feeds to float16 and outputs back for a float16 graph", async () => {
    const pool = new SessionPool();
    // 0.1 and 0.2 are not halves; the graph adds their rounded halves in half precision.
    const { y } = await pool.run(
      addHalfPath,
      { a: floatTensor([2], Float32Array.of(0.1, 1000)), b: floatTensor([2], Float32Array.of(0.2, 0.3)) },
      { floatType: "float16" },
    );
    const half = (x: number) => float16BitsToFloat32(float32ToFloat16Bits(x));
    expect(y.data).toBeInstanceOf(Float32Array);
    expect(y.data[0]).toBe(half(half(0.1) + half(0.2)));
    expect(y.data[1]).toBe(1000.5); // halves in [512,1024) are 0.5 apart: 1000.3 rounds to 1000.5
  });

  it("falls back to the CPU with one warning when CUDA is unavailable", async () => {
    const warnings: string[] = [];
    const pool = new SessionPool({ executionProvider: "cuda", warn: (message) => warnings.push(message) });
    const copyPath = join(dir, "add-copy.onnx");
    await writeAddModel(copyPath);
    const hasCuda = ort.listSupportedBackends().some((backend) => backend.name === "cuda" && backend.bundled);
    const first = await pool.run(addPath, { a: a(), b: b() });
    await pool.run(copyPath, { a: a(), b: b() });
    expect(Array.from(first.y.data as Float32Array)).toEqual([1.5, 2.75, 6]);
    if (hasCuda) return; // a CUDA build runs on the GPU and has nothing to warn about
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/CUDA.*CPU/);
    expect(pool.stats().executionProvider).toBe("cpu");
  });

  it("checks the abort signal before running", async () => {
    const pool = new SessionPool();
    const controller = new AbortController();
    controller.abort(new Error("job cancelled"));
    await expect(pool.run(addPath, { a: a(), b: b() }, { signal: controller.signal })).rejects.toThrow("job cancelled");
    expect(pool.stats().sessionsLoaded).toBe(0);
  });

  it("passes int64 feeds through and reports a graph that fails to load, then retries", async () => {
    const castPath = join(dir, "cast.onnx");
    await writeFile(
      castPath,
      encodeTestModel({
        inputs: [{ name: "ids", type: "int64", shape: [2] }],
        outputs: [
          { name: "as_float", type: "float32", shape: [2] },
          { name: "same", type: "int64", shape: [2] },
        ],
        nodes: [
          { opType: "Cast", input: ["ids"], output: ["as_float"], attribute: [{ name: "to", type: 2, i: 1 }] },
          { opType: "Identity", input: ["ids"], output: ["same"] },
        ],
      }),
    );
    const pool = new SessionPool();
    const out = await pool.run(castPath, { ids: intTensor([2], [7, -3]) });
    expect(Array.from(out.as_float.data as Float32Array)).toEqual([7, -3]);
    expect(Array.from(out.same.data as BigInt64Array)).toEqual([7n, -3n]);

    const brokenPath = join(dir, "broken.onnx");
    await writeFile(brokenPath, "not a model");
    await expect(pool.run(brokenPath, {})).rejects.toThrow();
    expect(pool.isLoaded(brokenPath)).toBe(false);
  });

  it("counts external weight files in a graph's size", async () => {
    const path = join(dir, "external.onnx");
    await writeFile(join(dir, "external.onnx.data"), Buffer.alloc(10_000));
    const model = encodeTestModel({
      inputs: [{ name: "x", type: "float32", shape: [2] }],
      outputs: [{ name: "y", type: "float32", shape: [2] }],
      nodes: [{ opType: "Add", input: ["x", "w"], output: ["y"] }],
      initializers: [externalInitializer("w", [2], "external.onnx.data", 0, 8)],
    });
    await writeFile(path, model);
    const pool = new SessionPool();
    const { y } = await pool.run(path, { x: floatTensor([2], Float32Array.of(1, 2)) });
    expect(Array.from(y.data as Float32Array)).toEqual([1, 2]); // the external weights are zeros
    expect(pool.stats().bytesLoaded).toBe(model.length + 10_000);
  });
});

describe("SessionPool lifecycle", () => {
  it("shares one creation among concurrent first requests", async () => {
    const { pool, created } = fakePool(1e9);
    const runs = [pool.run(addPath, {}), pool.run(addPath, {}), pool.run(addPath, {})];
    await until(() => created.length > 0 && created[0].pending.length === 3);
    expect(created).toHaveLength(1);
    created[0].finishAll();
    await Promise.all(runs);
    expect(pool.stats()).toMatchObject({ loads: 1, sessionsLoaded: 1, runsInFlight: 0 });
  });

  it("unloads the least recently used idle session over budget, never one that is running", async () => {
    const graphs = await Promise.all(
      ["g1", "g2", "g3"].map(async (name) => {
        const path = join(dir, `${name}.onnx`);
        await writeAddModel(path);
        return path;
      }),
    );
    const { pool, created } = fakePool(1); // any two graphs exceed it
    // g1 runs and stays running while g2 loads: g1 must survive.
    const running = pool.run(graphs[0], {});
    await until(() => created.length === 1 && created[0].pending.length === 1);
    const second = pool.run(graphs[1], {});
    await until(() => created.length === 2 && created[1].pending.length === 1);
    expect(created.map((s) => s.released)).toEqual([false, false]);
    expect(pool.stats().sessionsLoaded).toBe(2);
    created[1].finishAll();
    await second;
    created[0].finishAll();
    await running;
    // Both are idle now; g2 was used before g1 finished, so g2 is the older and went first.
    expect(created[1].released).toBe(true);
    expect(created[0].released).toBe(false);
    const third = pool.run(graphs[2], {});
    await until(() => created.length === 3 && created[2].pending.length === 1);
    expect(created[0].released).toBe(true);
    created[2].finishAll();
    await third;
    expect(pool.stats()).toMatchObject({ sessionsLoaded: 1, evictions: 2, loads: 3 });
  });

  it("passes thread counts and optimization level to session creation", async () => {
    const seen: SessionCreateOptions[] = [];
    const pool = new SessionPool({
      intraOpThreads: 2,
      interOpThreads: 1,
      graphOptimizationLevel: "basic",
      createSession: async (_path, options) => {
        seen.push(options);
        return { run: async () => ({}), release: async () => {} };
      },
    });
    await pool.run(addPath, {});
    expect(seen).toEqual([
      { executionProvider: "cpu", intraOpThreads: 2, interOpThreads: 1, graphOptimizationLevel: "basic" },
    ]);
  });
});

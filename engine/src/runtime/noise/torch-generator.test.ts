import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { elementCount } from "../tensor.ts";
import { Mt19937 } from "./mt19937.ts";
import { TorchGenerator } from "./torch-generator.ts";

interface Described {
  shape: number[];
  values?: number[];
  sha256?: string;
  head?: number[];
  tail?: number[];
  sampled?: Record<string, number>;
}
interface Fixture {
  cases: (Described & { seed: number })[];
  sequences: { seed: number; calls: Described[] }[];
}

const fixture = JSON.parse(readFileSync(new URL("./torch-randn.fixture.json", import.meta.url), "utf8")) as Fixture;

function sha256OfFloat32(values: Float32Array): string {
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return createHash("sha256").update(bytes).digest("hex");
}

/** Asserts bit equality with what torch produced (the fixture's floats are exact float32 values). */
function expectMatchesTorch(actual: Float32Array, expected: Described): void {
  expect(actual.length).toBe(elementCount(expected.shape));
  if (expected.values) {
    expect(Array.from(actual)).toEqual(expected.values);
    return;
  }
  expect(Array.from(actual.subarray(0, 64))).toEqual(expected.head);
  expect(Array.from(actual.subarray(actual.length - 64))).toEqual(expected.tail);
  for (const [index, value] of Object.entries(expected.sampled ?? {})) expect(actual[Number(index)]).toBe(value);
  expect(sha256OfFloat32(actual)).toBe(expected.sha256);
}

describe("Mt19937", () => {
  it("produces the reference mt19937 stream (C++ std::mt19937 default seed 5489: 10000th output is 4123659995)", () => {
    const engine = new Mt19937(5489);
    let last = 0;
    for (let i = 0; i < 10000; i++) last = engine.nextUint32();
    expect(last).toBe(4123659995);
  });
});

describe("TorchGenerator.randn matches torch.manual_seed(seed); torch.randn(shape) bit for bit", () => {
  for (const c of fixture.cases) {
    it(`seed ${c.seed}, shape [${c.shape.join(",")}]`, () => {
      expectMatchesTorch(new TorchGenerator(c.seed).randn(c.shape), c);
    });
  }

  it("gives torch's well-known first values for seed 0", () => {
    const values = new TorchGenerator(0).randn([3]);
    expect(Array.from(values, (v) => Number(v.toFixed(4)))).toEqual([1.541, -0.2934, -2.1788]);
  });
});

describe("TorchGenerator continues one stream across calls, as one torch.Generator does", () => {
  for (const sequence of fixture.sequences) {
    it(`seed ${sequence.seed}: ${sequence.calls.map((c) => `[${c.shape.join(",")}]`).join(" then ")}`, () => {
      const generator = new TorchGenerator(sequence.seed);
      for (const call of sequence.calls) expectMatchesTorch(generator.randn(call.shape), call);
    });
  }

  it("restarts the stream on manualSeed, dropping the cached normal of the small-tensor path", () => {
    const generator = new TorchGenerator(5);
    const first = generator.randn([1]);
    generator.randn([1]);
    generator.manualSeed(5);
    expect(generator.randn([1])).toEqual(first);
  });
});

describe("TorchGenerator libm kernel (non-AVX2 builds)", () => {
  it("differs from the AVX2 kernel by at most a few float32 ulps on a 4096-value draw", () => {
    const avx2 = new TorchGenerator(3).randn([4096]);
    const libm = new TorchGenerator(3, { kernel: "libm" }).randn([4096]);
    let maxDiff = 0;
    for (let i = 0; i < avx2.length; i++) maxDiff = Math.max(maxDiff, Math.abs(avx2[i] - libm[i]));
    expect(maxDiff).toBeGreaterThan(0);
    expect(maxDiff).toBeLessThan(2e-6);
  });
});

import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { attention } from "./attention.ts";
import { GraphBuilder, type Value } from "./graph-builder.ts";
import {
  conv2d,
  gelu,
  groupNorm,
  layerNorm,
  linear,
  quickGelu,
  resizeNearestTo,
  silu,
  timestepEmbedding,
} from "./layers.ts";
import { SeededRandom } from "./seeded-random.ts";

// Each test builds a one-layer graph, runs it in onnxruntime and recomputes the layer in
// plain JS from the builder's own initializer values.

async function run(g: GraphBuilder, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(g.toBytes());
  try {
    return (await session.run(feeds)) as Record<string, ort.Tensor>;
  } finally {
    await session.release();
  }
}

function floats(dims: number[], seed: number): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor("float32", new SeededRandom(seed).normalArray(n, 1), dims);
}

function data(t: ort.Tensor): Float32Array {
  return t.data as Float32Array;
}

function weights(g: GraphBuilder, name: string): Float32Array {
  return g.initializerData({ name }) as Float32Array;
}

describe("SeededRandom", () => {
  it("repeats its stream for a seed and has roughly standard normal moments", () => {
    const a = new SeededRandom(42).normalArray(20000, 1);
    expect(new SeededRandom(42).normalArray(20000, 1)).toEqual(a);
    expect(new SeededRandom(43).normalArray(4, 1)).not.toEqual(a.slice(0, 4));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});

describe("GraphBuilder layers in onnxruntime", () => {
  it("linear computes x·W + b with W stored [in, out]", async () => {
    const g = new GraphBuilder("t", 1);
    const x = g.input("x", "float32", ["B", 3]);
    g.output(linear(g, x, 3, 2, "fc"), "y", "float32", ["B", 2]);
    const input = floats([2, 3], 5);
    const y = data((await run(g, { x: input })).y);
    const w = weights(g, "fc.weight");
    const b = weights(g, "fc.bias");
    for (let r = 0; r < 2; r++) {
      for (let o = 0; o < 2; o++) {
        let expected = b[o];
        for (let i = 0; i < 3; i++) expected += data(input)[r * 3 + i] * w[i * 2 + o];
        expect(y[r * 2 + o]).toBeCloseTo(expected, 5);
      }
    }
  });

  it("conv2d with stride 2 and padding 1 gives ⌈h/2⌉ outputs that match a direct sum", async () => {
    const g = new GraphBuilder("t", 2);
    const x = g.input("x", "float32", [1, 1, 5, 5]);
    g.output(conv2d(g, x, 1, 1, 3, "conv", { stride: 2 }), "y", "float32", [1, 1, 3, 3]);
    const input = floats([1, 1, 5, 5], 6);
    const out = (await run(g, { x: input })).y;
    expect(out.dims).toEqual([1, 1, 3, 3]);
    const w = weights(g, "conv.weight");
    const bias = weights(g, "conv.bias")[0];
    const at = (r: number, c: number) => (r < 0 || c < 0 || r >= 5 || c >= 5 ? 0 : data(input)[r * 5 + c]);
    for (let oy = 0; oy < 3; oy++) {
      for (let ox = 0; ox < 3; ox++) {
        let s = bias;
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) s += w[ky * 3 + kx] * at(oy * 2 - 1 + ky, ox * 2 - 1 + kx);
        expect(data(out)[oy * 3 + ox]).toBeCloseTo(s, 5);
      }
    }
  });

  it("groupNorm normalises each group of channels over space, then applies the per-channel affine", async () => {
    const g = new GraphBuilder("t", 3);
    const x = g.input("x", "float32", ["B", 4, 3, 3]);
    g.output(groupNorm(g, x, 4, 2, "norm"), "y", "float32", ["B", 4, 3, 3]);
    const input = floats([2, 4, 3, 3], 7);
    const y = data((await run(g, { x: input })).y);
    const scale = weights(g, "norm.weight");
    const shift = weights(g, "norm.bias");
    for (let b = 0; b < 2; b++) {
      for (let group = 0; group < 2; group++) {
        const start = b * 36 + group * 18;
        const values = Array.from(data(input).slice(start, start + 18));
        const mean = values.reduce((s, v) => s + v, 0) / 18;
        const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / 18;
        for (let i = 0; i < 18; i++) {
          const channel = group * 2 + Math.floor(i / 9);
          const expected = ((values[i] - mean) / Math.sqrt(variance + 1e-5)) * scale[channel] + shift[channel];
          expect(y[start + i]).toBeCloseTo(expected, 4);
        }
      }
    }
  });

  it("layerNorm normalises the last axis", async () => {
    const g = new GraphBuilder("t", 4);
    const x = g.input("x", "float32", [2, 4]);
    g.output(layerNorm(g, x, 4, "ln"), "y", "float32", [2, 4]);
    const input = floats([2, 4], 8);
    const y = data((await run(g, { x: input })).y);
    const scale = weights(g, "ln.weight");
    const shift = weights(g, "ln.bias");
    for (let r = 0; r < 2; r++) {
      const v = Array.from(data(input).slice(r * 4, r * 4 + 4));
      const mean = v.reduce((s, a) => s + a, 0) / 4;
      const variance = v.reduce((s, a) => s + (a - mean) ** 2, 0) / 4;
      for (let i = 0; i < 4; i++)
        expect(y[r * 4 + i]).toBeCloseTo(((v[i] - mean) / Math.sqrt(variance + 1e-5)) * scale[i] + shift[i], 4);
    }
  });

  it("activations match their formulas at known points", async () => {
    const g = new GraphBuilder("t", 5);
    const x = g.input("x", "float32", [3]);
    g.output(gelu(g, x), "gelu", "float32", [3]);
    g.output(quickGelu(g, x), "quick", "float32", [3]);
    g.output(silu(g, x), "silu", "float32", [3]);
    const out = await run(g, { x: new ort.Tensor("float32", Float32Array.from([-1, 0, 2]), [3]) });
    // GELU(−1) = −Φ(1)·1 ≈ −0.158655, GELU(2) = 2·Φ(2) ≈ 1.954500 (normal CDF tables).
    expect(Array.from(data(out.gelu))).toEqual([expect.closeTo(-0.158655, 5), 0, expect.closeTo(1.9545, 4)]);
    expect(data(out.quick)[2]).toBeCloseTo(2 / (1 + Math.exp(-3.404)), 5);
    expect(data(out.silu)[0]).toBeCloseTo(-1 / (1 + Math.E), 5);
  });

  it("timestepEmbedding puts cos first when flipped, with frequencies exp(−ln(1e4)·i/half)", async () => {
    const g = new GraphBuilder("t", 6);
    const t = g.input("t", "float32", ["B"]);
    g.output(timestepEmbedding(g, t, 8, { flipSinToCos: true, freqShift: 0 }), "e", "float32", ["B", 8]);
    const e = data((await run(g, { t: new ort.Tensor("float32", Float32Array.from([0, 500.5]), [2]) })).e);
    expect(Array.from(e.slice(0, 8))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    for (let i = 0; i < 4; i++) {
      const arg = 500.5 * Math.pow(10000, -i / 4);
      expect(e[8 + i]).toBeCloseTo(Math.cos(arg), 3);
      expect(e[12 + i]).toBeCloseTo(Math.sin(arg), 3);
    }
  });

  it("resizeNearestTo repeats pixels up to an odd skip size", async () => {
    const g = new GraphBuilder("t", 7);
    const x = g.input("x", "float32", [1, 1, 2, 2]);
    const like = g.input("like", "float32", [1, 1, 3, 3]);
    g.output(resizeNearestTo(g, x, like), "y", "float32", [1, 1, 3, 3]);
    const out = (
      await run(g, {
        x: new ort.Tensor("float32", Float32Array.from([1, 2, 3, 4]), [1, 1, 2, 2]),
        like: floats([1, 1, 3, 3], 1),
      })
    ).y;
    // PyTorch nearest: source index floor(dst · 2/3) → rows 0, 0, 1.
    expect(Array.from(data(out))).toEqual([1, 1, 2, 1, 1, 2, 3, 3, 4]);
  });

  it("attention exposes softmax probabilities, honours an additive mask and lets callers transform them", async () => {
    const g = new GraphBuilder("t", 8);
    const q = g.input("q", "float32", [1, 2, 4]);
    const kv = g.input("kv", "float32", [1, 3, 4]);
    const mask = g.input("mask", "float32", [1, 1, 1, 3]);
    let seen: Value | undefined;
    const result = attention(g, "attn", {
      query: q,
      queryDim: 4,
      keyValue: kv,
      keyValueDim: 4,
      heads: 2,
      additiveMask: mask,
      transformProbabilities: (p) => {
        seen = p;
        return p;
      },
    });
    g.output(result.probabilities, "probs", "float32", [1, 2, 2, 3]);
    g.output(result.output, "out", "float32", [1, 2, 4]);
    const qIn = floats([1, 2, 4], 9);
    const kvIn = floats([1, 3, 4], 10);
    const out = await run(g, {
      q: qIn,
      kv: kvIn,
      mask: new ort.Tensor("float32", Float32Array.from([0, 0, -1e9]), [1, 1, 1, 3]),
    });
    expect(seen?.name).toBe(result.probabilities.name);
    // Recompute head 0 of query 0 by hand.
    const project = (x: Float32Array, row: number, name: string) => {
      const w = weights(g, `attn.${name}.weight`);
      return [0, 1, 2, 3].map((o) => [0, 1, 2, 3].reduce((s, i) => s + x[row * 4 + i] * w[i * 4 + o], 0));
    };
    const q0 = project(data(qIn), 0, "to_q");
    const keys = [0, 1, 2].map((r) => project(data(kvIn), r, "to_k"));
    const scores = keys.map((k) => (q0[0] * k[0] + q0[1] * k[1]) / Math.SQRT2);
    const e = [Math.exp(scores[0]), Math.exp(scores[1])];
    const p = data(out.probs);
    expect(p[0]).toBeCloseTo(e[0] / (e[0] + e[1]), 5);
    expect(p[1]).toBeCloseTo(e[1] / (e[0] + e[1]), 5);
    expect(p[2]).toBe(0);
  });

  it("serialises to the same bytes for the same seed and to different weights for another", () => {
    const build = (seed: number) => {
      const g = new GraphBuilder("t", seed);
      const x = g.input("x", "float32", [1, 8]);
      g.output(linear(g, x, 8, 8, "fc"), "y", "float32", [1, 8]);
      return g.toBytes();
    };
    expect(Buffer.from(build(1)).equals(Buffer.from(build(1)))).toBe(true);
    expect(Buffer.from(build(1)).equals(Buffer.from(build(2)))).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { floatTensor } from "@infix/engine";
import { isMixProblem, mixEmbeddings, normaliseWeights } from "./mix.ts";

const t = (values: number[]) => floatTensor([1, values.length], Float32Array.from(values));

describe("mixEmbeddings", () => {
  it("weights 3:1 give 0.75·a + 0.25·b", () => {
    const mixed = mixEmbeddings([t([4, 0, -8]), t([0, 8, 8])], [3, 1]);
    if (isMixProblem(mixed)) throw new Error("unexpected problem");
    expect(Array.from(mixed.data)).toEqual([3, 2, -4]);
    expect(mixed.dims).toEqual([1, 3]);
  });

  it("equal weights give the mean of three embeddings", () => {
    const mixed = mixEmbeddings([t([1, 2]), t([2, 4]), t([6, 0])], [0.2, 0.2, 0.2]);
    if (isMixProblem(mixed)) throw new Error("unexpected problem");
    expect(mixed.data[0]).toBeCloseTo(3, 6);
    expect(mixed.data[1]).toBeCloseTo(2, 6);
  });

  it("a weight of 1 and 0 returns the first embedding unchanged", () => {
    const a = t([0.1, 0.7]);
    const mixed = mixEmbeddings([a, t([9, 9])], [1, 0]);
    if (isMixProblem(mixed)) throw new Error("unexpected problem");
    expect(Array.from(mixed.data)).toEqual(Array.from(a.data));
  });

  it("rejects all-zero and negative weights and mismatched shapes", () => {
    expect(mixEmbeddings([t([1]), t([2])], [0, 0])).toEqual({ reason: "zero_weights" });
    expect(mixEmbeddings([t([1]), t([2])], [1, -1])).toMatchObject({ reason: "negative_weight", index: 1 });
    expect(mixEmbeddings([t([1]), t([2, 3])], [1, 1])).toMatchObject({
      reason: "shape_mismatch",
      index: 1,
      expected: "[1,1]",
      found: "[1,2]",
    });
  });

  it("normalises weights to sum to one", () => {
    const w = normaliseWeights([1, 3]);
    expect(w).toBeInstanceOf(Float64Array);
    expect(Array.from(w as Float64Array)).toEqual([0.25, 0.75]);
  });
});

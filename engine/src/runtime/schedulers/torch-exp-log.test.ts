import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { torchExpF32, torchLogF32 } from "./torch-exp-log.ts";

interface ExpLogVectors {
  checked_against_torch: string | null;
  exp_in: number[];
  exp_out: number[];
  log_in: number[];
  log_out: number[];
}

const vectors = (
  JSON.parse(readFileSync(new URL("./scheduler-vectors.fixture.json", import.meta.url), "utf8")) as {
    torch_exp_log: ExpLogVectors;
  }
).torch_exp_log;

describe("torch float32 exp/log (SLEEF u10) reproduced bit for bit", () => {
  it("the fixture's values were checked against torch when generated", () => {
    expect(vectors.checked_against_torch).not.toBeNull();
  });

  it("exp", () => {
    expect(vectors.exp_in.map(torchExpF32)).toEqual(vectors.exp_out);
  });

  it("log, including subnormal and huge inputs", () => {
    expect(vectors.log_in.map(torchLogF32)).toEqual(vectors.log_out);
  });

  it("differs from the correctly rounded log for some inputs (so the emulation matters)", () => {
    const differing = vectors.log_in.filter((x) => torchLogF32(x) !== Math.fround(Math.log(x)));
    expect(differing.length).toBeGreaterThan(0);
  });

  it("handles the edges as torch does", () => {
    expect(torchLogF32(0)).toBe(-Infinity);
    expect(torchLogF32(-1)).toBeNaN();
    expect(torchExpF32(-Infinity)).toBe(0);
    expect(torchExpF32(0)).toBe(1);
  });
});

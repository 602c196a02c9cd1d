import { describe, expect, it } from "vitest";
import { resolveSchedulerConfig } from "./config.ts";
import { DDIM_DEFAULTS } from "./ddim.ts";
import { computeNoiseSchedule } from "./noise-schedule.ts";
import { loadSchedulerFixture } from "./test-support.ts";
import { torchLinspaceFloat32 } from "./torch-linspace.ts";

const sd = { beta_schedule: "scaled_linear", beta_start: 0.00085, beta_end: 0.012 };

/** β_i and ᾱ_i straight from the formulas in double, for comparison at float32 precision. */
function doubleSchedule(kind: "linear" | "scaled_linear", start: number, end: number, n = 1000) {
  const betas = Array.from({ length: n }, (_, i) => {
    if (kind === "linear") return start + (i * (end - start)) / (n - 1);
    const r = Math.sqrt(start) + (i * (Math.sqrt(end) - Math.sqrt(start))) / (n - 1);
    return r * r;
  });
  let product = 1;
  const alphasCumprod = betas.map((b) => (product *= 1 - b));
  return { betas, alphasCumprod };
}

describe("noise schedule", () => {
  it("scaled_linear: β runs from 0.00085 to 0.012 and ᾱ follows Π(1 − β) (Stable Diffusion's schedule)", () => {
    const { betas, alphasCumprod } = computeNoiseSchedule(resolveSchedulerConfig(sd, DDIM_DEFAULTS));
    const reference = doubleSchedule("scaled_linear", 0.00085, 0.012);
    expect(betas[0] / 0.00085).toBeCloseTo(1, 6);
    expect(betas[999] / 0.012).toBeCloseTo(1, 6);
    // hand value: ᾱ_0 = 1 − 0.00085
    expect(alphasCumprod[0]).toBe(Math.fround(0.99915));
    for (const i of [1, 10, 250, 500, 750, 999]) {
      expect(Math.abs(betas[i] - reference.betas[i]) / reference.betas[i]).toBeLessThan(1e-6);
      expect(Math.abs(alphasCumprod[i] - reference.alphasCumprod[i]) / reference.alphasCumprod[i]).toBeLessThan(2e-5);
    }
    // the well-known terminal value of SD's schedule
    expect(alphasCumprod[999]).toBeCloseTo(0.00466, 5);
  });

  it("linear: DDPM's 1e-4 … 0.02 gives ᾱ_999 ≈ 4.0e-5", () => {
    const { betas, alphasCumprod } = computeNoiseSchedule(resolveSchedulerConfig({}, DDIM_DEFAULTS));
    const reference = doubleSchedule("linear", 0.0001, 0.02);
    expect(betas[500]).toBeCloseTo(reference.betas[500], 9);
    expect(alphasCumprod[999] / reference.alphasCumprod[999]).toBeCloseTo(1, 4);
    expect(alphasCumprod[999]).toBeCloseTo(4.04e-5, 6);
  });

  it("squaredcos_cap_v2: β_i = min(1 − ᾱ(i+1)/ᾱ(i), 0.999) with the improved-DDPM cosine ᾱ", () => {
    const { betas } = computeNoiseSchedule(
      resolveSchedulerConfig({ beta_schedule: "squaredcos_cap_v2" }, DDIM_DEFAULTS),
    );
    const f = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    expect(betas[0]).toBe(Math.fround(1 - f(0.001) / f(0)));
    expect(betas[999]).toBe(Math.fround(0.999));
  });

  it("matches the fixture's betas and ᾱ exactly (checked there against torch.linspace and torch.cumprod)", () => {
    const schedules = loadSchedulerFixture().cases.filter((c) => c.scheduler === "schedule");
    expect(schedules.length).toBe(3);
    for (const c of schedules) {
      const { betas, alphasCumprod } = computeNoiseSchedule(resolveSchedulerConfig(c.config, DDIM_DEFAULTS));
      for (const [i, v] of Object.entries(c.betas_at ?? {})) expect(betas[Number(i)]).toBe(v);
      for (const [i, v] of Object.entries(c.alphas_cumprod_at ?? {})) expect(alphasCumprod[Number(i)]).toBe(v);
    }
  });

  it("torch.linspace emulation keeps both ends exact and is monotone", () => {
    const values = torchLinspaceFloat32(0.1, 0.7, 37);
    expect(values[0]).toBe(Math.fround(0.1));
    expect(values[36]).toBe(Math.fround(0.7));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
  });
});

import { describe, expect, it } from "vitest";
import { TorchGenerator } from "../noise/torch-generator.ts";
import { createDdimInverseScheduler, createScheduler, isSchedulerName, SCHEDULER_NAMES } from "./create-scheduler.ts";
import { EulerScheduler } from "./euler.ts";
import { compareFloat32, loadSchedulerFixture, recipeTensor, type FixtureCase } from "./test-support.ts";
import type { Scheduler } from "./types.ts";

const fixture = loadSchedulerFixture();
const size = fixture.size;

/** The sample each fixture run starts from (see tools/scheduler_vectors.py). */
function startSample(kind: string, scheduler: Scheduler): Float32Array {
  switch (kind) {
    case "pndm":
      return recipeTensor(1, 1, size);
    case "ddim":
      return recipeTensor(0, 1, size);
    case "ddim_inverse":
      return recipeTensor(3, 0.8, size);
    case "dpmpp_2m":
    case "dpmpp_2m_karras":
      return recipeTensor(4, 1, size);
    default: {
      const sigma = scheduler.initNoiseSigma;
      return recipeTensor(2, 1, size).map((v) => Math.fround(v * sigma));
    }
  }
}

function build(c: FixtureCase): Scheduler {
  if (c.scheduler === "ddim_inverse") return createDdimInverseScheduler(c.config, { formula: c.options.formula });
  if (!isSchedulerName(c.scheduler)) throw new Error(`unknown scheduler ${c.scheduler}`);
  return createScheduler(c.scheduler, c.config, { eta: c.options.eta });
}

const runs = fixture.cases.filter((c) => c.scheduler !== "schedule");

describe("schedulers reproduce the numpy reference (tools/scheduler_vectors.py) step for step", () => {
  for (const c of runs) {
    const label = `${c.scheduler} ${JSON.stringify(c.options)} spacing=${String(c.config.timestep_spacing)} offset=${String(c.config.steps_offset)}`;
    it(label, () => {
      const scheduler = build(c);
      scheduler.setTimesteps(c.options.steps ?? 0);
      if (c.config.use_karras_sigmas === true && c.scheduler === "euler") {
        // diffusers inverts Karras σ to fractional timesteps through numpy's float32 SIMD log,
        // which can differ from the correctly rounded log used here by an ulp: allow 2 float32 ulps.
        const expected = c.timesteps ?? [];
        scheduler.timesteps.forEach((t, i) =>
          expect(Math.abs(t - expected[i])).toBeLessThanOrEqual(2.5e-7 * expected[i]),
        );
      } else {
        expect(Array.from(scheduler.timesteps)).toEqual(c.timesteps);
      }
      if (c.sigmas && scheduler instanceof EulerScheduler) expect(Array.from(scheduler.sigmas)).toEqual(c.sigmas);
      if (c.init_noise_sigma !== undefined) expect(scheduler.initNoiseSigma).toBe(c.init_noise_sigma);

      let sample = startSample(c.scheduler, scheduler);
      let lastScaled: Float32Array | null = null;
      let step = 0;
      const noise = (out: Float32Array) => out.set(recipeTensor(50 + step, 1, size));
      for (; step < (c.options.run ?? 0); step++) {
        const t = scheduler.timesteps[step];
        lastScaled = scheduler.scaleModelInput(sample, t);
        sample = scheduler.step(recipeTensor(10 + step, 1, size), t, sample, noise);
      }
      if (c.last_scaled_input && lastScaled) expect(Array.from(lastScaled)).toEqual(c.last_scaled_input);
      const { maxDiff, identical } = compareFloat32(sample, c.result ?? []);
      expect({ maxDiff, identical }).toEqual({ maxDiff: 0, identical: size });
    });
  }
});

describe("createScheduler", () => {
  it("offers the six Sampler choices", () => {
    expect(SCHEDULER_NAMES).toEqual(["pndm", "ddim", "euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_karras"]);
  });

  it("refuses an ancestral step without a noise source, naming the scheduler", () => {
    const scheduler = createScheduler("euler_ancestral", {});
    scheduler.setTimesteps(10);
    const x = new Float32Array(4);
    expect(() => scheduler.step(x, scheduler.timesteps[0], x)).toThrow(/euler_ancestral: .*noise source/);
  });

  it("draws ancestral noise from a TorchGenerator stream, so the same seed gives the same run", () => {
    const run = (seed: number) => {
      const scheduler = createScheduler("euler_ancestral", {
        beta_schedule: "scaled_linear",
        beta_start: 0.00085,
        beta_end: 0.012,
      });
      scheduler.setTimesteps(5);
      const generator = new TorchGenerator(seed);
      let x = generator.randn([2, 4, 8, 8]).map((v) => v * scheduler.initNoiseSigma);
      for (const t of scheduler.timesteps) {
        const eps = scheduler.scaleModelInput(x, t).map((v) => v * 0.5);
        x = scheduler.step(eps, t, x, (out) => generator.fillNormal(out)).slice();
      }
      return x;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it("rejects an unsupported config flag with the key at fault", () => {
    expect(() => createScheduler("ddim", { thresholding: true })).toThrow(/"thresholding" must be false/);
    const rungeKutta = createScheduler("pndm", { skip_prk_steps: false });
    expect(() => rungeKutta.setTimesteps(3)).toThrow(/skip_prk_steps/);
  });
});

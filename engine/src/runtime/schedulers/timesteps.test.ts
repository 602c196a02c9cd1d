import { describe, expect, it } from "vitest";
import { createDdimInverseScheduler, createScheduler } from "./create-scheduler.ts";
import { img2imgTimesteps } from "./img2img.ts";

const sd = {
  beta_schedule: "scaled_linear",
  beta_start: 0.00085,
  beta_end: 0.012,
  set_alpha_to_one: false,
  skip_prk_steps: true,
};

/** k·⌊1000/n⌋ + offset for k = n−1 … 0: "leading" spacing written out by hand. */
function leadingDescending(n: number, offset: number): number[] {
  const ratio = Math.floor(1000 / n);
  return Array.from({ length: n }, (_, k) => (n - 1 - k) * ratio + offset);
}

describe("PNDM (skip_prk_steps) timesteps", () => {
  it("50 steps: 980, 960, 960, 940, …, 20, 0 — the second timestep repeats, 51 entries", () => {
    const scheduler = createScheduler("pndm", { ...sd, steps_offset: 0 });
    scheduler.setTimesteps(50);
    const base = leadingDescending(50, 0); // 980 … 0
    expect(Array.from(scheduler.timesteps)).toEqual([base[0], base[1], ...base.slice(1)]);
    expect(scheduler.timesteps.length).toBe(51);
    expect(Array.from(scheduler.timesteps.subarray(0, 4))).toEqual([980, 960, 960, 940]);
  });

  it("25 steps: 960, 920, 920, 880, …, 40, 0", () => {
    const scheduler = createScheduler("pndm", { ...sd, steps_offset: 0 });
    scheduler.setTimesteps(25);
    const base = leadingDescending(25, 0);
    expect(Array.from(scheduler.timesteps)).toEqual([base[0], base[1], ...base.slice(1)]);
    expect(scheduler.timesteps[25]).toBe(0);
  });

  it("one step is just [0] (nothing to repeat)", () => {
    const scheduler = createScheduler("pndm", sd);
    scheduler.setTimesteps(1);
    expect(Array.from(scheduler.timesteps)).toEqual([0]);
  });

  it("steps_offset 1 shifts every timestep by one", () => {
    const scheduler = createScheduler("pndm", { ...sd, steps_offset: 1 });
    scheduler.setTimesteps(50);
    expect(Array.from(scheduler.timesteps.subarray(0, 3))).toEqual([981, 961, 961]);
    expect(scheduler.timesteps[50]).toBe(1);
  });
});

describe("PNDM timesteps with the Runge–Kutta warm-up (skip_prk_steps false)", () => {
  it("25 steps: 3 RK steps of 4 evaluations over the 4 largest timesteps and their half steps, then PLMS", () => {
    const scheduler = createScheduler("pndm", { ...sd, skip_prk_steps: false });
    scheduler.setTimesteps(25);
    // leading timesteps 0, 40, …, 960; half step ⌊40/2⌋ = 20
    const rungeKutta = [960, 940, 940, 920, 920, 900, 900, 880, 880, 860, 860, 840];
    const plms = leadingDescending(25, 0).slice(3); // 840, 800, …, 0
    expect(Array.from(scheduler.timesteps)).toEqual([...rungeKutta, ...plms]);
  });
});

describe("DDIM timesteps (leading)", () => {
  for (const n of [25, 50]) {
    for (const offset of [0, 1]) {
      it(`${n} steps, steps_offset ${offset}`, () => {
        const scheduler = createScheduler("ddim", { ...sd, steps_offset: offset });
        scheduler.setTimesteps(n);
        expect(Array.from(scheduler.timesteps)).toEqual(leadingDescending(n, offset));
      });
    }
  }

  it("inversion walks the same list upwards (LAVIS iterates reversed(ddim.timesteps))", () => {
    const config = { ...sd, steps_offset: 1, clip_sample: false };
    const ddim = createScheduler("ddim", config);
    const inverse = createDdimInverseScheduler(config);
    ddim.setTimesteps(50);
    inverse.setTimesteps(50);
    expect(Array.from(inverse.timesteps)).toEqual(Array.from(ddim.timesteps).reverse());
  });
});

describe("img2img timesteps for a denoise strength (diffusers get_timesteps)", () => {
  it("keeps the last ⌊n·strength⌋ steps and noises the input to the first of them", () => {
    const scheduler = createScheduler("ddim", sd);
    scheduler.setTimesteps(50);
    const { timesteps, startIndex, noiseTimestep } = img2imgTimesteps(scheduler, 50, 0.6);
    expect(timesteps.length).toBe(30);
    expect(startIndex).toBe(20);
    expect(noiseTimestep).toBe(580);
  });

  it("strength 1 keeps everything; PNDM keeps its extra repeated entry", () => {
    const scheduler = createScheduler("pndm", sd);
    scheduler.setTimesteps(25);
    expect(img2imgTimesteps(scheduler, 25, 1).timesteps.length).toBe(26);
  });

  it("rejects a strength outside (0, 1]", () => {
    const scheduler = createScheduler("ddim", sd);
    scheduler.setTimesteps(10);
    expect(() => img2imgTimesteps(scheduler, 10, 0)).toThrow(/strength must be in \(0, 1\]/);
  });
});

describe("step guards", () => {
  it("refuses a timestep that is not a training timestep, saying what to pass", () => {
    const scheduler = createScheduler("ddim", sd);
    scheduler.setTimesteps(10);
    const x = new Float32Array(2);
    expect(() => scheduler.step(x, 1000, x)).toThrow(/ddim: timestep 1000 is not an integer in \[0, 1000\)/);
    expect(() => createScheduler("pndm", sd).step(x, 10, x)).toThrow(/setTimesteps/);
  });
});

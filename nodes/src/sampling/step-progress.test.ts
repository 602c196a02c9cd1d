import { describe, expect, it } from "vitest";
import { userStep, userStepCount } from "./step-progress.ts";

describe("sampler progress in the user's steps", () => {
  // diffusers PNDMScheduler(skip_prk_steps=True, steps_offset=0).set_timesteps(25): step ratio 40, the
  // second-to-last of [0, 40, …, 960] repeated, then reversed: 960, 920, 920, 880, …, 0 (26 entries).
  const pndm = [960, 920, ...Array.from({ length: 24 }, (_, i) => 920 - 40 * i)];

  it("counts 25 steps for PNDM's 26 UNet calls", () => {
    expect(pndm).toHaveLength(26);
    expect(userStepCount(pndm)).toBe(25);
  });

  it("ends on x/25 and never runs past it", () => {
    const shown = pndm.map((_, i) => userStep(i + 1, 26, 25));
    expect(shown.at(-1)).toBe(25);
    expect(Math.max(...shown)).toBe(25);
    expect(shown).toEqual([...shown].sort((a, b) => a - b));
    expect(userStep(0, 26, 25)).toBe(0);
  });

  it("is the call count itself when every call is a step", () => {
    expect([1, 2, 3].map((c) => userStep(c, 3, 3))).toEqual([1, 2, 3]);
  });
});

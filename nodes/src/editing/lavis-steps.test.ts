import { describe, expect, it } from "vitest";
import { createScheduler, floatTensor, type Scheduler } from "@infix/engine";
import { BLIP_DIFFUSION_SCHEDULER_CONFIG } from "../pack/manifest.ts";
import { seededNormal } from "../sampling/noise.ts";
import { combineGuidance } from "../sampling/guidance.ts";
import { loadEditCase, type EditCase } from "../testing/reference-edit.ts";
import type { AttentionEdit } from "./attention-edit.ts";
import { createEditSession } from "./edit-session.ts";
import { inversionScheduler } from "./ddim-inversion-node.ts";
import { buildScheduler, LAVIS_EDIT_DDIM } from "../sampling/scheduler-settings.ts";
import type { ModelPack } from "../pack/types.ts";

/**
 * Everything of LAVIS's editing loop that does not need the weights, teacher-forced on its
 * recorded run: the schedulers' timesteps and steps (PNDM for generate_then_edit, LAVIS's DDIM
 * for inversion and edit), guidance with the source row unguided in edit mode, and the VAE
 * sample's seeded noise. Each step starts from the reference's own previous latents.
 */

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};
const step = (i: number) => String(i).padStart(2, "0");
// Only the manifest's scheduler config is read from the pack by these functions.
const packWithScheduler = { manifest: { scheduler: BLIP_DIFFUSION_SCHEDULER_CONFIG } } as unknown as ModelPack;

function editOf(fixture: EditCase, start: AttentionEdit["start"]): AttentionEdit {
  return {
    type: "ATTENTION_CONTROL",
    kind: "prompt-to-prompt",
    packHash: "",
    sourcePrompt: "",
    targetPrompt: "",
    source: floatTensor([1, 77, 32]),
    target: floatTensor([1, 77, 32]),
    mapping: { mapper: new Int32Array(77), alphas: new Float32Array(77) },
    scales: new Float32Array(77).fill(1),
    crossReplaceSteps: fixture.info.cross_replace_steps,
    selfReplaceSteps: fixture.info.self_replace_steps,
    blend: null,
    keyLabels: [[], []],
    start,
    lavisCompatible: true,
  };
}

/** Guidance (and the edit's source-row rule) then the scheduler step, per call, from the reference's latents. */
function checkSampling(fixture: EditCase, scheduler: Scheduler, start: AttentionEdit["start"]) {
  const { info } = fixture;
  expect(Array.from(scheduler.timesteps)).toEqual(fixture.int("timesteps"));
  const session = createEditSession(editOf(fixture, start), {
    steps: info.steps,
    guided: true,
    keys: 77,
    channels: 4,
    height: 16,
    width: 16,
  });
  let previous = fixture.float("latents_start");
  let worstNoise = 0;
  let worstLatents = 0;
  for (let i = 0; i < info.unet_calls; i++) {
    const out = fixture.float(`step${step(i)}.unet_out`);
    const combined = combineGuidance(out, info.guidance, new Float32Array(out.length / 2));
    session.adjustPrediction!(out, combined);
    worstNoise = Math.max(worstNoise, maxAbs(combined, fixture.float(`step${step(i)}.noise_pred`)));
    const next = scheduler.step(combined, scheduler.timesteps[i], previous);
    worstLatents = Math.max(worstLatents, maxAbs(next, fixture.float(`step${step(i)}.latents_sched`)));
    previous = fixture.float(`step${step(i)}.latents`);
  }
  return { worstNoise, worstLatents };
}

describe("LAVIS's editing loop, teacher-forced", () => {
  it("generate_then_edit: PNDM from the pack's config, both rows guided", () => {
    const fixture = loadEditCase("synth_cat2dog_s8");
    const scheduler = createScheduler("pndm", BLIP_DIFFUSION_SCHEDULER_CONFIG);
    scheduler.setTimesteps(fixture.info.steps);
    const { worstNoise, worstLatents } = checkSampling(fixture, scheduler, "generated");
    expect(worstNoise).toBeLessThan(1e-6);
    expect(worstLatents).toBeLessThan(1e-5);
  });

  it("edit: LAVIS's DDIM (steps_offset 1, no clipping), source row unguided", () => {
    const fixture = loadEditCase("real_cat2dog_s6");
    const scheduler = buildScheduler(LAVIS_EDIT_DDIM, BLIP_DIFFUSION_SCHEDULER_CONFIG, fixture.info.steps);
    if (typeof scheduler === "string") throw new Error(scheduler);
    const { worstNoise, worstLatents } = checkSampling(fixture, scheduler, "inverted");
    expect(worstNoise).toBeLessThan(1e-6);
    expect(worstLatents).toBeLessThan(1e-5);
  });

  it("edit: the DDIM inversion's timesteps and steps", () => {
    const fixture = loadEditCase("real_cat2dog_s6");
    const scheduler = inversionScheduler(packWithScheduler, fixture.info.steps);
    expect(Array.from(scheduler.timesteps)).toEqual(fixture.int("inv_timesteps"));
    let previous = fixture.float("latents_encoded");
    let worst = 0;
    for (let i = 0; i < scheduler.timesteps.length; i++) {
      const next = scheduler.step(fixture.float(`inv.step${step(i)}.unet_out`), scheduler.timesteps[i], previous);
      worst = Math.max(worst, maxAbs(next, fixture.float(`inv.step${step(i)}.latents`)));
      previous = fixture.float(`inv.step${step(i)}.latents`);
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it("edit: the VAE's seeded sample draws LAVIS's noise and gives its latents", () => {
    const fixture = loadEditCase("real_cat2dog_s6");
    const seed = (fixture.info as unknown as { vae_seed: number }).vae_seed;
    const noise = seededNormal(seed, [1, 4, 16, 16]).data;
    expect(maxAbs(noise, fixture.float("vae_noise"))).toBe(0);
    const mean = fixture.float("vae_mean");
    const logvar = fixture.float("vae_logvar");
    const latents = mean.map(
      (m, i) => Math.fround(m + Math.fround(Math.fround(Math.exp(0.5 * logvar[i])) * noise[i])) * 0.18215,
    );
    expect(maxAbs(latents, fixture.float("latents_encoded"))).toBeLessThan(1e-6);
  });
});

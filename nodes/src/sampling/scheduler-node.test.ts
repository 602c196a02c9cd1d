import { beforeAll, describe, expect, it } from "vitest";
import { emptyLatentNode } from "../latent/empty-latent.ts";
import { BLIP_DIFFUSION_SCHEDULER_CONFIG } from "../pack/manifest.ts";
import type { ModelPack } from "../pack/types.ts";
import type { AttentionControl, Conditioning, LatentBatch } from "../sockets.ts";
import { textEncodeNode } from "../text/text-encode.ts";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { tinyPack } from "../testing/tiny-pack.ts";
import { samplerNode } from "./sampler.ts";
import { schedulerNode } from "./scheduler-node.ts";
import {
  buildInverseScheduler,
  buildScheduler,
  LAVIS_EDIT_DDIM,
  type SchedulerSettings,
} from "./scheduler-settings.ts";

const ctx = createTestContext();
const DEFAULTS = {
  scheduler: "ddim",
  steps_offset: -1,
  timestep_spacing: "pack",
  clip_sample: "pack",
  set_alpha_to_one: "pack",
  prediction_type: "pack",
  eta: 0,
  extra: "",
};

async function settingsOf(values: Record<string, unknown>): Promise<SchedulerSettings> {
  return (await runNode(schedulerNode, { ...DEFAULTS, ...values }, ctx)).scheduler as SchedulerSettings;
}

function timestepsOf(settings: SchedulerSettings, steps: number): number[] {
  const scheduler = buildScheduler(settings, BLIP_DIFFUSION_SCHEDULER_CONFIG, steps);
  if (typeof scheduler === "string") throw new Error(scheduler);
  return Array.from(scheduler.timesteps);
}

describe("Scheduler node", () => {
  it("keeps the pack's config where every field says 'pack'", async () => {
    const settings = await settingsOf({});
    expect(settings).toEqual({ type: "SCHEDULER", name: "ddim", overrides: {}, eta: 0 });
    // diffusers DDIMScheduler.from_config(pndm config), 10 steps, leading, steps_offset 0: 900, 800, …, 0.
    expect(timestepsOf(settings, 10)).toEqual([900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
  });

  it("expresses LAVIS's editing DDIM: steps_offset 1, clip_sample and set_alpha_to_one false", async () => {
    const settings = await settingsOf({ steps_offset: 1, clip_sample: "false", set_alpha_to_one: "false" });
    expect(settings.overrides).toEqual({ steps_offset: 1, clip_sample: false, set_alpha_to_one: false });
    // SD 1.5 / LAVIS at 50 steps: step ratio 20, leading spacing, +1: 981, 961, …, 1.
    const expected = Array.from({ length: 50 }, (_, i) => 981 - 20 * i);
    expect(timestepsOf(settings, 50)).toEqual(expected);
    expect(timestepsOf(LAVIS_EDIT_DDIM, 50)).toEqual(expected);
    const scheduler = buildScheduler(settings, BLIP_DIFFUSION_SCHEDULER_CONFIG, 50);
    if (typeof scheduler === "string") throw new Error(scheduler);
    expect(scheduler.config).toMatchObject({ clipSample: false, setAlphaToOne: false, stepsOffset: 1 });
    // The inversion walks the same timesteps upwards.
    const inverse = buildInverseScheduler(settings, BLIP_DIFFUSION_SCHEDULER_CONFIG, 50);
    if (typeof inverse === "string") throw new Error(inverse);
    expect(Array.from(inverse.timesteps)).toEqual([...expected].reverse());
  });

  it("sets trailing and linspace spacing as diffusers computes them", async () => {
    // trailing: round(arange(1000, 0, -1000/4)) - 1 = 999, 749, 499, 249
    expect(timestepsOf(await settingsOf({ timestep_spacing: "trailing" }), 4)).toEqual([999, 749, 499, 249]);
    // linspace: round(linspace(0, 999, 4))[::-1] = 999, 666, 333, 0
    expect(timestepsOf(await settingsOf({ timestep_spacing: "linspace" }), 4)).toEqual([999, 666, 333, 0]);
  });

  it("takes more diffusers keys as JSON, with the fields winning over it", async () => {
    const settings = await settingsOf({ extra: '{"beta_end": 0.02, "steps_offset": 5}', steps_offset: 1 });
    expect(settings.overrides).toEqual({ beta_end: 0.02, steps_offset: 1 });
  });

  it("refuses bad JSON and bad values at validation, naming what to write", () => {
    expect(schedulerNode.validate?.({ ...DEFAULTS, extra: "{beta_end: 1" })[0]).toMatch(/not valid JSON/);
    expect(schedulerNode.validate?.({ ...DEFAULTS, extra: "[1]" })[0]).toMatch(/JSON object/);
    expect(schedulerNode.validate?.({ ...DEFAULTS, extra: '{"beta_schedule": "cubic"}' })[0]).toMatch(
      /beta_schedule.*one of linear, scaled_linear, squaredcos_cap_v2/,
    );
    expect(schedulerNode.validate?.({ ...DEFAULTS, extra: '{"x": {"y": 1}}' })[0]).toMatch(/"x" must be a number/);
    expect(schedulerNode.validate?.({ ...DEFAULTS, scheduler: "warp" })[0]).toMatch(/Unknown scheduler "warp"/);
    expect(schedulerNode.validate?.(DEFAULTS)).toEqual([]);
  });

  it("fails at run time naming the input when a value is wrong", async () => {
    const problem = await runNodeFailure(schedulerNode, { ...DEFAULTS, extra: '{"steps_offset": -3}' }, ctx);
    expect(problem).toMatchObject({ input: "extra" });
  });
});

describe("Sampler with scheduler settings", () => {
  let pack: ModelPack;
  let positive: Conditioning;
  let negative: Conditioning;
  let latent: LatentBatch;

  beforeAll(async () => {
    pack = await tinyPack();
    positive = (await runNode(textEncodeNode, { pack, text: "a dog" }, ctx)).conditioning as Conditioning;
    negative = (await runNode(textEncodeNode, { pack, text: "" }, ctx)).conditioning as Conditioning;
    latent = (await runNode(emptyLatentNode, { pack, width: 32, height: 32, batch_size: 1 }, ctx))
      .latent as LatentBatch;
  });

  async function sample(inputs: Record<string, unknown>, seen?: number[]): Promise<Float32Array> {
    const watcher: AttentionControl = {
      type: "ATTENTION_CONTROL",
      feeds(call) {
        seen?.push(call.timestep);
        return null;
      },
    };
    const base = { pack, positive, negative, latent, seed: 7, steps: 4, cfg: 3, scheduler: "pndm", denoise: 1 };
    const out = await runNode(samplerNode, { ...base, attention_control: watcher, ...inputs }, ctx);
    return (out.latent as LatentBatch).samples.data;
  }

  it("equals the scheduler widget bit for bit when the settings keep the pack's config", async () => {
    const plain = await sample({ scheduler: "ddim" });
    const viaSettings = await sample({ scheduler: "pndm", scheduler_settings: await settingsOf({}) });
    expect(Array.from(viaSettings)).toEqual(Array.from(plain));
  });

  it("runs the settings' timesteps, and DDIM's eta draws from the seed", async () => {
    const seen: number[] = [];
    await sample({ scheduler_settings: LAVIS_EDIT_DDIM }, seen);
    expect(seen).toEqual([751, 501, 251, 1]);
    const stochastic = await settingsOf({ eta: 1 });
    const a = await sample({ scheduler_settings: stochastic });
    const b = await sample({ scheduler_settings: stochastic });
    const deterministic = await sample({ scheduler_settings: await settingsOf({}) });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.some((v, i) => Math.abs(v - deterministic[i]) > 1e-4)).toBe(true);
  });

  it("names scheduler_settings when its config does not fit the pack", async () => {
    const bad: SchedulerSettings = {
      type: "SCHEDULER",
      name: "ddim",
      overrides: { trained_betas: [0.1, 0.2] },
      eta: 0,
    };
    const problem = await runNodeFailure(
      samplerNode,
      {
        pack,
        positive,
        negative,
        latent,
        seed: 1,
        steps: 2,
        cfg: 1,
        scheduler: "ddim",
        denoise: 1,
        scheduler_settings: bad,
      },
      ctx,
    );
    expect(problem).toMatchObject({ input: "scheduler_settings" });
    expect(problem.message).toMatch(/trained_betas/);
  });
});

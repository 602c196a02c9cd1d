/**
 * The scheduler registry: the names a Sampler node offers and one constructor for all of
 * them, configured from the pack's diffusers `scheduler_config` (as diffusers'
 * `XScheduler.from_config(pipeline.scheduler.config)` switches schedulers).
 */

import type { DiffusersSchedulerConfig } from "./config.ts";
import { DdimScheduler } from "./ddim.ts";
import { DdimInverseScheduler, type DdimInversionFormula } from "./ddim-inverse.ts";
import { DpmSolverMultistepScheduler } from "./dpm-solver-multistep.ts";
import { EulerScheduler } from "./euler.ts";
import { PndmScheduler } from "./pndm.ts";
import type { Scheduler } from "./types.ts";

/** The Sampler's scheduler choices, in menu order. */
export const SCHEDULER_NAMES = ["pndm", "ddim", "euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_karras"] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

export interface SchedulerOptions {
  /** DDIM η (default 0). */
  eta?: number;
  /** Extra diffusers config keys that override the pack's (e.g. LAVIS's DDIM: steps_offset 1, clip_sample false). */
  overrides?: DiffusersSchedulerConfig;
}

/** Whether `value` names a scheduler `createScheduler` makes (SCHEDULER_NAMES). */
export function isSchedulerName(value: string): value is SchedulerName {
  return (SCHEDULER_NAMES as readonly string[]).includes(value);
}

/**
 * A fresh scheduler of the given kind; call `setTimesteps(n)` before sampling.
 * @example
 * const scheduler = createScheduler("pndm", pack.manifest.scheduler);
 * scheduler.setTimesteps(50);
 * for (const t of scheduler.timesteps) latents = scheduler.step(unet(scheduler.scaleModelInput(latents, t), t), t, latents);
 */
export function createScheduler(
  name: SchedulerName,
  config: DiffusersSchedulerConfig,
  options: SchedulerOptions = {},
): Scheduler {
  const merged = { ...config, ...options.overrides };
  switch (name) {
    case "pndm":
      return new PndmScheduler(merged);
    case "ddim":
      return new DdimScheduler(merged, { eta: options.eta });
    case "euler":
      return new EulerScheduler(merged, false);
    case "euler_ancestral":
      return new EulerScheduler(merged, true);
    case "dpmpp_2m":
      return new DpmSolverMultistepScheduler(merged, name);
    case "dpmpp_2m_karras":
      return new DpmSolverMultistepScheduler({ ...merged, use_karras_sigmas: true }, name);
  }
}

/**
 * The DDIM inversion scheduler (timesteps ascending) for editing real images; `formula`
 * picks LAVIS's float32 evaluation order (default) or diffusers `DDIMInverseScheduler`'s.
 */
export function createDdimInverseScheduler(
  config: DiffusersSchedulerConfig,
  options: { formula?: DdimInversionFormula; overrides?: DiffusersSchedulerConfig } = {},
): Scheduler {
  return new DdimInverseScheduler({ ...config, ...options.overrides }, { formula: options.formula });
}

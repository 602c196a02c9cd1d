import {
  createDdimInverseScheduler,
  createScheduler,
  isSchedulerName,
  SCHEDULER_NAMES,
  type DdimInversionFormula,
  type DiffusersSchedulerConfig,
  type Scheduler,
  type SchedulerName,
} from "@infix/engine";

/**
 * A scheduler as plain data: which kind, and the diffusers `scheduler_config` keys that
 * override the pack's (as `DDIMScheduler.from_config(pipe.scheduler.config, steps_offset=1)`
 * does). Serialisable, so it travels on a SCHEDULER socket, hashes into cache keys and can be
 * written in a workflow; `buildScheduler` turns it into a runnable scheduler.
 */
/** A diffusers config value as JSON has it (trained_betas is the one list). */
export type SchedulerConfigValue = number | boolean | string | readonly number[];

export interface SchedulerSettings {
  readonly type: "SCHEDULER";
  /** One of the engine's SCHEDULER_NAMES. */
  readonly name: SchedulerName;
  /** diffusers config keys (snake_case) that replace the pack's; {} keeps the pack's config. */
  readonly overrides: Readonly<Record<string, SchedulerConfigValue>>;
  /** DDIM η (0 = deterministic); ignored by the other schedulers. */
  readonly eta: number;
}

/** The settings the Sampler uses when no Scheduler node is connected: the pack's config, unchanged. */
export function packSchedulerSettings(name: SchedulerName): SchedulerSettings {
  return { type: "SCHEDULER", name, overrides: {}, eta: 0 };
}

/**
 * LAVIS BLIP-Diffusion's editing scheduler (MODEL_PACK.md "The reference pipeline"): DDIM on
 * the pack's betas with steps_offset 1, clip_sample false, set_alpha_to_one false, η 0,
 * "leading" spacing — SD 1.5's DDIM config.
 */
export const LAVIS_EDIT_DDIM: SchedulerSettings = {
  type: "SCHEDULER",
  name: "ddim",
  overrides: { steps_offset: 1, clip_sample: false, set_alpha_to_one: false, timestep_spacing: "leading" },
  eta: 0,
};

/** The pack's diffusers config with the settings' keys laid over it. */
export function schedulerConfigFor(settings: SchedulerSettings, packConfig: DiffusersSchedulerConfig) {
  return { ...packConfig, ...settings.overrides } as DiffusersSchedulerConfig;
}

/**
 * A scheduler built from settings over the pack's config, with timesteps set for `steps`; a
 * message that says what to change when the kind is unknown or a key's value cannot be used.
 * @example buildScheduler(LAVIS_EDIT_DDIM, pack.manifest.scheduler, 50) // DDIM, timesteps 981 … 1
 */
export function buildScheduler(
  settings: SchedulerSettings,
  packConfig: DiffusersSchedulerConfig,
  steps: number,
): Scheduler | string {
  if (!isSchedulerName(settings.name))
    return `Unknown scheduler "${String(settings.name)}"; choose one of ${SCHEDULER_NAMES.join(", ")}.`;
  try {
    const scheduler = createScheduler(settings.name, packConfig, { eta: settings.eta, overrides: settings.overrides });
    scheduler.setTimesteps(steps);
    return scheduler;
  } catch (error) {
    return `Scheduler "${settings.name}" cannot be used with these settings: ${(error as Error).message}`;
  }
}

/**
 * The DDIM inversion scheduler (ascending timesteps) for the same settings' config: what an
 * inversion node pairs with a DDIM sampling run so both walk the same timesteps. `formula`:
 * LAVIS's float32 evaluation order (default) or diffusers `DDIMInverseScheduler`'s.
 */
export function buildInverseScheduler(
  settings: SchedulerSettings,
  packConfig: DiffusersSchedulerConfig,
  steps: number,
  formula: DdimInversionFormula = "lavis",
): Scheduler | string {
  try {
    const scheduler = createDdimInverseScheduler(packConfig, { overrides: settings.overrides, formula });
    scheduler.setTimesteps(steps);
    return scheduler;
  } catch (error) {
    return `DDIM inversion cannot be used with these settings: ${(error as Error).message}`;
  }
}

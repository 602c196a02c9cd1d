/**
 * Diffusers `scheduler_config` objects as the model pack stores them, and the per-scheduler
 * defaults that fill the keys a config leaves out — as `SchedulerClass.from_config(config)`
 * does in diffusers: keys present override, missing keys take the class's `__init__` default,
 * unknown keys are ignored.
 */

export type BetaSchedule = "linear" | "scaled_linear" | "squaredcos_cap_v2";
export type PredictionType = "epsilon" | "v_prediction" | "sample";
export type TimestepSpacing = "leading" | "trailing" | "linspace";

/** The keys the schedulers here read, all resolved. */
export interface ResolvedSchedulerConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: BetaSchedule;
  /** diffusers `trained_betas`: used instead of the schedule when given. */
  trainedBetas: readonly number[] | null;
  setAlphaToOne: boolean;
  stepsOffset: number;
  skipPrkSteps: boolean;
  predictionType: PredictionType;
  timestepSpacing: TimestepSpacing;
  clipSample: boolean;
  clipSampleRange: number;
  useKarrasSigmas: boolean;
}

/** A raw diffusers scheduler_config: snake_case keys, any of them possibly missing, extra keys allowed. */
export type DiffusersSchedulerConfig = Readonly<Record<string, unknown>>;

/** A scheduler config that cannot be used, with the key at fault and what was expected. */
export class SchedulerConfigError extends Error {
  readonly code = "SCHEDULER_CONFIG";
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(
      `scheduler config "${key}" must be ${expected}, got ${JSON.stringify(actual)}; fix the pack's model_index/scheduler settings`,
    );
    this.name = "SchedulerConfigError";
  }
}

/** diffusers' `__init__` defaults per scheduler class, for keys the config does not carry. */
export interface SchedulerDefaults {
  setAlphaToOne: boolean;
  timestepSpacing: TimestepSpacing;
  clipSample: boolean;
  skipPrkSteps: boolean;
}

const COMMON_DEFAULTS = {
  numTrainTimesteps: 1000,
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: "linear" as BetaSchedule,
  stepsOffset: 0,
  predictionType: "epsilon" as PredictionType,
  clipSampleRange: 1,
  useKarrasSigmas: false,
};

/** Options diffusers has that these schedulers do not implement; a config that turns one on is refused. */
const UNSUPPORTED_FLAGS = ["thresholding", "rescale_betas_zero_snr"] as const;

/**
 * Resolves a raw diffusers config against a scheduler class's defaults.
 * @example resolveSchedulerConfig({ beta_schedule: "scaled_linear" }, DDIM_DEFAULTS).clipSample === true
 */
export function resolveSchedulerConfig(
  raw: DiffusersSchedulerConfig,
  defaults: SchedulerDefaults,
): ResolvedSchedulerConfig {
  for (const flag of UNSUPPORTED_FLAGS) {
    if (raw[flag] !== undefined && raw[flag] !== false)
      throw new SchedulerConfigError(flag, "false (not supported)", raw[flag]);
  }
  const trained = raw.trained_betas;
  if (
    trained !== undefined &&
    trained !== null &&
    !(Array.isArray(trained) && trained.every((b) => typeof b === "number"))
  ) {
    throw new SchedulerConfigError("trained_betas", "an array of numbers or null", trained);
  }
  const config: ResolvedSchedulerConfig = {
    numTrainTimesteps: positiveInteger(raw, "num_train_timesteps", COMMON_DEFAULTS.numTrainTimesteps),
    betaStart: finiteNumber(raw, "beta_start", COMMON_DEFAULTS.betaStart),
    betaEnd: finiteNumber(raw, "beta_end", COMMON_DEFAULTS.betaEnd),
    betaSchedule: oneOf(
      raw,
      "beta_schedule",
      ["linear", "scaled_linear", "squaredcos_cap_v2"],
      COMMON_DEFAULTS.betaSchedule,
    ),
    trainedBetas: Array.isArray(trained) ? (trained as number[]) : null,
    setAlphaToOne: boolean(raw, "set_alpha_to_one", defaults.setAlphaToOne),
    stepsOffset: nonNegativeInteger(raw, "steps_offset", COMMON_DEFAULTS.stepsOffset),
    skipPrkSteps: boolean(raw, "skip_prk_steps", defaults.skipPrkSteps),
    predictionType: oneOf(
      raw,
      "prediction_type",
      ["epsilon", "v_prediction", "sample"],
      COMMON_DEFAULTS.predictionType,
    ),
    timestepSpacing: oneOf(raw, "timestep_spacing", ["leading", "trailing", "linspace"], defaults.timestepSpacing),
    clipSample: boolean(raw, "clip_sample", defaults.clipSample),
    clipSampleRange: finiteNumber(raw, "clip_sample_range", COMMON_DEFAULTS.clipSampleRange),
    useKarrasSigmas: boolean(raw, "use_karras_sigmas", COMMON_DEFAULTS.useKarrasSigmas),
  };
  if (config.trainedBetas && config.trainedBetas.length !== config.numTrainTimesteps) {
    throw new SchedulerConfigError(
      "trained_betas",
      `${config.numTrainTimesteps} values (num_train_timesteps)`,
      config.trainedBetas.length,
    );
  }
  return config;
}

function finiteNumber(raw: DiffusersSchedulerConfig, key: string, fallback: number): number {
  const value = raw[key] ?? fallback;
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new SchedulerConfigError(key, "a finite number", value);
  return value;
}

function nonNegativeInteger(raw: DiffusersSchedulerConfig, key: string, fallback: number): number {
  const value = finiteNumber(raw, key, fallback);
  if (!Number.isInteger(value) || value < 0) throw new SchedulerConfigError(key, "a non-negative integer", value);
  return value;
}

function positiveInteger(raw: DiffusersSchedulerConfig, key: string, fallback: number): number {
  const value = nonNegativeInteger(raw, key, fallback);
  if (value === 0) throw new SchedulerConfigError(key, "a positive integer", value);
  return value;
}

function boolean(raw: DiffusersSchedulerConfig, key: string, fallback: boolean): boolean {
  const value = raw[key] ?? fallback;
  if (typeof value !== "boolean") throw new SchedulerConfigError(key, "true or false", value);
  return value;
}

function oneOf<T extends string>(raw: DiffusersSchedulerConfig, key: string, options: readonly T[], fallback: T): T {
  const value = raw[key] ?? fallback;
  if (typeof value !== "string" || !(options as readonly string[]).includes(value)) {
    throw new SchedulerConfigError(key, `one of ${options.join(", ")}`, value);
  }
  return value as T;
}

/** Diffusion schedulers behind one interface (see types.ts), configured from diffusers scheduler_config objects. */
export { SCHEDULER_NAMES, createScheduler, createDdimInverseScheduler, isSchedulerName } from "./create-scheduler.ts";
export type { SchedulerName, SchedulerOptions } from "./create-scheduler.ts";
export { SchedulerConfigError, resolveSchedulerConfig } from "./config.ts";
export type {
  DiffusersSchedulerConfig,
  ResolvedSchedulerConfig,
  BetaSchedule,
  PredictionType,
  TimestepSpacing,
} from "./config.ts";
export { SchedulerStepError } from "./types.ts";
export type { Scheduler, NoiseSource } from "./types.ts";
export { img2imgTimesteps } from "./img2img.ts";
export type { Img2ImgTimesteps } from "./img2img.ts";
export { computeNoiseSchedule } from "./noise-schedule.ts";
export type { NoiseSchedule } from "./noise-schedule.ts";
export type { DdimInversionFormula } from "./ddim-inverse.ts";

import type { DiffusersSchedulerConfig } from "@infix/engine";

/**
 * SD 1.5's `scheduler_config.json` as LAVIS's `DDIMScheduler.from_config` reads it for
 * inversion and `edit` (../shared/EDITING.md §8): steps_offset 1, clip_sample false,
 * set_alpha_to_one false, "leading" spacing, on the pack's betas.
 */
export const LAVIS_DDIM_OVERRIDES: DiffusersSchedulerConfig = {
  steps_offset: 1,
  clip_sample: false,
  set_alpha_to_one: false,
  timestep_spacing: "leading",
};

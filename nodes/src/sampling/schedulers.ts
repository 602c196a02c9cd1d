import { createScheduler, isSchedulerName, SCHEDULER_NAMES, type Scheduler } from "@infix/engine";
import type { PackManifest } from "../pack/manifest.ts";

/** The Sampler's scheduler choices: the runtime's, with the pack's own PNDM (diffusers' BLIP-Diffusion default) first. */
export const SAMPLER_SCHEDULERS: readonly string[] = SCHEDULER_NAMES;
export const DEFAULT_SCHEDULER = "pndm";

/**
 * A scheduler of the given name configured from the pack's diffusers `scheduler_config`,
 * with its timesteps set for `steps`; a message naming the choices when the name is unknown
 * or the config cannot be used.
 */
export function createSamplingScheduler(
  name: string,
  config: PackManifest["scheduler"],
  steps: number,
): Scheduler | string {
  if (!isSchedulerName(name)) return `Unknown scheduler "${name}"; choose one of ${SCHEDULER_NAMES.join(", ")}.`;
  try {
    const scheduler = createScheduler(name, config);
    scheduler.setTimesteps(steps);
    return scheduler;
  } catch (error) {
    return `Scheduler "${name}" cannot be used with this pack's scheduler config: ${(error as Error).message}`;
  }
}

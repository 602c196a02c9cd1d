/**
 * Timesteps of the sigma-space schedulers (diffusers `EulerDiscreteScheduler.set_timesteps`
 * and `DPMSolverMultistepScheduler.set_timesteps`), descending.
 */

import type { ResolvedSchedulerConfig } from "./config.ts";
import { numpyArange, numpyLinspace, roundHalfEven } from "./numpy-ranges.ts";
import { SchedulerStepError } from "./types.ts";

function checkSteps(config: ResolvedSchedulerConfig, numSteps: number, name: string): void {
  if (!Number.isInteger(numSteps) || numSteps < 1 || numSteps > config.numTrainTimesteps) {
    throw new SchedulerStepError(
      name,
      `number of steps must be an integer in [1, ${config.numTrainTimesteps}], got ${numSteps}`,
    );
  }
}

/** Euler: "linspace" keeps fractional timesteps (float32), "leading"/"trailing" are rounded integers. */
export function eulerTimesteps(config: ResolvedSchedulerConfig, numSteps: number, name: string): Float64Array {
  checkSteps(config, numSteps, name);
  const total = config.numTrainTimesteps;
  switch (config.timestepSpacing) {
    case "linspace":
      return numpyLinspace(0, total - 1, numSteps)
        .map(Math.fround)
        .reverse();
    case "leading": {
      const ratio = Math.floor(total / numSteps);
      return Float64Array.from({ length: numSteps }, (_, k) => (numSteps - 1 - k) * ratio + config.stepsOffset);
    }
    case "trailing":
      return numpyArange(total, 0, -(total / numSteps)).map((v) => roundHalfEven(v) - 1);
  }
}

/** DPM-Solver: integer timesteps; "linspace" and "leading" drop the last of n + 1 points. */
export function dpmSolverTimesteps(config: ResolvedSchedulerConfig, numSteps: number, name: string): Float64Array {
  checkSteps(config, numSteps, name);
  const total = config.numTrainTimesteps;
  switch (config.timestepSpacing) {
    case "linspace":
      return numpyLinspace(0, total - 1, numSteps + 1)
        .map(roundHalfEven)
        .reverse()
        .subarray(0, numSteps)
        .slice();
    case "leading": {
      const ratio = Math.floor(total / (numSteps + 1));
      return Float64Array.from({ length: numSteps }, (_, k) => (numSteps - k) * ratio + config.stepsOffset);
    }
    case "trailing":
      return numpyArange(total, 0, -(total / numSteps)).map((v) => roundHalfEven(v) - 1);
  }
}

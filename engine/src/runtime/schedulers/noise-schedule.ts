/**
 * The training noise schedule every scheduler starts from: betas, alphas and their
 * cumulative product, as float32 like diffusers' torch tensors (`SchedulerMixin.__init__`
 * of DDIM/PNDM/Euler/DPMSolver: `betas`, `alphas = 1 − betas`, `alphas_cumprod =
 * torch.cumprod(alphas)`). torch's CPU cumprod accumulates float32 inputs in double and
 * rounds each partial product (checked against torch 1.13), which is what is done here.
 */

import type { ResolvedSchedulerConfig } from "./config.ts";
import { torchLinspaceFloat32 } from "./torch-linspace.ts";

export interface NoiseSchedule {
  /** [numTrainTimesteps] float32 betas. */
  readonly betas: Float32Array;
  /** [numTrainTimesteps] float32 ᾱ_t = Π (1 − β_i). */
  readonly alphasCumprod: Float32Array;
}

const MAX_BETA = 0.999;

/** diffusers `betas_for_alpha_bar` with the cosine ᾱ of Nichol & Dhariwal 2021 (improved DDPM, eq. 17), in double, then float32. */
function squaredCosineBetas(count: number): Float32Array {
  const alphaBar = (t: number) => Math.cos((((t + 0.008) / 1.008) * Math.PI) / 2) ** 2;
  const betas = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    betas[i] = Math.min(1 - alphaBar((i + 1) / count) / alphaBar(i / count), MAX_BETA);
  }
  return betas;
}

/** Betas of the configured schedule, float32. */
export function computeBetas(config: ResolvedSchedulerConfig): Float32Array {
  const n = config.numTrainTimesteps;
  if (config.trainedBetas) return Float32Array.from(config.trainedBetas);
  switch (config.betaSchedule) {
    case "linear":
      return torchLinspaceFloat32(config.betaStart, config.betaEnd, n);
    case "scaled_linear": {
      // Stable Diffusion's schedule: linear in √β, then squared (float32 x·x, as torch's pow 2).
      const roots = torchLinspaceFloat32(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), n);
      return roots.map((r) => Math.fround(r * r));
    }
    case "squaredcos_cap_v2":
      return squaredCosineBetas(n);
  }
}

/** The schedule's betas and ᾱ (float32, ᾱ accumulated in double as torch.cumprod on CPU does). */
export function computeNoiseSchedule(config: ResolvedSchedulerConfig): NoiseSchedule {
  const betas = computeBetas(config);
  const alphasCumprod = new Float32Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= Math.fround(1 - betas[i]);
    alphasCumprod[i] = product;
  }
  return { betas, alphasCumprod };
}

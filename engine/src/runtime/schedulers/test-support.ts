/** Shared by the scheduler tests: the fixture written by tools/scheduler_vectors.py and its input recipe. */

import { readFileSync } from "node:fs";
import type { DiffusersSchedulerConfig } from "./config.ts";

export interface FixtureCase {
  scheduler: string;
  config: DiffusersSchedulerConfig;
  options: { steps?: number; run?: number; eta?: number; formula?: "lavis" | "diffusers" };
  timesteps?: number[];
  sigmas?: number[];
  init_noise_sigma?: number;
  last_scaled_input?: number[];
  result?: number[];
  betas_at?: Record<string, number>;
  alphas_cumprod_at?: Record<string, number>;
}

export interface SchedulerFixture {
  size: number;
  cases: FixtureCase[];
}

export function loadSchedulerFixture(): SchedulerFixture {
  return JSON.parse(
    readFileSync(new URL("./scheduler-vectors.fixture.json", import.meta.url), "utf8"),
  ) as SchedulerFixture;
}

/** The fixture's deterministic test tensor: sin(0.731 i + 1.37 seed)·scale + cos(0.193 (seed + 1) i)·0.25, float32. */
export function recipeTensor(seed: number, scale: number, size: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++)
    out[i] = Math.sin(i * 0.731 + seed * 1.37) * scale + Math.cos(i * 0.193 * (seed + 1)) * 0.25;
  return out;
}

/** Largest |a − b| and how many values are bit-identical. */
export function compareFloat32(
  actual: Float32Array,
  expected: readonly number[],
): { maxDiff: number; identical: number } {
  let maxDiff = 0;
  let identical = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (d === 0) identical++;
    maxDiff = Math.max(maxDiff, d);
  }
  return { maxDiff, identical };
}

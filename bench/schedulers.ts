import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { createScheduler, SCHEDULER_NAMES, TorchGenerator } from "@infix/engine";

/**
 * Per-step cost of each scheduler on a [2,4,64,64] latent (a 512 px image with guidance's
 * batch of two), the model replaced by a fixed tensor so only the scheduler's arithmetic is
 * timed; plus torch-compatible randn for the same shape (the starting noise and each
 * ancestral step draw it). Median over `runs` full 50-step runs.
 */

export interface SchedulerTiming {
  scheduler: string;
  stepUs: number;
}

const SHAPE = [2, 4, 64, 64];
const STEPS = 50;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function benchSchedulers(options: { runs?: number } = {}): Promise<SchedulerTiming[]> {
  const runs = options.runs ?? 5;
  const config = {
    beta_schedule: "scaled_linear",
    beta_start: 0.00085,
    beta_end: 0.012,
    skip_prk_steps: true,
    set_alpha_to_one: false,
  };
  const generator = new TorchGenerator(0);
  const modelOutput = generator.randn(SHAPE);
  const timings: SchedulerTiming[] = [];
  for (const name of SCHEDULER_NAMES) {
    const perStep: number[] = [];
    for (let r = 0; r < runs; r++) {
      const scheduler = createScheduler(name, config);
      scheduler.setTimesteps(STEPS);
      let latents = generator.randn(SHAPE);
      const noise = (out: Float32Array) => generator.fillNormal(out);
      const start = performance.now();
      for (const t of scheduler.timesteps) {
        scheduler.scaleModelInput(latents, t);
        latents = scheduler.step(modelOutput, t, latents, noise);
      }
      perStep.push(((performance.now() - start) * 1000) / scheduler.timesteps.length);
    }
    timings.push({ scheduler: name, stepUs: median(perStep) });
  }
  const randnUs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    new TorchGenerator(r).randn(SHAPE);
    randnUs.push((performance.now() - start) * 1000);
  }
  timings.push({ scheduler: "randn [2,4,64,64] (TorchGenerator)", stepUs: median(randnUs) });
  console.log(`schedulers: per-step time on a [${SHAPE.join(",")}] latent, median of ${runs} × ${STEPS}-step runs`);
  for (const t of timings) console.log(`  ${t.scheduler.padEnd(36)} ${(t.stepUs / 1000).toFixed(3)} ms`);
  return timings;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await benchSchedulers();

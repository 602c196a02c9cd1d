import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { WorkflowSchema, floatTensor, type Workflow } from "@infix/engine";
import { SessionPool, type ExecutionProvider, type SessionPoolOptions } from "@infix/engine/runtime";
import { Executor, NodeRegistry, OutputCache, type ExecutionEvents } from "@infix/engine/host";
import { writeExamplePictures } from "../examples/draw-subjects.ts";
import { createNodeResources, importDiffusersPack, nodePackage } from "../nodes/src/index.ts";
import { PackManifestSchema } from "../nodes/src/pack/manifest.ts";
import {
  attentionControlInputs,
  identityAttentionControl,
  zeroControlResiduals,
} from "../nodes/src/sampling/unet-feeds.ts";
import { localFiles } from "./generation.ts";
import { type CheckpointSize, writeRandomCheckpoint } from "./random-checkpoint.ts";
import { silentEvents } from "../nodes/src/testing/run-workflow.ts";

/**
 * The GPU check (issue #9, "Speed"): a random BLIP-Diffusion checkpoint with the released
 * shapes is written, imported at fp16 by `importDiffusersPack`, and timed on the CUDA execution
 * provider: the UNet alone at batch 2 (classifier-free guidance) at 512², and a whole 512²
 * zero-shot generation (50 PNDM steps, guidance 7.5) through Infix's own nodes and executor.
 * The figures are compared with onnxruntime's published Stable Diffusion 1.5 figure
 * (A100, CUDA EP, ≈ 1.1 s per 512² image at 50 steps). `tools/gpu-check.sh` installs the CUDA
 * build of onnxruntime-node first; `--cpu --size tiny` runs the same path on the CPU in seconds
 * (tools/gpu-check.test.ts), so the script cannot rot between GPU runs.
 */

/** onnxruntime's published SD 1.5 figure: A100, CUDA EP, 512², 50 steps: ≈ 1.1 s per image. */
export const PUBLISHED_A100_MS_PER_IMAGE = 1100;

export interface GpuCheckOptions {
  device: ExecutionProvider;
  size: CheckpointSize;
  precision: "fp16" | "fp32";
  /** Denoising steps of the whole generation (50 in the published figure). */
  steps: number;
  /** Timed UNet runs after the warm-up ones; the median is reported. */
  unetRuns: number;
  /** Where the checkpoint, pack and outputs go; a temporary folder (removed after) when absent. */
  workDir?: string;
  log?: (line: string) => void;
}

export interface GpuCheckResult {
  device: ExecutionProvider;
  /** Image side in pixels (512 for the full-size checkpoint). */
  size: number;
  steps: number;
  unetMedianMs: number;
  unetRunsMs: number[];
  /** The warm generation, graphs already loaded: every node that ran. */
  imageMs: number;
  samplerMs: number;
  /** The first generation, including session creation. */
  coldImageMs: number;
  phasesMs: Record<string, number>;
  savedImages: string[];
}

const here = dirname(fileURLToPath(import.meta.url));
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** Session settings that fail loudly, instead of falling back to the CPU, when CUDA is unavailable. */
function sessionOptions(device: ExecutionProvider): SessionPoolOptions {
  return {
    executionProvider: device,
    // The pool warns and falls back to the CPU; here that would make every figure a lie.
    warn: (message) => {
      throw new Error(
        `the CUDA execution provider did not load, so the check stops rather than time the CPU (tools/gpu-check.sh installs it). The session pool said: ${message}`,
      );
    },
  };
}

function assertProvider(pool: SessionPool, device: ExecutionProvider): void {
  const used = pool.stats().executionProvider;
  if (used !== device) throw new Error(`sessions run on ${used}, not ${device}: the figures would be wrong`);
}

/** Asks nvidia-smi whether this process holds GPU memory; a second sign that CUDA is really used. */
function gpuMemoryOfThisProcess(): string {
  try {
    const rows = execFileSync("nvidia-smi", ["--query-compute-apps=pid,used_memory", "--format=csv,noheader"], {
      encoding: "utf8",
    });
    const mine = rows.split("\n").find((row) => row.split(",")[0]?.trim() === String(process.pid));
    if (mine) return `this process holds${mine.slice(mine.indexOf(","))} of GPU memory`;
    return rows.trim()
      ? "nvidia-smi lists other processes but not this one (a PID namespace?)"
      : "nvidia-smi lists no compute processes (a PID namespace hides them?)";
  } catch (error) {
    return `nvidia-smi failed: ${(error as Error).message.split("\n")[0]}`;
  }
}

/**
 * Runs the check and prints its phases and a table of figures.
 * @example await runGpuCheck({ device: "cpu", size: "tiny", precision: "fp16", steps: 5, unetRuns: 3 });
 */
export async function runGpuCheck(options: GpuCheckOptions): Promise<GpuCheckResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const work = options.workDir ?? mkdtempSync(join(tmpdir(), "infix-gpu-check-"));
  const phasesMs: Record<string, number> = {};
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await run();
    phasesMs[name] = performance.now() - started;
    log(`phase ${name}: ${(phasesMs[name] / 1000).toFixed(1)} s`);
    return value;
  };
  try {
    const source = join(work, "checkpoint");
    const models = join(work, "models");
    const packDir = join(models, "blipdiffusion-random");
    const largest = await phase("checkpoint", () => writeRandomCheckpoint(source, options.size));
    log(`  random ${options.size} checkpoint, largest component ${(largest / 1024 ** 3).toFixed(2)} GiB of float32`);
    const { manifest: imported } = await phase("import", () =>
      importDiffusersPack({ source, out: packDir, precision: options.precision }),
    );
    const manifest = PackManifestSchema.parse(imported);
    const size = manifest.unet.default_size;
    const latentSide = size / manifest.vae.scale_factor;

    // The UNet alone, as the Sampler feeds it under guidance: one batch of 2 rows (negative, positive).
    const pool = new SessionPool(sessionOptions(options.device));
    const rows = 2;
    const tokens = manifest.text_max_length;
    const feeds = {
      sample: floatTensor([rows, manifest.vae.latent_channels, latentSide, latentSide]),
      timestep: { dims: [rows], data: new Float32Array(rows).fill(981) },
      encoder_hidden_states: floatTensor([rows, tokens, manifest.text_hidden_size]),
      ...zeroControlResiduals(manifest, rows, latentSide, latentSide),
      ...(manifest.unet.attention_control &&
        attentionControlInputs(identityAttentionControl(rows, tokens), rows, tokens)),
    };
    const floatType = manifest.dtypes.unet ?? "float32";
    const unetRunsMs = await phase("unet", async () => {
      const unet = join(packDir, "unet.onnx");
      // Session creation, cuDNN's algorithm search and the arena's growth happen in the warm-up runs.
      for (let i = 0; i < 3; i++) await pool.run(unet, feeds, { floatType });
      assertProvider(pool, options.device);
      const times: number[] = [];
      for (let i = 0; i < options.unetRuns; i++) {
        const started = performance.now();
        await pool.run(unet, feeds, { floatType });
        times.push(performance.now() - started);
      }
      return times;
    });
    if (options.device === "cuda") log(`  ${gpuMemoryOfThisProcess()}`);
    await pool.releaseIdle();

    // The whole picture through the nodes: the zero-shot example at 512², 50 PNDM steps, guidance 7.5.
    const generation = await phase("generation", async () => {
      for (const name of ["input", "output", "temp"]) mkdirSync(join(work, name), { recursive: true });
      await writeExamplePictures(join(work, "input", "examples"), 128);
      const resources = await createNodeResources({
        modelsDir: models,
        tinyPackDir: null,
        sessionOptions: sessionOptions(options.device),
      });
      const workflow: Workflow = WorkflowSchema.parse(
        JSON.parse(readFileSync(join(here, "..", "examples", "zero-shot-generation.json"), "utf8")),
      );
      workflow.nodes.pack.inputs.pack = "blipdiffusion-random";
      Object.assign(workflow.nodes.latent.inputs, { width: size, height: size, batch_size: 1 });
      Object.assign(workflow.nodes.sampler.inputs, { steps: options.steps, scheduler: "pndm", cfg: 7.5 });
      const files = localFiles(work);
      const runOnce = async () => {
        const nodeMs: Record<string, number> = {};
        const events: ExecutionEvents = { ...silentEvents, nodeFinished: (nodeId, ms) => void (nodeMs[nodeId] = ms) };
        // A fresh cache each time, so the warm run recomputes every node with its sessions loaded.
        const executor = new Executor({
          registry: new NodeRegistry([nodePackage]),
          cache: new OutputCache({ budgetBytes: 1024 ** 3 }),
          resources,
          files,
        });
        const started = performance.now();
        const result = await executor.execute({ workflow, signal: new AbortController().signal, events });
        if (result.status !== "succeeded") throw new Error(`generation failed: ${result.error?.message}`);
        return { ms: performance.now() - started, nodeMs };
      };
      const cold = await runOnce();
      const warm = await runOnce();
      return { cold, warm };
    });

    const result: GpuCheckResult = {
      device: options.device,
      size,
      steps: options.steps,
      unetMedianMs: median(unetRunsMs),
      unetRunsMs,
      imageMs: generation.warm.ms,
      samplerMs: generation.warm.nodeMs.sampler ?? Number.NaN,
      coldImageMs: generation.cold.ms,
      phasesMs,
      savedImages: readdirSync(join(work, "output")).filter((name) => name.endsWith(".png")),
    };
    printTable(result, log);
    return result;
  } finally {
    if (!options.workDir) rmSync(work, { recursive: true, force: true });
  }
}

function printTable(result: GpuCheckResult, log: (line: string) => void): void {
  const { size, steps, device } = result;
  const rows: [string, number, string][] = [
    [`UNet step, batch 2 (CFG), ${size}²  (median)`, result.unetMedianMs, ""],
    [`  × ${steps} steps (UNet only)`, result.unetMedianMs * steps, ratio(result.unetMedianMs * steps, steps)],
    [`Sampler node, per step (UNet + PNDM + transfers)`, result.samplerMs / steps, ""],
    [`Sampler node, ${steps} PNDM steps, cfg 7.5`, result.samplerMs, ratio(result.samplerMs, steps)],
    [`Whole ${size}² image, warm (every node)`, result.imageMs, ratio(result.imageMs, steps)],
    [`Whole ${size}² image, cold (loads sessions)`, result.coldImageMs, ""],
  ];
  log(`\nInfix on ${device}, ${size}² at ${steps} steps; reference: onnxruntime SD 1.5, A100 CUDA EP ≈ 1.1 s/image`);
  log(`${"figure".padEnd(50)} ${"ms".padStart(10)}  vs A100 1.1 s`);
  for (const [label, ms, vs] of rows) log(`${label.padEnd(50)} ${ms.toFixed(1).padStart(10)}  ${vs}`);
  const phases = Object.entries(result.phasesMs)
    .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`)
    .join(", ");
  log(`phases: ${phases}`);
}

/** The figure over the published one, scaled to 50 steps when fewer were run. */
function ratio(ms: number, steps: number): string {
  return `${((ms * (50 / steps)) / PUBLISHED_A100_MS_PER_IMAGE).toFixed(2)}×${steps === 50 ? "" : " (scaled to 50 steps)"}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      cpu: { type: "boolean", default: false },
      size: { type: "string", default: "full" },
      precision: { type: "string" },
      steps: { type: "string", default: "50" },
      "unet-runs": { type: "string", default: "10" },
      work: { type: "string" },
    },
  });
  if (values.size !== "full" && values.size !== "tiny") throw new Error(`--size is full or tiny, not ${values.size}`);
  const precision = values.precision ?? "fp16";
  if (precision !== "fp16" && precision !== "fp32") throw new Error(`--precision is fp16 or fp32, not ${precision}`);
  await runGpuCheck({
    device: values.cpu ? "cpu" : "cuda",
    size: values.size,
    precision,
    steps: Number(values.steps),
    unetRuns: Number(values["unet-runs"]),
    workDir: values.work,
  });
}

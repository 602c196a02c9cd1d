import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { WorkflowSchema, type FileAccess, type Workflow } from "@infix/engine";
import { Executor, NodeRegistry, OutputCache, type ExecutionEvents } from "@infix/engine/host";
import { writeExamplePictures } from "../examples/draw-subjects.ts";
import { createNodeResources, nodePackage } from "../nodes/src/index.ts";
import { ensureTinyPack } from "../nodes/src/pack/tiny/index.ts";
import { silentEvents } from "../nodes/src/testing/run-workflow.ts";

/**
 * The zero-shot example end to end on the generated packs (CPU), split by node: a cold run
 * (sessions load), a warm run with a fresh cache (the steady-state cost of a new subject), and
 * a re-run after changing only the seed, where the Q-Former and text encoders come from the
 * output cache and only Sampler → VAE Decode → Save run again.
 */

export interface GenerationTiming {
  pack: string;
  run: "cold" | "warm" | "seed change";
  totalMs: number;
  /** Wall time per node id that ran; cached nodes are absent. */
  nodeMs: Record<string, number>;
  cached: string[];
}

const here = dirname(fileURLToPath(import.meta.url));

/** Input, output and temp folders under `root`, refusing names that escape them. */
export function localFiles(root: string): FileAccess {
  const folder = (name: string) => join(root, name);
  const inside = (base: string, name: string) => {
    const path = resolve(base, name);
    if (!path.startsWith(base + sep)) throw new Error(`"${name}" escapes ${base}`);
    return path;
  };
  let counter = 0;
  return {
    resolveInput: (name) => inside(folder("input"), name),
    readInput: async (name) => new Uint8Array(readFileSync(inside(folder("input"), name))),
    resolveOutput: (name) => inside(folder("output"), name),
    async writeOutput(preferredName, bytes, where = "output") {
      const name = preferredName.replace(/(\.[^./]*)?$/, (ext) => `-${counter++}${ext}`);
      const path = inside(folder(where), name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
      return { folder: where, name };
    },
  };
}

/** Sizes per pack: the tiny pack at its default 64 px, the small one at its default 256 px. */
const SETTINGS = { tiny: { size: 64, steps: 25 }, small: { size: 256, steps: 25 } } as const;

/**
 * Runs the benchmark and prints one line per run and node.
 * @example await benchGeneration({ packs: ["tiny"] })
 */
export async function benchGeneration(
  options: { packs?: readonly ("tiny" | "small")[] } = {},
): Promise<GenerationTiming[]> {
  const root = mkdtempSync(join(tmpdir(), "infix-bench-"));
  for (const name of ["input", "output", "temp", "models"]) mkdirSync(join(root, name));
  await writeExamplePictures(join(root, "input", "examples"), 128);
  // The small pack is offered like an installed pack: a folder under the models folder.
  symlinkSync(await ensureTinyPack({ size: "small" }), join(root, "models", "small"));
  const resources = await createNodeResources({ modelsDir: join(root, "models") });
  const files = localFiles(root);
  const template = WorkflowSchema.parse(
    JSON.parse(readFileSync(join(here, "..", "examples", "zero-shot-generation.json"), "utf8")),
  );
  const timings: GenerationTiming[] = [];

  for (const packId of options.packs ?? (["tiny", "small"] as const)) {
    const settings = SETTINGS[packId];
    const workflow: Workflow = structuredClone(template);
    workflow.nodes.pack.inputs.pack = packId;
    Object.assign(workflow.nodes.latent.inputs, { width: settings.size, height: settings.size });
    workflow.nodes.sampler.inputs.steps = settings.steps;
    let executor = new Executor({
      registry: new NodeRegistry([nodePackage]),
      cache: new OutputCache({ budgetBytes: 2 * 1024 ** 3 }),
      resources,
      files,
    });

    const runOnce = async (run: GenerationTiming["run"]) => {
      const nodeMs: Record<string, number> = {};
      const events: ExecutionEvents = {
        ...silentEvents,
        nodeFinished: (nodeId, ms) => void (nodeMs[nodeId] = ms),
        nodeFailed: (nodeId, problem) => console.error(`${nodeId}: ${problem.message}`),
      };
      const started = performance.now();
      const result = await executor.execute({ workflow, signal: new AbortController().signal, events });
      if (result.status !== "succeeded") throw new Error(`${packId} ${run}: ${result.error?.message}`);
      const timing: GenerationTiming = {
        pack: packId,
        run,
        totalMs: performance.now() - started,
        nodeMs,
        // Served nodes and those a cached node downstream made unnecessary.
        cached: [...result.cached, ...result.spared],
      };
      timings.push(timing);
      const parts = Object.entries(nodeMs)
        .map(([id, ms]) => `${id} ${ms.toFixed(0)}`)
        .join(", ");
      console.log(
        `  ${packId.padEnd(5)} ${settings.size}px ${settings.steps} steps ${run.padEnd(11)} total ${timing.totalMs.toFixed(0).padStart(6)} ms | ${parts}${timing.cached.length ? ` | cached: ${timing.cached.join(", ")}` : ""}`,
      );
    };

    await runOnce("cold");
    executor = new Executor({
      registry: new NodeRegistry([nodePackage]),
      cache: new OutputCache({ budgetBytes: 2 * 1024 ** 3 }),
      resources,
      files,
    });
    await runOnce("warm");
    workflow.nodes.sampler.inputs.seed = Number(workflow.nodes.sampler.inputs.seed) + 1;
    await runOnce("seed change");
    const [warm, seedChange] = timings.slice(-2);
    console.log(
      `  ${packId.padEnd(5)} ratio seed change / warm ${(seedChange.totalMs / warm.totalMs).toFixed(2)}× (sampler ${(
        (seedChange.nodeMs.sampler ?? 0) / (warm.nodeMs.sampler ?? 1)
      ).toFixed(2)}×); ${seedChange.cached.length} nodes from the cache`,
    );
  }
  return timings;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await benchGeneration();

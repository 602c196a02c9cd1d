/**
 * `infix pack verify`: a pack's contract checks (the loader's: manifest, every graph's inputs
 * and outputs from the file headers, tokenizer files) plus one forward pass of every graph on
 * small valid inputs, each output checked for its shape (docs/model-pack.md) and for finite
 * values. Catches what the headers cannot: a graph that onnxruntime refuses, a shape that only
 * breaks at run time, weights that overflow to NaN.
 */
import { floatTensor, intTensor, type FloatTensor } from "@infix/engine";
import { SeededRandom, type SessionPool } from "@infix/engine/runtime";
import { loadPack, PackLoadError } from "./loader.ts";
import { residualNames } from "./contract.ts";
import type { Feeds, GraphName, ModelPack } from "./types.ts";

/** One graph's forward pass. */
export interface GraphCheck {
  graph: GraphName;
  ok: boolean;
  /** Wall time of the run, session creation included (the first run of a graph loads it). */
  ms: number;
  /** Output name → shape, when the graph ran. */
  outputs?: Record<string, number[]>;
  /** What went wrong, when it did not pass. */
  error?: string;
}

export interface PackVerifyReport {
  dir: string;
  ok: boolean;
  /** The loader's problems, when the pack failed its contract checks (then no graph runs). */
  problems?: string[];
  hash?: string;
  graphs: GraphCheck[];
}

/** Latent side of the test pass: small, and odd after two halvings so the ⌈h/downscale⌉ rule is exercised. */
const LATENT_SIDE = 6;

function random(dims: number[], seed: number): FloatTensor {
  const count = dims.reduce((a, b) => a * b, 1);
  return floatTensor(dims, new SeededRandom(seed).normalArray(count, 1));
}

function filled(dims: number[], value: number): FloatTensor {
  return floatTensor(dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(value));
}

/** Each graph's test inputs and the output shapes docs/model-pack.md promises for them. */
async function testCases(
  pack: ModelPack,
): Promise<{ graph: GraphName; feeds: Feeds; shapes: Record<string, number[]> }[]> {
  const m = pack.manifest;
  const [q, d, t] = [m.num_query_tokens, m.text_hidden_size, m.text_max_length];
  const [c, h] = [m.vae.latent_channels, LATENT_SIDE];
  const pixels = h * m.vae.scale_factor;
  const bert = (await pack.bertTokenizer()).encode("dog");
  const clip = (await pack.clipTokenizer()).encode("a dog swimming", { maxLength: t - q, padToMaxLength: true });
  const denoiser = {
    sample: random([1, c, h, h], 1),
    timestep: filled([1], 981),
    encoder_hidden_states: random([1, t, d], 2),
  };
  const residualShapes = m.unet.controlnet_residual_shapes.map((s) => [
    1,
    s.channels,
    Math.ceil(h / s.downscale),
    Math.ceil(h / s.downscale),
  ]);
  const residualFeeds = Object.fromEntries(
    residualNames(m.unet.controlnet_residuals, "down_block_additional_residual", "mid_block_additional_residual").map(
      (name, i) => [name, filled(residualShapes[i], 0)],
    ),
  );
  const control: Feeds = m.unet.attention_control
    ? {
        cross_attn_base: intTensor([1], [0]),
        cross_attn_map: filled([1, t, t], 0),
        cross_attn_keep: filled([1, t], 1),
        self_attn_base: intTensor([1], [0]),
        self_attn_mix: filled([1], 0),
      }
    : {};
  const cases: { graph: GraphName; feeds: Feeds; shapes: Record<string, number[]> }[] = [
    {
      graph: "qformer",
      feeds: {
        pixel_values: random([1, 3, m.qformer.image_size, m.qformer.image_size], 3),
        input_ids: intTensor([1, bert.ids.length], bert.ids),
        attention_mask: intTensor([1, bert.ids.length], bert.attentionMask),
      },
      shapes: { ctx_embeddings: [1, q, d] },
    },
    {
      graph: "text_encoder",
      feeds: {
        input_ids: intTensor([1, clip.ids.length], clip.ids),
        ctx_embeddings: random([1, q, d], 4),
        ctx_begin_pos: intTensor([1], [m.ctx_begin_pos]),
      },
      shapes: { last_hidden_state: [1, t, d] },
    },
    {
      graph: "unet",
      feeds: { ...denoiser, ...residualFeeds, ...control },
      shapes: { out_sample: [1, c, h, h] },
    },
    {
      graph: "vae_decoder",
      feeds: { latent_sample: random([1, c, h, h], 5) },
      shapes: { sample: [1, 3, pixels, pixels] },
    },
  ];
  if (pack.hasGraph("vae_encoder")) {
    cases.push({
      graph: "vae_encoder",
      feeds: { sample: random([1, 3, pixels, pixels], 6) },
      shapes: { latent_mean: [1, c, h, h], latent_logvar: [1, c, h, h] },
    });
  }
  const controlnetOutputs = residualNames(m.unet.controlnet_residuals, "down_block_res_sample", "mid_block_res_sample");
  for (const controlnet of m.controlnets) {
    cases.push({
      graph: `controlnet/${controlnet.name}`,
      feeds: { ...denoiser, controlnet_cond: random([1, 3, pixels, pixels], 7), conditioning_scale: filled([1], 1) },
      shapes: Object.fromEntries(controlnetOutputs.map((name, i) => [name, residualShapes[i]])),
    });
  }
  return cases;
}

function outputProblem(outputs: Record<string, FloatTensor>, shapes: Record<string, number[]>): string | undefined {
  for (const [name, shape] of Object.entries(shapes)) {
    const output = outputs[name];
    if (!output) return `no output ${name}`;
    if (output.dims.join() !== shape.join())
      return `${name} is [${output.dims.join(",")}], expected [${shape.join(",")}]`;
    if (!output.data.every(Number.isFinite)) return `${name} has NaN or infinite values`;
  }
  return undefined;
}

/**
 * Checks a pack folder: the loader's contract checks, then one forward pass per graph.
 * Never throws for a bad pack: the report says what failed.
 *
 * @example
 * const report = await verifyPack("models/blipdiffusion");
 * console.log(formatVerifyReport(report)); process.exitCode = report.ok ? 0 : 1;
 */
export async function verifyPack(
  dir: string,
  options: { pool?: SessionPool; onGraph?: (check: GraphCheck) => void; signal?: AbortSignal } = {},
): Promise<PackVerifyReport> {
  let pack: ModelPack;
  try {
    pack = await loadPack(dir, options.pool ? { pool: options.pool } : {});
  } catch (error) {
    const problems = error instanceof PackLoadError ? error.problems.map((p) => p.message) : [(error as Error).message];
    return { dir, ok: false, problems, graphs: [] };
  }
  const graphs: GraphCheck[] = [];
  let cases: Awaited<ReturnType<typeof testCases>>;
  try {
    cases = await testCases(pack);
  } catch (error) {
    return { dir, ok: false, hash: pack.hash, problems: [(error as Error).message], graphs };
  }
  for (const { graph, feeds, shapes } of cases) {
    options.signal?.throwIfAborted();
    const started = performance.now();
    let check: GraphCheck;
    try {
      const outputs = await pack.run(graph, feeds, options.signal);
      const ms = performance.now() - started;
      const shapesFound = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, [...t.dims]]));
      const problem = outputProblem(outputs, shapes);
      check = { graph, ok: !problem, ms, outputs: shapesFound, ...(problem && { error: problem }) };
    } catch (error) {
      check = { graph, ok: false, ms: performance.now() - started, error: (error as Error).message };
    }
    graphs.push(check);
    options.onGraph?.(check);
  }
  return { dir, ok: graphs.every((g) => g.ok), hash: pack.hash, graphs };
}

/**
 * The report as text: a line per graph (`ok`/`FAILED`, time, output shapes or the error), then a verdict.
 *
 * @example formatVerifyReport(report).split("\n")[1] // "  ok      qformer         412 ms  ctx_embeddings [1,16,768]"
 */
export function formatVerifyReport(report: PackVerifyReport): string {
  const lines = [`pack ${report.dir}${report.hash ? ` (${report.hash.slice(0, 19)}…)` : ""}`];
  if (report.problems) {
    lines.push("  contract checks FAILED:", ...report.problems.map((p) => `    - ${p}`));
  }
  const width = Math.max(0, ...report.graphs.map((g) => g.graph.length));
  for (const check of report.graphs) {
    const detail = check.error
      ? check.error
      : Object.entries(check.outputs ?? {})
          .map(([name, dims]) => `${name} [${dims.join(",")}]`)
          .join(", ");
    const time = `${Math.round(check.ms)} ms`.padStart(8);
    lines.push(`  ${(check.ok ? "ok" : "FAILED").padEnd(6)}  ${check.graph.padEnd(width)}  ${time}  ${detail}`);
  }
  lines.push(report.ok ? "verified: every graph ran" : "NOT usable: see the failures above");
  return lines.join("\n");
}

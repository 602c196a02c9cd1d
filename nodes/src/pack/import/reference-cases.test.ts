import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage, WorkflowSchema, type FloatTensor, type NodeDefinition, type NodePackage } from "@infix/engine";
import { Executor, NodeRegistry, OutputCache, type ExecutionEvents } from "@infix/engine/testing";
import { createNodeResources, nodePackage, type NodeResources } from "../../index.ts";
import type { ImageBatch, LatentBatch } from "../../sockets.ts";
import { createTestContext, type TestContext } from "../../testing/test-context.ts";
import type { Feeds, ModelPack } from "../types.ts";
import { importDiffusersPack } from "./import-pack.ts";

/**
 * Issue #9's bar: the diffusers fixture imported by `infix pack import`, then diffusers' own
 * BlipDiffusionPipeline cases run through Infix's nodes (Load Model Pack → Load Image →
 * Q-Former Encode → Subject Prompt / Text Encode → Sampler → VAE Decode → Save Image) with the
 * real executor, compared with every intermediate diffusers recorded.
 */

const fixtures = fileURLToPath(new URL("../../../../../shared/fixtures/", import.meta.url));
const pipelineDir = join(fixtures, "blip-diffusion-tiny");
const referenceDir = join(fixtures, "reference");

interface ReferenceCase {
  name: string;
  dir: string;
  prompt: string;
  src: string;
  tgt: string;
  guidance: number;
  steps: number;
  height: number;
  width: number;
  seed: number;
  ref: string;
  neg_prompt: string;
  prompt_strength: number;
  prompt_reps: number;
}

function requireFixtures(): { cases: ReferenceCase[]; inputs: Record<string, string> } {
  for (const dir of [pipelineDir, referenceDir]) {
    if (!existsSync(dir)) throw new Error(`missing fixture ${dir}: ../shared/fixtures must sit beside the repository`);
  }
  return JSON.parse(readFileSync(join(referenceDir, "index.json"), "utf8")) as {
    cases: ReferenceCase[];
    inputs: Record<string, string>;
  };
}

/** One float32 tensor of a case folder (raw little-endian, C order). */
function referenceTensor(caseDir: string, name: string): Float32Array {
  const index = JSON.parse(readFileSync(join(caseDir, "index.json"), "utf8")) as {
    tensors: Record<string, { file: string; dtype: string }>;
  };
  const entry = index.tensors[name];
  if (!entry || entry.dtype !== "float32") throw new Error(`${caseDir}: no float32 tensor ${name}`);
  const bytes = readFileSync(join(caseDir, entry.file));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function maxAbsDiff(ours: Float32Array, theirs: Float32Array, what: string): number {
  if (ours.length !== theirs.length) throw new Error(`${what}: ${ours.length} values, reference has ${theirs.length}`);
  let max = 0;
  for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
  return max;
}

/** What the graphs of a pack were fed and gave during one run. */
interface Recording {
  ctx: Float32Array[];
  unetSamples: Float32Array[];
  unetText: Float32Array[];
}

function record(pack: ModelPack): { recording: Recording; stop: () => void } {
  const recording: Recording = { ctx: [], unetSamples: [], unetText: [] };
  const original = pack.run;
  pack.run = async (graph, feeds: Feeds, signal) => {
    const outputs = await original.call(pack, graph, feeds, signal);
    if (graph === "qformer") recording.ctx.push(outputs.ctx_embeddings.data.slice());
    if (graph === "unet") {
      recording.unetSamples.push((feeds.sample as FloatTensor).data.slice());
      recording.unetText.push((feeds.encoder_hidden_states as FloatTensor).data.slice());
    }
    return outputs;
  };
  return { recording, stop: () => (pack.run = original) };
}

/** The real VAE Decode node, also handing its input latents and output pixels to the test. */
function capturingPackage(seen: { latents?: FloatTensor; pixels?: FloatTensor }): NodePackage {
  const nodes = nodePackage.nodes.map((node): NodeDefinition => {
    if (node.schema.type !== "VAEDecode") return node;
    return {
      ...node,
      async run(inputs, ctx) {
        const outputs = await node.run(inputs, ctx);
        seen.latents = (inputs.latent as LatentBatch).samples;
        seen.pixels = (outputs.images as ImageBatch).pixels;
        return outputs;
      },
    };
  });
  return { ...nodePackage, nodes };
}

const link = (node: string, output: string) => ({ node, output });
const silent: ExecutionEvents = {
  nodeStarted: () => undefined,
  nodeCached: () => undefined,
  nodeFinished: () => undefined,
  nodeFailed: () => undefined,
  progress: () => undefined,
  preview: () => undefined,
};

function caseWorkflow(c: ReferenceCase, image: string) {
  return WorkflowSchema.parse({
    format: "infix-workflow",
    version: 1,
    name: c.name,
    nodes: {
      pack: { type: "LoadModelPack", inputs: { pack: "blip-diffusion-tiny" } },
      reference: { type: "LoadImage", inputs: { image } },
      subject: {
        type: "QFormerEncode",
        inputs: { pack: link("pack", "pack"), image: link("reference", "image"), category: c.src, resize: "squash" },
      },
      latent: {
        type: "EmptyLatent",
        inputs: { pack: link("pack", "pack"), width: c.width, height: c.height, batch_size: 1 },
      },
      positive: {
        type: "SubjectPrompt",
        inputs: {
          pack: link("pack", "pack"),
          subject: link("subject", "subject"),
          target_category: c.tgt,
          prompt: c.prompt,
          prompt_strength: c.prompt_strength,
          prompt_reps: c.prompt_reps,
        },
      },
      negative: { type: "TextEncode", inputs: { pack: link("pack", "pack"), text: c.neg_prompt } },
      sampler: {
        type: "Sampler",
        inputs: {
          pack: link("pack", "pack"),
          positive: link("positive", "conditioning"),
          negative: link("negative", "conditioning"),
          latent: link("latent", "latent"),
          seed: c.seed,
          steps: c.steps,
          cfg: c.guidance,
          scheduler: "pndm",
          denoise: 1,
        },
      },
      decode: { type: "VAEDecode", inputs: { pack: link("pack", "pack"), latent: link("sampler", "latent") } },
      save: { type: "SaveImage", inputs: { images: link("decode", "images"), filename_prefix: c.name } },
    },
  });
}

const { cases, inputs } = requireFixtures();
let ctx: TestContext;
let resources: NodeResources;

beforeAll(async () => {
  ctx = createTestContext();
  const models = mkdtempSync(join(tmpdir(), "infix-imported-"));
  await importDiffusersPack({
    source: pipelineDir,
    out: join(models, "blip-diffusion-tiny"),
    controlnets: [{ folder: join(pipelineDir, "controlnet-canny"), name: "canny" }],
  });
  resources = await createNodeResources({ modelsDir: models, tinyPackDir: null });
}, 120_000);

describe.each(["dog_g7.5_s25", "cat_g7.5_s5_neg"])(
  "diffusers' BlipDiffusionPipeline case %s through Infix's nodes",
  (name) => {
    const c = cases.find((x) => x.name === name);
    if (!c) throw new Error(`reference/index.json has no case ${name}`);
    const caseDir = join(referenceDir, c.dir);
    const seen: { latents?: FloatTensor; pixels?: FloatTensor } = {};
    let recording: Recording;
    let pngName: string;

    beforeAll(async () => {
      const image = ctx.addInput(`${c.name}-${c.ref}.png`, readFileSync(join(referenceDir, inputs[c.ref])));
      const pack = await resources.packs.get("blip-diffusion-tiny");
      const recorder = record(pack);
      try {
        const executor = new Executor({
          registry: new NodeRegistry([capturingPackage(seen)]),
          cache: new OutputCache({ budgetBytes: 64 * 1024 ** 2 }),
          resources,
          files: ctx.files,
          log: ctx.log,
        });
        const result = await executor.execute({
          workflow: caseWorkflow(c, image),
          signal: new AbortController().signal,
          events: silent,
        });
        if (result.status !== "succeeded")
          throw new Error(`run failed: ${JSON.stringify(result.error ?? result.problems)}`);
        pngName = result.ui.save?.images?.[0]?.name ?? "";
      } finally {
        recorder.stop();
      }
      recording = recorder.recording;
    }, 120_000);

    it("gives diffusers' subject embedding and text embeddings within 1e-5", () => {
      const ctxError = maxAbsDiff(recording.ctx[0], referenceTensor(caseDir, "ctx_embeddings"), "ctx_embeddings");
      const rows = recording.unetText[0];
      const half = rows.length / 2;
      const uncondError = maxAbsDiff(
        rows.subarray(0, half),
        referenceTensor(caseDir, "text_embeddings_uncond"),
        "uncond",
      );
      const condError = maxAbsDiff(rows.subarray(half), referenceTensor(caseDir, "text_embeddings_cond"), "cond");
      console.log(
        `${name}: ctx_embeddings ${ctxError.toExponential(2)}, text cond ${condError.toExponential(2)}, uncond ${uncondError.toExponential(2)}`,
      );
      expect(ctxError).toBeLessThanOrEqual(1e-5);
      expect(condError).toBeLessThanOrEqual(1e-5);
      expect(uncondError).toBeLessThanOrEqual(1e-5);
    });

    it("follows diffusers' latents at every UNet call within 1e-4", () => {
      // PNDM with skip_prk_steps makes steps + 1 UNet calls; each sees [uncond; cond] copies of the latents.
      expect(recording.unetSamples.length).toBe(c.steps + 1);
      let worst = 0;
      recording.unetSamples.forEach((sample, step) => {
        const reference = referenceTensor(caseDir, `step${String(step).padStart(2, "0")}.unet_in`);
        worst = Math.max(worst, maxAbsDiff(sample, reference, `step ${step}`));
      });
      if (!seen.latents) throw new Error("VAE Decode did not run");
      // The scheduler's output after the last call (decode_input is that divided by scaling_factor).
      const last = `step${String(c.steps).padStart(2, "0")}.latents`;
      worst = Math.max(worst, maxAbsDiff(seen.latents.data, referenceTensor(caseDir, last), "final latents"));
      console.log(
        `${name}: latents, worst over ${c.steps + 1} UNet calls and the final latents: ${worst.toExponential(2)}`,
      );
      expect(worst).toBeLessThanOrEqual(1e-4);
    });

    it("draws diffusers' float image within 1e-5, and its 8-bit pixels up to rounding-boundary flips", async () => {
      if (!seen.pixels) throw new Error("VAE Decode did not run");
      const [, , height, width] = seen.pixels.dims;
      const reference = referenceTensor(caseDir, "image"); // [1, H, W, 3]
      const ours = new Float32Array(reference.length);
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++)
          for (let ch = 0; ch < 3; ch++)
            ours[(y * width + x) * 3 + ch] = seen.pixels.data[(ch * height + y) * width + x];
      const floatError = maxAbsDiff(ours, reference, "image");

      const ourPng = (await decodeImage(readFileSync(join(ctx.root, "output", pngName)))).image;
      const theirPng = (await decodeImage(readFileSync(join(caseDir, "image.png")))).image;
      expect([ourPng.width, ourPng.height]).toEqual([width, height]);
      let flips = 0;
      let worstBoundary = 0;
      for (let i = 0; i < reference.length; i++) {
        if (ourPng.data[i] === theirPng.data[i]) continue;
        flips++;
        const levels = reference[i] * 255;
        worstBoundary = Math.max(worstBoundary, Math.abs(levels - (Math.floor(levels) + 0.5)));
        expect(Math.abs(ourPng.data[i] - theirPng.data[i])).toBe(1);
      }
      console.log(
        `${name}: image ${floatError.toExponential(2)}, 8-bit flips ${flips} (farthest from k+0.5: ${worstBoundary.toExponential(2)})`,
      );
      expect(floatError).toBeLessThanOrEqual(1e-5);
      expect(worstBoundary).toBeLessThanOrEqual(1e-3);
    });
  },
);

import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage, WorkflowSchema, type FloatTensor, type NodeDefinition, type NodePackage } from "@infix/engine";
import { Executor, NodeRegistry, OutputCache, type ExecutionEvents } from "@infix/engine/testing";
import { createNodeResources, nodePackage } from "../index.ts";
import { importDiffusersPack } from "../pack/import/import-pack.ts";
import type { Feeds } from "../pack/types.ts";
import type { ImageBatch, LatentBatch } from "../sockets.ts";
import { createTestContext } from "../testing/test-context.ts";

/**
 * Issue #10's bar: diffusers' BlipDiffusionControlNetPipeline case cn_canny_g7.5_s5 through
 * Infix's own nodes (Load Image → ControlNet Apply → Sampler …) on the pack imported from the
 * diffusers fixture with its controlnet-canny, compared with what diffusers recorded: the
 * condition tensor, the first step's residuals, every UNet call's latents, the image.
 */

const fixtures = fileURLToPath(new URL("../../../../shared/fixtures/", import.meta.url));
const pipelineDir = join(fixtures, "blip-diffusion-tiny");
const referenceDir = join(fixtures, "reference");
const CASE = "cn_canny_g7.5_s5";

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
  cond: string;
  neg_prompt: string;
  prompt_strength: number;
  prompt_reps: number;
}

function referenceCase(): { c: ReferenceCase; inputs: Record<string, string> } {
  for (const dir of [pipelineDir, referenceDir])
    if (!existsSync(dir)) throw new Error(`missing fixture ${dir}: ../shared/fixtures must sit beside the repository`);
  const index = JSON.parse(readFileSync(join(referenceDir, "index.json"), "utf8")) as {
    cases: ReferenceCase[];
    inputs: Record<string, string>;
  };
  const c = index.cases.find((x) => x.name === CASE);
  if (!c) throw new Error(`reference/index.json has no case ${CASE}`);
  return { c, inputs: index.inputs };
}

function referenceTensor(name: string): Float32Array {
  const caseDir = join(referenceDir, referenceCase().c.dir);
  const index = JSON.parse(readFileSync(join(caseDir, "index.json"), "utf8")) as {
    tensors: Record<string, { file: string; dtype: string }>;
  };
  const entry = index.tensors[name];
  if (entry?.dtype !== "float32") throw new Error(`${caseDir}: no float32 tensor ${name}`);
  const bytes = readFileSync(join(caseDir, entry.file));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function maxAbsDiff(ours: Float32Array, theirs: Float32Array, what: string): number {
  if (ours.length !== theirs.length) throw new Error(`${what}: ${ours.length} values, reference has ${theirs.length}`);
  let max = 0;
  for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
  return max;
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

function caseWorkflow(c: ReferenceCase, reference: string, condition: string) {
  return WorkflowSchema.parse({
    format: "infix-workflow",
    version: 1,
    name: c.name,
    nodes: {
      pack: { type: "LoadModelPack", inputs: { pack: "blip-diffusion-tiny" } },
      reference: { type: "LoadImage", inputs: { image: reference } },
      condition: { type: "LoadImage", inputs: { image: condition } },
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
      // diffusers' defaults: controlnet_condition_scale 1, the whole schedule.
      controlnet: {
        type: "ControlNetApply",
        inputs: {
          pack: link("pack", "pack"),
          control_net: "canny",
          image: link("condition", "image"),
          strength: 1,
          start: 0,
          end: 1,
        },
      },
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
          control: link("controlnet", "control"),
        },
      },
      decode: { type: "VAEDecode", inputs: { pack: link("pack", "pack"), latent: link("sampler", "latent") } },
      save: { type: "SaveImage", inputs: { images: link("decode", "images"), filename_prefix: c.name } },
    },
  });
}

/** The real VAE Decode node, also handing its input latents and output pixels to the test. */
function capturingPackage(seen: { latents?: FloatTensor; pixels?: FloatTensor }): NodePackage {
  const nodes = nodePackage.nodes.map((node): NodeDefinition => {
    if (node.schema.type !== "VAEDecode") return node;
    return {
      ...node,
      async run(inputs, runCtx) {
        const outputs = await node.run(inputs, runCtx);
        seen.latents = (inputs.latent as LatentBatch).samples;
        seen.pixels = (outputs.images as ImageBatch).pixels;
        return outputs;
      },
    };
  });
  return { ...nodePackage, nodes };
}

describe(`diffusers' BlipDiffusionControlNetPipeline case ${CASE} through Infix's nodes`, () => {
  const { c, inputs } = referenceCase();
  const ctx = createTestContext();
  const seen: { latents?: FloatTensor; pixels?: FloatTensor } = {};
  const controlnetCalls: { feeds: Feeds; outputs: Record<string, FloatTensor> }[] = [];
  const unetCalls: Feeds[] = [];
  const unetSamples: Float32Array[] = [];
  let pngName = "";

  beforeAll(async () => {
    const models = mkdtempSync(join(tmpdir(), "infix-imported-"));
    await importDiffusersPack({
      source: pipelineDir,
      out: join(models, "blip-diffusion-tiny"),
      controlnets: [{ folder: join(pipelineDir, "controlnet-canny"), name: "canny" }],
    });
    const resources = await createNodeResources({ modelsDir: models, tinyPackDir: null });
    const pack = await resources.packs.get("blip-diffusion-tiny");
    const original = pack.run;
    pack.run = async (graph, feeds: Feeds, signal) => {
      const outputs = await original.call(pack, graph, feeds, signal);
      if (graph === "controlnet/canny") controlnetCalls.push({ feeds, outputs });
      if (graph === "unet") {
        unetCalls.push(feeds);
        // The Sampler reuses its input buffer from call to call: keep this call's values.
        unetSamples.push((feeds.sample as FloatTensor).data.slice());
      }
      return outputs;
    };
    const reference = ctx.addInput("cn-ref.png", readFileSync(join(referenceDir, inputs[c.ref])));
    const condition = ctx.addInput("cn-cond.png", readFileSync(join(referenceDir, inputs[c.cond])));
    try {
      const executor = new Executor({
        registry: new NodeRegistry([capturingPackage(seen)]),
        cache: new OutputCache({ budgetBytes: 64 * 1024 ** 2 }),
        resources,
        files: ctx.files,
        log: ctx.log,
      });
      const result = await executor.execute({
        workflow: caseWorkflow(c, reference, condition),
        signal: new AbortController().signal,
        events: silent,
      });
      if (result.status !== "succeeded")
        throw new Error(`run failed: ${JSON.stringify(result.error ?? result.problems)}`);
      pngName = result.ui.save?.images?.[0]?.name ?? "";
    } finally {
      pack.run = original;
    }
  }, 180_000);

  it("feeds the ControlNet diffusers' condition tensor on every UNet call", () => {
    expect(controlnetCalls.length).toBe(c.steps + 1);
    const reference = referenceTensor("control_image");
    for (const call of controlnetCalls) {
      expect(call.feeds.controlnet_cond.dims).toEqual([2, 3, c.height, c.width]);
      expect(maxAbsDiff(call.feeds.controlnet_cond.data as Float32Array, reference, "control_image")).toBe(0);
    }
  });

  it("gives diffusers' first-step residuals within 1e-5, and the UNet takes them", () => {
    const [first] = controlnetCalls;
    const names = Object.keys(first.outputs).filter((name) => name.startsWith("down_block_res_sample_"));
    let worst = 0;
    for (const name of names) {
      const index = name.slice("down_block_res_sample_".length);
      worst = Math.max(worst, maxAbsDiff(first.outputs[name].data, referenceTensor(`step00.cn_down_${index}`), name));
      expect(unetCalls[0][`down_block_additional_residual_${index}`].data).toBe(first.outputs[name].data);
    }
    worst = Math.max(
      worst,
      maxAbsDiff(first.outputs.mid_block_res_sample.data, referenceTensor("step00.cn_mid"), "mid_block_res_sample"),
    );
    console.log(`${CASE}: step00 residuals (${names.length} down + mid), worst ${worst.toExponential(2)}`);
    expect(names.length).toBe(8);
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it("follows diffusers' latents at every UNet call within 1e-4", () => {
    expect(unetCalls.length).toBe(c.steps + 1);
    let worst = 0;
    unetSamples.forEach((sample, step) => {
      const name = `step${String(step).padStart(2, "0")}.unet_in`;
      worst = Math.max(worst, maxAbsDiff(sample, referenceTensor(name), name));
    });
    if (!seen.latents) throw new Error("VAE Decode did not run");
    const last = `step${String(c.steps).padStart(2, "0")}.latents`;
    worst = Math.max(worst, maxAbsDiff(seen.latents.data, referenceTensor(last), "final latents"));
    console.log(
      `${CASE}: latents, worst over ${c.steps + 1} UNet calls and the final latents: ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThanOrEqual(1e-4);
  });

  it("draws diffusers' float image within 1e-5, and its 8-bit pixels up to rounding-boundary flips", async () => {
    if (!seen.pixels) throw new Error("VAE Decode did not run");
    const [, , height, width] = seen.pixels.dims;
    const reference = referenceTensor("image"); // [1, H, W, 3]
    const ours = new Float32Array(reference.length);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        for (let ch = 0; ch < 3; ch++) ours[(y * width + x) * 3 + ch] = seen.pixels.data[(ch * height + y) * width + x];
    const floatError = maxAbsDiff(ours, reference, "image");
    const ourPng = (await decodeImage(readFileSync(join(ctx.root, "output", pngName)))).image;
    const theirPng = (await decodeImage(readFileSync(join(referenceDir, c.dir, "image.png")))).image;
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
      `${CASE}: image ${floatError.toExponential(2)}, 8-bit flips ${flips} (farthest from k+0.5: ${worstBoundary.toExponential(2)})`,
    );
    expect(floatError).toBeLessThanOrEqual(1e-5);
    expect(worstBoundary).toBeLessThanOrEqual(1e-3);
  });
});

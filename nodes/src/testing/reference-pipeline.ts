import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WorkflowSchema, type FloatTensor, type Workflow } from "@infix/engine";
import { createNodeResources, type NodeResources } from "../index.ts";
import { importDiffusersPack } from "../pack/import/import-pack.ts";
import { requireFixture, TINY_PIPELINE_DIR, type DiffusersCase, type DiffusersCaseInfo } from "./reference-fixtures.ts";
import {
  runWorkflowFresh,
  whileTapping,
  withDecodeCapture,
  type DecodeCapture,
  type GraphCallListener,
} from "./run-workflow.ts";
import type { TestContext } from "./test-context.ts";

/**
 * The reference pipeline on Infix's side: the fixtures' tiny diffusers pipeline imported as a
 * pack, and a recorded diffusers call written as the Infix workflow that should reproduce it.
 */

/** The pack id the tests import the tiny pipeline as. */
export const REFERENCE_PACK_ID = "blip-diffusion-tiny";

/**
 * Imports the tiny pipeline (`infix pack import`'s work) as pack `blip-diffusion-tiny` into a
 * new models folder; with `controlnet`, its canny ControlNet too (graph `controlnet/canny`).
 */
export async function importReferencePack(options: { controlnet?: boolean } = {}): Promise<{
  modelsDir: string;
  packDir: string;
}> {
  const modelsDir = mkdtempSync(join(tmpdir(), "infix-imported-"));
  const packDir = join(modelsDir, REFERENCE_PACK_ID);
  const canny = join(TINY_PIPELINE_DIR, "controlnet-canny");
  await importDiffusersPack({
    source: requireFixture(TINY_PIPELINE_DIR),
    out: packDir,
    controlnets: options.controlnet ? [{ folder: requireFixture(canny), name: "canny" }] : undefined,
  });
  return { modelsDir, packDir };
}

/** Node resources whose only pack is the imported tiny pipeline (no embedded tiny pack). */
export async function referencePackResources(options: { controlnet?: boolean } = {}): Promise<NodeResources> {
  const { modelsDir } = await importReferencePack(options);
  return createNodeResources({ modelsDir, tinyPackDir: null });
}

/** A link to `output` of `node`, as a workflow file writes it. */
export const link = (node: string, output: string) => ({ node, output });

/**
 * diffusers' BlipDiffusionPipeline call as Infix nodes: Load Model Pack → Load Image → Q-Former
 * Encode → Subject Prompt / Text Encode → Sampler (PNDM) → VAE Decode → Save Image. With a
 * `condition` picture it is BlipDiffusionControlNetPipeline: a ControlNet Apply (canny) at
 * diffusers' defaults (conditioning scale 1, the whole schedule) feeds the Sampler.
 */
export function diffusersCaseWorkflow(
  c: DiffusersCaseInfo,
  pictures: { reference: string; condition?: string },
): Workflow {
  const pack = link("pack", "pack");
  const nodes: Record<string, unknown> = {
    pack: { type: "LoadModelPack", inputs: { pack: REFERENCE_PACK_ID } },
    reference: { type: "LoadImage", inputs: { image: pictures.reference } },
    subject: {
      type: "QFormerEncode",
      inputs: { pack, image: link("reference", "image"), category: c.src, resize: "squash" },
    },
    latent: { type: "EmptyLatent", inputs: { pack, width: c.width, height: c.height, batch_size: 1 } },
    positive: {
      type: "SubjectPrompt",
      inputs: {
        pack,
        subject: link("subject", "subject"),
        target_category: c.tgt,
        prompt: c.prompt,
        prompt_strength: c.prompt_strength,
        prompt_reps: c.prompt_reps,
      },
    },
    negative: { type: "TextEncode", inputs: { pack, text: c.neg_prompt } },
    sampler: {
      type: "Sampler",
      inputs: {
        pack,
        positive: link("positive", "conditioning"),
        negative: link("negative", "conditioning"),
        latent: link("latent", "latent"),
        seed: c.seed,
        steps: c.steps,
        cfg: c.guidance,
        scheduler: "pndm",
        denoise: 1,
        ...(pictures.condition === undefined ? {} : { control: link("controlnet", "control") }),
      },
    },
    decode: { type: "VAEDecode", inputs: { pack, latent: link("sampler", "latent") } },
    save: { type: "SaveImage", inputs: { images: link("decode", "images"), filename_prefix: c.name } },
  };
  if (pictures.condition !== undefined) {
    nodes.condition = { type: "LoadImage", inputs: { image: pictures.condition } };
    nodes.controlnet = {
      type: "ControlNetApply",
      inputs: { pack, control_net: "canny", image: link("condition", "image"), strength: 1, start: 0, end: 1 },
    };
  }
  return WorkflowSchema.parse({ format: "infix-workflow", version: 2, name: c.name, nodes });
}

/** What a diffusers case's run through Infix's nodes gave, for comparing with what diffusers recorded. */
export interface DiffusersCaseRun {
  /** The latents fed to every UNet call ([uncond; cond] copies), copied as they were at the call. */
  unetSamples: Float32Array[];
  /** What VAE Decode decoded and drew. */
  decoded: Required<DecodeCapture>;
  /** The PNG Save Image wrote. */
  png: Buffer;
}

/**
 * Runs a recorded diffusers case as its Infix workflow on pack `blip-diffusion-tiny` of
 * `resources` (the ControlNet variant when the case has a condition picture), with a fresh
 * executor. `listen` sees every graph call on the way.
 */
export async function runDiffusersCase(
  reference: DiffusersCase,
  options: { resources: NodeResources; ctx: TestContext; listen?: GraphCallListener },
): Promise<DiffusersCaseRun> {
  const { info } = reference;
  const { resources, ctx } = options;
  const picture = (which: "ref" | "cond") => ctx.addInput(`${info.name}-${which}.png`, reference.input(which));
  const workflow = diffusersCaseWorkflow(info, {
    reference: picture("ref"),
    condition: info.cond === undefined ? undefined : picture("cond"),
  });
  const unetSamples: Float32Array[] = [];
  const decoded: DecodeCapture = {};
  const pack = await resources.packs.get(REFERENCE_PACK_ID);
  const result = await whileTapping(
    pack,
    (graph, feeds, outputs) => {
      // The Sampler reuses its input buffer from call to call: keep this call's values.
      if (graph === "unet") unetSamples.push((feeds.sample as FloatTensor).data.slice());
      options.listen?.(graph, feeds, outputs);
    },
    () => runWorkflowFresh(workflow, { resources, ctx, packages: [withDecodeCapture(decoded)] }),
  );
  const saved = result.ui.save?.images?.[0]?.name;
  if (!decoded.latents || !decoded.pixels || saved === undefined)
    throw new Error("VAE Decode or Save Image did not run");
  return {
    unetSamples,
    decoded: { latents: decoded.latents, pixels: decoded.pixels },
    png: readFileSync(join(ctx.root, "output", saved)),
  };
}

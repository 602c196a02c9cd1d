import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Problem, Workflow } from "@infix/engine";

/**
 * `infix run --latents <file.npy>`: start a run from exact latents. The file is copied into
 * the input folder and handed to the workflow's one Load Latent node (nodes/src/latent/
 * load-latent.ts), which checks its shape; the workflow decides what the latents feed.
 */

/**
 * `infix run --help` text on wiring: the option only fills Load Latent's file, so the
 * workflow's edges decide whether the latents are the Sampler's input or its exact noise.
 */
export const LATENTS_OPTION_HELP = `
--latents wiring: the .npy file goes to the workflow's one Load Latent node; its edges decide the role.
  Exact-noise start (reproduce a diffusers run that passed latents=):
    Load Latent.latent → Sampler.noise   (shape [B,4,h,w] of the Sampler's latent input;
    Empty Latent → Sampler.latent gives that shape). At denoise 1 the Sampler starts from
    noise × init_noise_sigma; below 1 it noises its input latents with it. The seed then
    only feeds ancestral schedulers' per-step noise, from the start of its stream.
  Image-to-image / resume from saved latents:
    Load Latent.latent → Sampler.latent  (denoise < 1), or → VAE Decode.latent.
`;

/** The node type whose `file` input the option fills. */
export const LOAD_LATENT_TYPE = "LoadLatent";
/** Subfolder of input/ the copies go to, named by content so runs never overwrite each other's. */
export const CLI_LATENTS_FOLDER = "cli-latents";

export type LatentsOptionResult =
  { ok: true; workflow: Workflow; nodeId: string; inputName: string } | { ok: false; problem: Problem };

const problem = (message: string, expected: string, found: string, nodeId?: string): LatentsOptionResult => ({
  ok: false,
  problem: { code: "cli_latents", message, input: "file", expected, found, ...(nodeId ? { nodeId } : {}) },
});

/**
 * Copies `npyPath` into `inputDir` and returns the workflow with its Load Latent node reading
 * that copy; a problem when the file cannot be read or the workflow has no single active
 * Load Latent node.
 * @example const applied = await applyLatentsOption(workflow, "noise.npy", setup.files.folders.input);
 */
export async function applyLatentsOption(
  workflow: Workflow,
  npyPath: string,
  inputDir: string,
): Promise<LatentsOptionResult> {
  const candidates = Object.entries(workflow.nodes).filter(
    ([, node]) => node.type === LOAD_LATENT_TYPE && node.mode !== "muted",
  );
  if (candidates.length === 0) {
    return problem(
      "--latents needs a Load Latent node in the workflow to hand the file to; add one and connect it where the latents go (the Sampler's noise input for an exact-noise start, its latent input for image-to-image).",
      "one Load Latent node",
      "none",
    );
  }
  if (candidates.length > 1) {
    const ids = candidates.map(([id]) => id).join(", ");
    return problem(
      `--latents is ambiguous: the workflow has ${candidates.length} Load Latent nodes (${ids}); keep one, or set their files in the workflow instead.`,
      "one Load Latent node",
      ids,
    );
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(npyPath);
  } catch (error) {
    return problem(`--latents: cannot read ${npyPath} (${(error as Error).message}).`, "a readable .npy file", npyPath);
  }
  const digest = createHash("sha256").update(bytes).digest("hex").slice(0, 12);
  const inputName = `${CLI_LATENTS_FOLDER}/${digest}-${basename(npyPath)}`;
  await mkdir(join(inputDir, CLI_LATENTS_FOLDER), { recursive: true });
  await writeFile(join(inputDir, inputName), bytes);
  const [nodeId, node] = candidates[0];
  const updated: Workflow = {
    ...workflow,
    nodes: { ...workflow.nodes, [nodeId]: { ...node, inputs: { ...node.inputs, file: inputName } } },
  };
  return { ok: true, workflow: updated, nodeId, inputName };
}

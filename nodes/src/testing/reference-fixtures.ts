import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { floatTensor, type FloatTensor } from "@infix/engine";

/**
 * Where the reference fixtures are and how to read them: ../shared/fixtures beside the
 * repository (CI puts it there too; see its README). The diffusers tiny pipeline, diffusers'
 * recorded BlipDiffusion(ControlNet)Pipeline cases in `reference/`, LAVIS's editing cases in
 * `reference-edit/`. Each case folder is a tensor store: `index.json` maps a name to
 * `{file, dtype, shape}` of a raw little-endian C-order array. A missing fixture fails the
 * test with what to do; it never skips.
 */

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const FIXTURES_DIR = join(REPO_ROOT, "..", "shared", "fixtures");
/** diffusers' tiny BLIP-Diffusion pipeline (a `save_pretrained` folder), with `controlnet-canny/` inside. */
export const TINY_PIPELINE_DIR = join(FIXTURES_DIR, "blip-diffusion-tiny");
/** diffusers' recorded pipeline cases: `index.json` (cases, input pictures) and a tensor store per case. */
export const REFERENCE_DIR = join(FIXTURES_DIR, "reference");

/** Returns `path`, or throws naming it and what to do when it is not there. */
export function requireFixture(path: string): string {
  if (!existsSync(path))
    throw new Error(
      `Reference fixtures missing: ${path}. Tests need ../shared/fixtures beside the repository (see BRIEF/README); they never skip.`,
    );
  return path;
}

interface TensorEntry {
  file: string;
  dtype: "float32" | "int64";
  shape: number[];
}

/** The tensors of one case folder, by the names its `index.json` gives them. */
export interface TensorStore {
  has(name: string): boolean;
  shape(name: string): number[];
  float(name: string): Float32Array;
  /** A float32 tensor with its shape, ready to feed a graph. */
  floatTensor(name: string): FloatTensor;
  /** An int64 (or float32) tensor as plain numbers. */
  int(name: string): number[];
}

/** Opens the tensor store in `dir`; also returns the rest of its `index.json` (e.g. LAVIS's `case`). */
export function loadTensorStore<Extra extends object = object>(dir: string): TensorStore & { index: Extra } {
  const index = JSON.parse(readFileSync(requireFixture(join(dir, "index.json")), "utf8")) as Extra & {
    tensors: Record<string, TensorEntry>;
  };
  const entry = (name: string) => {
    const found = index.tensors[name];
    if (!found) throw new Error(`${dir} has no tensor "${name}"`);
    return found;
  };
  const bytes = (name: string) => {
    const buffer = readFileSync(join(dir, entry(name).file));
    return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
  };
  const float = (name: string) => {
    if (entry(name).dtype !== "float32") throw new Error(`${dir}: tensor ${name} is not float32`);
    return new Float32Array(bytes(name));
  };
  return {
    index,
    has: (name) => name in index.tensors,
    shape: (name) => entry(name).shape,
    float,
    floatTensor: (name) => floatTensor(entry(name).shape, float(name)),
    int(name) {
      if (entry(name).dtype === "int64") return Array.from(new BigInt64Array(bytes(name)), Number);
      return Array.from(new Float32Array(bytes(name)));
    },
  };
}

/** One case of `reference/index.json`: a diffusers pipeline call and what it was given. */
export interface DiffusersCaseInfo {
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
  /** Key of the subject picture in the index's `inputs`. */
  ref: string;
  /** Key of the ControlNet condition picture (ControlNet cases only). */
  cond?: string;
  neg_prompt: string;
  prompt_strength: number;
  prompt_reps: number;
}

export interface DiffusersCase {
  readonly info: DiffusersCaseInfo;
  /** What diffusers recorded: `image` [1,H,W,3], `stepNN.unet_in`, `stepNN.latents`, embeddings, … */
  readonly tensors: TensorStore;
  /** The bytes of one of the case's input pictures (`ref`, `cond`). */
  input(which: "ref" | "cond"): Buffer;
  /** The 8-bit picture diffusers saved. */
  png(): Buffer;
}

/** Opens a recorded diffusers case by name, e.g. `dog_g7.5_s25`. */
export function loadDiffusersCase(name: string): DiffusersCase {
  requireFixture(TINY_PIPELINE_DIR);
  const index = JSON.parse(readFileSync(requireFixture(join(REFERENCE_DIR, "index.json")), "utf8")) as {
    cases: DiffusersCaseInfo[];
    inputs: Record<string, string>;
  };
  const info = index.cases.find((candidate) => candidate.name === name);
  if (!info) throw new Error(`reference/index.json has no case ${name}`);
  const dir = join(REFERENCE_DIR, info.dir);
  return {
    info,
    tensors: loadTensorStore(dir),
    input(which) {
      const key = info[which];
      if (key === undefined || index.inputs[key] === undefined)
        throw new Error(`reference case ${name} has no ${which} picture`);
      return readFileSync(requireFixture(join(REFERENCE_DIR, index.inputs[key])));
    },
    png: () => readFileSync(requireFixture(join(dir, "image.png"))),
  };
}

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadClipTokenizer, type TextTokenizer } from "@infix/engine";

/**
 * Reads ../shared/fixtures/reference-edit (LAVIS editing on the shared tiny pipeline; see its
 * README): each case folder is a tensor store, `index.json` mapping a name to
 * `{file, dtype, shape}` of raw little-endian C-order arrays. Missing fixtures fail loudly.
 */

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const FIXTURES_DIR = join(REPO_ROOT, "..", "shared", "fixtures");
const EDIT_DIR = join(FIXTURES_DIR, "reference-edit");

function requireFixtures(path: string): void {
  if (!existsSync(path))
    throw new Error(
      `Reference fixtures missing: ${path}. Tests need ../shared/fixtures beside the repository (see BRIEF/README); they never skip.`,
    );
}

interface TensorEntry {
  file: string;
  dtype: "float32" | "int64";
  shape: number[];
}

export interface EditCaseInfo {
  name: string;
  mode: "generate_then_edit" | "edit";
  cond_subject: string;
  src_subject: string;
  tgt_subject: string;
  prompt: string;
  guidance: number;
  steps: number;
  height: number;
  width: number;
  seed: number;
  neg_prompt: string;
  cross_replace_steps: number;
  self_replace_steps: number;
  lb_threshold: number;
  num_query_tokens: number;
  prompts: [string, string];
  inversion_prompt: string | null;
  num_self_replace: [number, number];
  unet_calls: number;
  latent_size: [number, number];
  lowres_size: [number, number];
}

export interface EditCase {
  readonly info: EditCaseInfo;
  has(name: string): boolean;
  float(name: string): Float32Array;
  int(name: string): number[];
  shape(name: string): number[];
}

export function loadEditCase(name: string): EditCase {
  const dir = join(EDIT_DIR, name);
  requireFixtures(join(dir, "index.json"));
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as {
    case: EditCaseInfo;
    tensors: Record<string, TensorEntry>;
  };
  const entry = (tensor: string) => {
    const found = index.tensors[tensor];
    if (!found) throw new Error(`reference-edit/${name} has no tensor "${tensor}"`);
    return found;
  };
  const bytes = (tensor: string) => {
    const buffer = readFileSync(join(dir, entry(tensor).file));
    return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
  };
  return {
    info: index.case,
    has: (tensor) => tensor in index.tensors,
    shape: (tensor) => entry(tensor).shape,
    float(tensor) {
      if (entry(tensor).dtype !== "float32") throw new Error(`${tensor} is not float32`);
      return new Float32Array(bytes(tensor));
    },
    int(tensor) {
      const e = entry(tensor);
      if (e.dtype === "int64") return Array.from(new BigInt64Array(bytes(tensor)), Number);
      return Array.from(new Float32Array(bytes(tensor)));
    },
  };
}

/** The CLIP tokenizer of the shared tiny pipeline (fixtures/blip-diffusion-tiny/tokenizer). */
export function referenceClipTokenizer(): Promise<TextTokenizer> {
  const dir = join(FIXTURES_DIR, "blip-diffusion-tiny", "tokenizer");
  requireFixtures(dir);
  return loadClipTokenizer(dir);
}

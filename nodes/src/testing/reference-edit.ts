import { join } from "node:path";
import { loadClipTokenizer, type TextTokenizer } from "@infix/engine";
import {
  FIXTURES_DIR,
  loadTensorStore,
  requireFixture,
  TINY_PIPELINE_DIR,
  type TensorStore,
} from "./reference-fixtures.ts";

/**
 * Reads ../shared/fixtures/reference-edit (LAVIS editing on the shared tiny pipeline; see its
 * README): each case folder is a tensor store (see reference-fixtures.ts) whose `index.json`
 * also describes the case. Missing fixtures fail loudly.
 */

/** LAVIS's editing cases, and the pictures they start from in `inputs/`. */
export const EDIT_DIR = join(FIXTURES_DIR, "reference-edit");

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

export interface EditCase extends TensorStore {
  readonly info: EditCaseInfo;
}

export function loadEditCase(name: string): EditCase {
  const store = loadTensorStore<{ case: EditCaseInfo }>(join(EDIT_DIR, name));
  return { ...store, info: store.index.case };
}

/** The CLIP tokenizer of the shared tiny pipeline (fixtures/blip-diffusion-tiny/tokenizer). */
export function referenceClipTokenizer(): Promise<TextTokenizer> {
  return loadClipTokenizer(requireFixture(join(TINY_PIPELINE_DIR, "tokenizer")));
}

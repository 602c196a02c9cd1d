/**
 * The ATTENTION_CONTROL value the Attention Controller outputs: a plain description (prompts,
 * embeddings, key mapping, schedule, blend words). It holds no run state, so the node cache
 * may share it between runs and jobs; each Sampler run builds a fresh `EditSession` from it.
 */
import type { FloatTensor } from "@infix/engine";
import type { KeyMapping } from "./alignment.ts";

/**
 * How the run starts. `generated`: from seeded (or given) noise, both rows guided (LAVIS
 * `generate_then_edit`). `inverted`: from DDIM Inversion's noise; the source row follows the
 * unguided conditional prediction so that it reconstructs the picture, and DDIM with LAVIS's
 * configuration samples (LAVIS `edit`, ../shared/EDITING.md §7–§9).
 */
export const EDIT_STARTS = ["generated", "inverted"] as const;
export type EditStart = (typeof EDIT_STARTS)[number];

export interface AttentionEdit {
  readonly type: "ATTENTION_CONTROL";
  readonly kind: "prompt-to-prompt";
  readonly packHash: string;
  readonly sourcePrompt: string;
  readonly targetPrompt: string;
  /** [1,77,D] the source row's text (no subject). */
  readonly source: FloatTensor;
  /** [1,77,D] the target row's text, subject spliced in when there is one. */
  readonly target: FloatTensor;
  readonly mapping: KeyMapping;
  readonly scales: Float32Array;
  readonly crossReplaceSteps: number;
  readonly selfReplaceSteps: number;
  /** Word indicator per conditional row and threshold; null = no local blend. */
  readonly blend: { readonly words: readonly [Float32Array, Float32Array]; readonly threshold: number } | null;
  readonly keyLabels: readonly [readonly string[], readonly string[]];
  readonly start: EditStart;
  readonly lavisCompatible: boolean;
}

/** Whether an ATTENTION_CONTROL value is an Attention Controller's description (not a live control). */
export function isAttentionEdit(value: unknown): value is AttentionEdit {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { type?: unknown }).type === "ATTENTION_CONTROL" &&
    (value as { kind?: unknown }).kind === "prompt-to-prompt"
  );
}

/** The per-word maps a run saw, carried on the Sampler's LATENT for the Attention Maps node. */
export interface AttentionMapsRecord {
  readonly keyLabels: readonly [readonly string[], readonly string[]];
  readonly keys: number;
  readonly lowHeight: number;
  readonly lowWidth: number;
  /** [2, lowHeight·lowWidth, keys] the conditional rows' maps summed over every call */
  readonly accumulated: Float32Array;
  /** [h·w] the local blend's last mask (all ones without local blend) */
  readonly mask: Uint8Array;
  /** The local blend's mask after each call, in call order (empty without local blend). */
  readonly stepMasks: readonly Uint8Array[];
  readonly blendWords: readonly [Float32Array, Float32Array] | null;
  readonly threshold: number;
  readonly calls: number;
}

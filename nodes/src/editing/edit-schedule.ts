/**
 * When the attention edit applies, per UNet call i (LAVIS BLIP-Diffusion, ../shared/EDITING.md §4).
 * `steps` is the user's number of inference steps N, not the number of calls (PNDM makes N+1).
 */

/**
 * prompt-to-prompt `get_time_words_attention_alpha` with a scalar bound, as LAVIS passes it:
 * N+1 rows, row i is 1 while i < int(crossReplaceSteps·(N+1)) (a float64 product, truncated).
 */
export function crossReplaceAlpha(call: number, steps: number, crossReplaceSteps: number): number {
  return call < Math.trunc(crossReplaceSteps * (steps + 1)) ? 1 : 0;
}

/** LAVIS `num_self_replace`: calls [int(N·0), int(N·selfReplaceSteps)) replace self-attention (N, not N+1). */
export function selfReplaceActive(call: number, steps: number, selfReplaceSteps: number): boolean {
  return call >= 0 && call < Math.trunc(steps * selfReplaceSteps);
}

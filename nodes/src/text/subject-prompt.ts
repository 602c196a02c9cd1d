/**
 * The prompt text BLIP-Diffusion feeds its text encoder when a subject is present.
 * diffusers `BlipDiffusionPipeline._build_prompt`: `a {target} {prompt.strip()}`, repeated
 * `int(prompt_strength * prompt_reps)` times and joined by ", " — the repetition is the
 * paper's trick to weigh the text against the 16 subject tokens.
 */

/**
 * Builds the subject prompt exactly as diffusers does.
 * @param targetCategory the target subject category, e.g. "dog"
 * @param prompt the user's prompt, e.g. "swimming underwater"
 * @param promptStrength multiplies the repetition count (default 1)
 * @param promptReps the base repetition count (default 20)
 * @example buildSubjectPrompt("dog", " on the beach ", 0.1, 20) // "a dog on the beach, a dog on the beach"
 */
export function buildSubjectPrompt(
  targetCategory: string,
  prompt: string,
  promptStrength = 1,
  promptReps = 20,
): string {
  const one = `a ${targetCategory} ${prompt.trim()}`;
  // Python's int() truncates toward zero; a count of 0 or less gives the empty string, as "".join([]) does.
  const count = Math.trunc(promptStrength * promptReps);
  return count > 0 ? Array.from({ length: count }, () => one).join(", ") : "";
}

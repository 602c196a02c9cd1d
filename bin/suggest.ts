import { closest, distance } from "fastest-levenshtein";

/**
 * The candidate a mistyped name most likely meant, for "did you mean …?": the closest by edit
 * distance (case-insensitive), if it is within a third of the name's length (at least 2 edits).
 *
 * @example closestName("Samplr", ["Sampler", "VAEDecode"]) // "Sampler"
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const lower = name.toLowerCase();
  const byLower = new Map(candidates.map((candidate) => [candidate.toLowerCase(), candidate]));
  const best = closest(lower, [...byLower.keys()]);
  const limit = Math.max(2, Math.floor(name.length / 3));
  return distance(lower, best) <= limit ? byLower.get(best) : undefined;
}

/** ` Did you mean 'X'?` or nothing, to append to a sentence. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const guess = closestName(name, candidates);
  return guess === undefined ? "" : ` Did you mean '${guess}'?`;
}

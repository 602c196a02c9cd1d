import { closest, distance } from "fastest-levenshtein";

/**
 * "Did you mean …?" for a name that is not there (a node type, a node id, an input): the
 * closest candidate by edit distance. Pure; the validator puts it on `unknown_node_type`
 * problems and the CLI on its own messages.
 */

/**
 * The candidate a mistyped name most likely meant: the closest by edit distance
 * (case-insensitive), if it is within a third of the name's length (at least 2 edits).
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

/**
 * ` Did you mean 'X'?` or nothing, to append to a sentence.
 *
 * @example `no input 'sead'.${didYouMean("sead", ["seed", "steps"])}` // "no input 'sead'. Did you mean 'seed'?"
 */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const guess = closestName(name, candidates);
  return guess === undefined ? "" : ` Did you mean '${guess}'?`;
}

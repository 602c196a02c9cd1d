import { floatTensor, shapeToString, type FloatTensor } from "@infix/engine";

/**
 * Weighted blends of subject embeddings. BLIP-Diffusion's subject representation is a
 * point in the text encoder's embedding space, so a convex combination interpolates
 * between subjects (LAVIS `forward_ctx_embeddings` with `ratio`; the mean of several
 * reference images is the equal-weight case).
 */

/** Why a mix is not possible, for the node to turn into a message. */
export type MixProblem =
  | { reason: "no_inputs" }
  | { reason: "negative_weight"; index: number; weight: number }
  | { reason: "zero_weights" }
  | { reason: "shape_mismatch"; index: number; expected: string; found: string };

/** Normalises weights to sum to 1; a problem when one is negative or all are zero. */
export function normaliseWeights(weights: readonly number[]): Float64Array | MixProblem {
  if (weights.length === 0) return { reason: "no_inputs" };
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    if (!(weights[i] >= 0)) return { reason: "negative_weight", index: i, weight: weights[i] };
    sum += weights[i];
  }
  if (sum === 0) return { reason: "zero_weights" };
  return Float64Array.from(weights, (w) => w / sum);
}

/**
 * Σ wᵢ·eᵢ / Σ wᵢ over embeddings of one shape, accumulated in float64.
 * @example mixEmbeddings([a, b], [1, 1]) // the mean of a and b
 */
export function mixEmbeddings(
  embeddings: readonly FloatTensor[],
  weights: readonly number[],
): FloatTensor | MixProblem {
  if (embeddings.length === 0 || embeddings.length !== weights.length) return { reason: "no_inputs" };
  const normalised = normaliseWeights(weights);
  if (!(normalised instanceof Float64Array)) return normalised;
  const dims = embeddings[0].dims;
  const expected = shapeToString(dims);
  for (let i = 1; i < embeddings.length; i++) {
    const found = shapeToString(embeddings[i].dims);
    if (found !== expected) return { reason: "shape_mismatch", index: i, expected, found };
  }
  const size = embeddings[0].data.length;
  const sum = new Float64Array(size);
  embeddings.forEach((embedding, i) => {
    const w = normalised[i];
    if (w === 0) return;
    const data = embedding.data;
    for (let k = 0; k < size; k++) sum[k] += w * data[k];
  });
  return floatTensor(dims, Float32Array.from(sum));
}

/** True when a mix result is a problem rather than a tensor. */
export function isMixProblem(value: FloatTensor | MixProblem | Float64Array): value is MixProblem {
  return !(value instanceof Float64Array) && "reason" in value;
}

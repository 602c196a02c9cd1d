import type { GraphBuilder, Value } from "./graph-builder.ts";
import { linear } from "./layers.ts";

/**
 * Multi-head scaled dot-product attention (Vaswani et al. 2017, §3.2) written out op by op,
 * so the softmax probabilities are an explicit tensor that callers may transform (prompt-to-
 * prompt attention control) before they weight the values.
 */

export interface AttentionOptions {
  /** Queries come from here: [B, Nq, queryDim]. */
  readonly query: Value;
  readonly queryDim: number;
  /** Keys and values come from here (self-attention when omitted): [B, Nk, keyValueDim]. */
  readonly keyValue?: Value;
  readonly keyValueDim?: number;
  /** Inner width, split over `heads`; default queryDim. */
  readonly innerDim?: number;
  readonly heads: number;
  /** Added to the scores before softmax, broadcast to [B, heads, Nq, Nk] (0 visible, large negative hidden). */
  readonly additiveMask?: Value;
  /** Query/key/value projections carry a bias (CLIP, BERT) or not (diffusers' UNet attention). */
  readonly qkvBias?: boolean;
  /** Standard deviation of the output projection; small keeps residual branches gentle. */
  readonly outStd?: number;
  /** Rewrites the probabilities [B, heads, Nq, Nk] before they multiply the values. */
  readonly transformProbabilities?: (probabilities: Value) => Value;
  /** Parameter names of the four projections; default diffusers' early names `to_q`, `to_k`, `to_v`, `to_out`. */
  readonly projectionNames?: { readonly q: string; readonly k: string; readonly v: string; readonly out: string };
  /** Where 1/√headDim scales: after Q·Kᵀ (diffusers, BERT; default) or on Q before it (CLIP's `q_proj(x) * scale`). */
  readonly scaleQuery?: boolean;
}

export interface AttentionResult {
  /** [B, Nq, queryDim], after the output projection. */
  readonly output: Value;
  /** The probabilities actually used (after any transform): [B, heads, Nq, Nk]. */
  readonly probabilities: Value;
}

function splitHeads(g: GraphBuilder, x: Value, heads: number, headDim: number): Value {
  // [B, N, heads·headDim] → [B, N, heads, headDim] → [B, heads, N, headDim]; 0 copies B and N.
  return g.op("Transpose", [g.op("Reshape", [x, g.constantInt64([0, 0, heads, headDim])])], { perm: [0, 2, 1, 3] });
}

/** Builds one attention layer named `name` (projections `to_q`, `to_k`, `to_v`, `to_out`). */
export function attention(g: GraphBuilder, name: string, options: AttentionOptions): AttentionResult {
  return g.scope(name, () => {
    const innerDim = options.innerDim ?? options.queryDim;
    if (innerDim % options.heads !== 0)
      throw new Error(`attention ${name}: width ${innerDim} does not split into ${options.heads} heads`);
    const headDim = innerDim / options.heads;
    const source = options.keyValue ?? options.query;
    const sourceDim = options.keyValue ? (options.keyValueDim ?? options.queryDim) : options.queryDim;
    const bias = options.qkvBias ?? false;
    const names = options.projectionNames ?? { q: "to_q", k: "to_k", v: "to_v", out: "to_out" };
    let queries = linear(g, options.query, options.queryDim, innerDim, names.q, { bias });
    if (options.scaleQuery) queries = g.op("Mul", [queries, g.scalar(1 / Math.sqrt(headDim))]);
    const q = splitHeads(g, queries, options.heads, headDim);
    const k = splitHeads(g, linear(g, source, sourceDim, innerDim, names.k, { bias }), options.heads, headDim);
    const v = splitHeads(g, linear(g, source, sourceDim, innerDim, names.v, { bias }), options.heads, headDim);
    const kT = g.op("Transpose", [k], { perm: [0, 1, 3, 2] });
    let scores = g.op("MatMul", [q, kT]);
    if (!options.scaleQuery) scores = g.op("Mul", [scores, g.scalar(1 / Math.sqrt(headDim))]);
    if (options.additiveMask) scores = g.op("Add", [scores, options.additiveMask]);
    let probabilities = g.op("Softmax", [scores], { axis: -1 });
    if (options.transformProbabilities) probabilities = options.transformProbabilities(probabilities);
    const context = g.op("MatMul", [probabilities, v]);
    const merged = g.op("Reshape", [
      g.op("Transpose", [context], { perm: [0, 2, 1, 3] }),
      g.constantInt64([0, 0, innerDim]),
    ]);
    const output = linear(g, merged, innerDim, options.queryDim, names.out, { std: options.outStd });
    return { output, probabilities };
  });
}

import { attention, GraphBuilder, layerNorm, linear, quickGelu, type Value } from "@infix/engine/runtime";
import type { TinyPackConfig } from "./config.ts";

/**
 * text_encoder.onnx: diffusers' `ContextCLIPTextModel` (BLIP-Diffusion): CLIP token
 * embeddings of `input_ids` with the C subject embeddings spliced in before token
 * `ctx_begin_pos`, position embeddings 0…L+C−1, CLIP's causal mask over the whole sequence,
 * pre-LN layers with quick-GELU MLPs, and the final layer norm. C may be 0.
 */

/** A far-negative additive mask value: softmax weight exp(−1e9) is exactly 0 in float32. */
const MASKED = -1e9;
/** An end index past any sequence, for Slice's "to the end". */
const TO_END = 2 ** 62;

/** The causal mask table [max, max]: 0 on and below the diagonal, MASKED above. */
function causalMaskTable(max: number): Float32Array {
  const table = new Float32Array(max * max);
  for (let row = 0; row < max; row++) for (let col = row + 1; col < max; col++) table[row * max + col] = MASKED;
  return table;
}

/** Splices ctx [B,C,D] into tokens [B,L,D] before position `at` ([1] int64, read at run time). */
function spliceSubjectEmbedding(g: GraphBuilder, tokens: Value, ctx: Value, at: Value): Value {
  const axis = g.constantInt64([1]);
  const before = g.op("Slice", [tokens, g.constantInt64([0]), at, axis]);
  const after = g.op("Slice", [tokens, at, g.constantInt64([TO_END]), axis]);
  return g.op("Concat", [before, ctx, after], { axis: 1 });
}

/** Builds text_encoder.onnx for a CLIP vocabulary of `vocabSize` tokens. */
export function buildTextEncoderGraph(config: TinyPackConfig, vocabSize: number): GraphBuilder {
  const g = new GraphBuilder("text_encoder", config.seed ^ 0x7e7);
  const D = config.textHiddenSize;
  const maxLength = config.textMaxLength;
  const { layers, heads, intermediate } = config.textEncoder;
  const inputIds = g.input("input_ids", "int64", ["B", "L"]);
  const ctx = g.input("ctx_embeddings", "float32", ["B", "C", D]);
  const ctxBeginPos = g.input("ctx_begin_pos", "int64", [1]);

  const tokenTable = g.weight("embeddings.token_embedding.weight", [vocabSize, D], { kind: "normal", std: 0.5 });
  const positionTable = g.weight("embeddings.position_embedding.weight", [maxLength, D], { kind: "normal", std: 0.2 });
  const tokens = g.op("Gather", [tokenTable, inputIds], { axis: 0 });
  const spliced = spliceSubjectEmbedding(g, tokens, ctx, ctxBeginPos);
  const length = g.op("Shape", [spliced], { start: 1, end: 2 });
  const positions = g.op("Slice", [positionTable, g.constantInt64([0]), length, g.constantInt64([0])]);
  let h = g.op("Add", [spliced, positions]);

  const maskTable = g.constantFloat(causalMaskTable(maxLength), [maxLength, maxLength], "causal_mask");
  const squareEnd = g.op("Concat", [length, length], { axis: 0 });
  const causalMask = g.op("Slice", [maskTable, g.constantInt64([0, 0]), squareEnd, g.constantInt64([0, 1])]);

  for (let layer = 0; layer < layers; layer++) {
    g.scope(`encoder.layers.${layer}`, () => {
      const attended = attention(g, "self_attn", {
        query: layerNorm(g, h, D, "layer_norm1"),
        queryDim: D,
        heads,
        qkvBias: true,
        additiveMask: causalMask,
        outStd: 0.5 / Math.sqrt(D),
      });
      h = g.op("Add", [h, attended.output]);
      const hidden = quickGelu(g, linear(g, layerNorm(g, h, D, "layer_norm2"), D, intermediate, "mlp.fc1"));
      h = g.op("Add", [h, linear(g, hidden, intermediate, D, "mlp.fc2", { std: 0.5 / Math.sqrt(intermediate) })]);
    });
  }
  g.output(layerNorm(g, h, D, "final_layer_norm"), "last_hidden_state", "float32", ["B", "L+C", D]);
  return g;
}

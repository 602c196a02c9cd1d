import {
  attention,
  conv2d,
  featureMapToTokens,
  gelu,
  GraphBuilder,
  layerNorm,
  linear,
  quickGelu,
  type Value,
} from "@infix/engine/runtime";
import type { TinyPackConfig } from "./config.ts";

/**
 * qformer.onnx: diffusers' BLIP-Diffusion `Blip2QFormerModel` at toy size — a BLIP-2 ViT
 * image encoder, then the Q-Former (Li et al. 2023, BLIP-2 §3.1): learned query tokens with
 * the subject text's embeddings after them, BERT-style post-LN layers whose self-attention
 * spans queries and text (padding masked), cross-attention from the queries to the image
 * features, separate feed-forwards for query and text positions; then `proj_layer` on the
 * query outputs → ctx_embeddings [B, Q, D].
 */

const BERT_EPS = 1e-12;
/** BERT's extended attention mask value for padding. */
const PADDING_MASK = -10000;

/** BLIP-2 vision encoder: patch conv, class token, position embeddings, pre-LN blocks, post-LN. → [B, 1 + patches, width]. */
function visionEncoder(g: GraphBuilder, config: TinyPackConfig, pixels: Value, batch: Value): Value {
  const { imageSize, patchSize, width, layers, heads } = config.vision;
  const patches = (imageSize / patchSize) ** 2;
  return g.scope("visual_encoder", () => {
    const patchTokens = featureMapToTokens(
      g,
      conv2d(g, pixels, 3, width, patchSize, "embeddings.patch_embedding", { stride: patchSize, padding: 0 }),
    );
    const classToken = g.weight("embeddings.class_embedding", [1, 1, width], { kind: "normal", std: 1 });
    const classTokens = g.op("Expand", [classToken, g.op("Concat", [batch, g.constantInt64([1, width])], { axis: 0 })]);
    const positions = g.weight("embeddings.position_embedding", [1, 1 + patches, width], { kind: "normal", std: 0.2 });
    let h = g.op("Add", [g.op("Concat", [classTokens, patchTokens], { axis: 1 }), positions]);
    for (let layer = 0; layer < layers; layer++) {
      g.scope(`encoder.layers.${layer}`, () => {
        const attended = attention(g, "self_attn", {
          query: layerNorm(g, h, width, "layer_norm1"),
          queryDim: width,
          heads,
          qkvBias: true,
          outStd: 0.5 / Math.sqrt(width),
        });
        h = g.op("Add", [h, attended.output]);
        const hidden = gelu(g, linear(g, layerNorm(g, h, width, "layer_norm2"), width, width * 4, "mlp.fc1"));
        h = g.op("Add", [h, linear(g, hidden, width * 4, width, "mlp.fc2", { std: 0.5 / Math.sqrt(width * 4) })]);
      });
    }
    return layerNorm(g, h, width, "post_layernorm");
  });
}

/** BERT feed-forward with post-LN: LN(x + W2·GELU(W1·x)). */
function bertFeedForward(g: GraphBuilder, x: Value, dim: number, intermediate: number, name: string): Value {
  return g.scope(name, () => {
    const hidden = gelu(g, linear(g, x, dim, intermediate, "intermediate.dense"));
    return layerNorm(
      g,
      g.op("Add", [x, linear(g, hidden, intermediate, dim, "output.dense")]),
      dim,
      "output.LayerNorm",
      BERT_EPS,
    );
  });
}

/** Builds qformer.onnx for a BERT vocabulary of `vocabSize` tokens. */
export function buildQformerGraph(config: TinyPackConfig, vocabSize: number): GraphBuilder {
  const g = new GraphBuilder("qformer", config.seed ^ 0x9f0);
  const D = config.textHiddenSize;
  const Q = config.numQueryTokens;
  const S = config.vision.imageSize;
  const { layers, heads, intermediate, maxTextPositions } = config.qformer;
  const pixels = g.input("pixel_values", "float32", ["B", 3, S, S]);
  const inputIds = g.input("input_ids", "int64", ["B", "T"]);
  const attentionMask = g.input("attention_mask", "int64", ["B", "T"]);
  const batch = g.op("Shape", [inputIds], { start: 0, end: 1 });

  const imageFeatures = visionEncoder(g, config, pixels, batch);

  // Embeddings: [query tokens; word + position embeddings of the text], then LayerNorm.
  const embeddings = g.scope("embeddings", () => {
    const words = g.op(
      "Gather",
      [g.weight("word_embeddings.weight", [vocabSize, D], { kind: "normal", std: 0.5 }), inputIds],
      { axis: 0 },
    );
    const textLength = g.op("Shape", [inputIds], { start: 1, end: 2 });
    const positionTable = g.weight("position_embeddings.weight", [maxTextPositions, D], { kind: "normal", std: 0.2 });
    const positions = g.op("Slice", [positionTable, g.constantInt64([0]), textLength, g.constantInt64([0])]);
    const queries = g.op("Expand", [
      g.weight("query_tokens", [1, Q, D], { kind: "normal", std: 1 }),
      g.op("Concat", [batch, g.constantInt64([Q, D])], { axis: 0 }),
    ]);
    return layerNorm(
      g,
      g.op("Concat", [queries, g.op("Add", [words, positions])], { axis: 1 }),
      D,
      "LayerNorm",
      BERT_EPS,
    );
  });

  // Queries are always visible; text padding is hidden from every position: [B, 1, 1, Q+T].
  const queryVisible = g.op("Expand", [
    g.constantFloat(new Float32Array(Q).fill(1), [1, Q], "query_mask"),
    g.op("Concat", [batch, g.constantInt64([Q])], { axis: 0 }),
  ]);
  const visible = g.op("Concat", [queryVisible, g.op("Cast", [attentionMask], { to: 1 })], { axis: 1 });
  const hiddenness = g.op("Mul", [g.op("Sub", [g.scalar(1), visible]), g.scalar(PADDING_MASK)]);
  const additiveMask = g.op("Unsqueeze", [hiddenness, g.constantInt64([1, 2])]);

  const queryEnd = g.constantInt64([Q]);
  const seqAxis = g.constantInt64([1]);
  let h = embeddings;
  for (let layer = 0; layer < layers; layer++) {
    g.scope(`encoder.layer.${layer}`, () => {
      const selfAttention = attention(g, "attention", { query: h, queryDim: D, heads, qkvBias: true, additiveMask });
      h = layerNorm(g, g.op("Add", [h, selfAttention.output]), D, "attention.output.LayerNorm", BERT_EPS);
      let queries = g.op("Slice", [h, g.constantInt64([0]), queryEnd, seqAxis]);
      const text = g.op("Slice", [h, queryEnd, g.constantInt64([2 ** 62]), seqAxis]);
      const cross = attention(g, "crossattention", {
        query: queries,
        queryDim: D,
        keyValue: imageFeatures,
        keyValueDim: config.vision.width,
        heads,
        qkvBias: true,
      });
      queries = layerNorm(g, g.op("Add", [queries, cross.output]), D, "crossattention.output.LayerNorm", BERT_EPS);
      queries = bertFeedForward(g, queries, D, intermediate, "query_ffn");
      const textOut = bertFeedForward(g, text, D, intermediate, "text_ffn");
      h = g.op("Concat", [queries, textOut], { axis: 1 });
    });
  }

  // proj_layer (diffusers blip_diffusion ProjLayer): x + W2·QuickGELU(W1·LN(x)) on the query outputs.
  const queryOutputs = g.op("Slice", [h, g.constantInt64([0]), queryEnd, seqAxis]);
  const projected = g.scope("proj_layer", () => {
    const hidden = quickGelu(g, linear(g, layerNorm(g, queryOutputs, D, "LayerNorm", BERT_EPS), D, D * 4, "dense1"));
    return g.op("Add", [queryOutputs, linear(g, hidden, D * 4, D, "dense2", { std: 0.5 / Math.sqrt(D * 4) })]);
  });
  g.output(projected, "ctx_embeddings", "float32", ["B", Q, D]);
  return g;
}

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
import type { ImportWeightSource } from "./checkpoint-weights.ts";
import type { ConfigReader } from "./config-fields.ts";

/**
 * qformer.onnx from BLIP-Diffusion's `Blip2QFormerModel` checkpoint (diffusers
 * pipelines/blip_diffusion/modeling_blip2.py, which reuses transformers 4.35's BLIP-2 layers):
 * the BLIP-2 ViT (`visual_encoder`: bias-free patch conv, class token, positions, pre_layernorm,
 * pre-LN layers with a fused `qkv` projection, post_layernorm), then the Q-Former: [query tokens;
 * word + position embeddings] → LayerNorm, post-LN BERT layers whose self-attention spans queries
 * and text (padding −10000), cross-attention from the queries to the image every
 * `cross_attention_frequency` layers, `intermediate_query`/`output_query` for query positions and
 * `intermediate`/`output` for text; then `proj_layer` (x + dense2(QuickGELU(dense1(LN(x)))), eps
 * 1e-12) on the query outputs.
 */

type Activation = "gelu" | "quick_gelu";

export interface QformerConfig {
  readonly numQueryTokens: number;
  readonly vision: {
    readonly hiddenSize: number;
    readonly intermediateSize: number;
    readonly layers: number;
    readonly heads: number;
    readonly imageSize: number;
    readonly patchSize: number;
    readonly activation: Activation;
    readonly layerNormEps: number;
  };
  readonly qformer: {
    readonly hiddenSize: number;
    readonly intermediateSize: number;
    readonly layers: number;
    readonly heads: number;
    readonly vocabSize: number;
    readonly maxPositions: number;
    readonly activation: Activation;
    readonly layerNormEps: number;
    readonly crossAttentionFrequency: number;
  };
}

function activationOf(config: ConfigReader, fallback: Activation): Activation {
  config.require("hidden_act", ["gelu", "quick_gelu"], fallback);
  return config.string("hidden_act", fallback) as Activation;
}

/** Reads qformer/config.json (transformers `Blip2Config`; omitted fields take Blip2VisionConfig's / Blip2QFormerConfig's defaults). */
export function readQformerConfig(config: ConfigReader): QformerConfig {
  const vision = config.child("vision_config");
  const qformer = config.child("qformer_config");
  vision.require("qkv_bias", [true], true);
  qformer.require("position_embedding_type", ["absolute"], "absolute");
  const visionHidden = vision.integer("hidden_size", 1408);
  // Blip2Config overwrites the Q-Former's encoder_hidden_size with the vision width.
  if (qformer.has("encoder_hidden_size") && qformer.integer("encoder_hidden_size") !== visionHidden) {
    qformer.require("encoder_hidden_size", [visionHidden]);
  }
  for (const [part, width, fallbackWidth, fallbackHeads] of [
    [vision, "hidden_size", 1408, 16],
    [qformer, "hidden_size", 768, 12],
  ] as const) {
    const heads = part.integer("num_attention_heads", fallbackHeads);
    if (heads === 0 || part.integer(width, fallbackWidth) % heads !== 0) {
      part.require("num_attention_heads", [`a divisor of ${width} ${part.integer(width, fallbackWidth)}`], heads);
    }
  }
  const imageSize = vision.integer("image_size", 224);
  const patchSize = vision.integer("patch_size", 14);
  if (imageSize % patchSize !== 0) vision.require("patch_size", [`a divisor of image_size ${imageSize}`]);
  return {
    numQueryTokens: config.integer("num_query_tokens", 32),
    vision: {
      hiddenSize: visionHidden,
      intermediateSize: vision.integer("intermediate_size", 6144),
      layers: vision.integer("num_hidden_layers", 39),
      heads: vision.integer("num_attention_heads", 16),
      imageSize,
      patchSize,
      activation: activationOf(vision, "gelu"),
      layerNormEps: vision.number("layer_norm_eps", 1e-6),
    },
    qformer: {
      hiddenSize: qformer.integer("hidden_size", 768),
      intermediateSize: qformer.integer("intermediate_size", 3072),
      layers: qformer.integer("num_hidden_layers", 12),
      heads: qformer.integer("num_attention_heads", 12),
      vocabSize: qformer.integer("vocab_size", 30522),
      maxPositions: qformer.integer("max_position_embeddings", 512),
      activation: activationOf(qformer, "gelu"),
      layerNormEps: qformer.number("layer_norm_eps", 1e-12),
      crossAttentionFrequency: Math.max(1, qformer.integer("cross_attention_frequency", 2)),
    },
  };
}

const PADDING_MASK = -10000;
const PROJ_LAYER_EPS = 1e-12;
const TO_END = 2 ** 62;
const activations = { gelu, quick_gelu: quickGelu } as const;
const BERT_NAMES = { q: "query", k: "key", v: "value", out: "output.dense" } as const;

/** transformers `Blip2Attention`: one fused qkv projection, (q·kᵀ)·scale, softmax, `projection`. x: [B, N, D]. */
function fusedSelfAttention(g: GraphBuilder, x: Value, dim: number, heads: number): Value {
  return g.scope("self_attn", () => {
    const headDim = dim / heads;
    const qkv = linear(g, x, dim, 3 * dim, "qkv");
    // [B, N, 3·D] → [B, N, 3, heads, headDim] → [3, B, heads, N, headDim].
    const split = g.op("Transpose", [g.op("Reshape", [qkv, g.constantInt64([0, 0, 3, heads, headDim])])], {
      perm: [2, 0, 3, 1, 4],
    });
    const [q, k, v] = [0, 1, 2].map((i) => g.op("Gather", [split, g.constantInt64([i], [])], { axis: 0 }));
    const scores = g.op("Mul", [
      g.op("MatMul", [q, g.op("Transpose", [k], { perm: [0, 1, 3, 2] })]),
      g.scalar(headDim ** -0.5),
    ]);
    const context = g.op("MatMul", [g.op("Softmax", [scores], { axis: -1 }), v]);
    const merged = g.op("Reshape", [
      g.op("Transpose", [context], { perm: [0, 2, 1, 3] }),
      g.constantInt64([0, 0, dim]),
    ]);
    return linear(g, merged, dim, dim, "projection");
  });
}

function visionModel(g: GraphBuilder, config: QformerConfig["vision"], pixels: Value, batch: Value): Value {
  const { hiddenSize: width, patchSize, imageSize, layerNormEps: eps } = config;
  const positions = (imageSize / patchSize) ** 2 + 1;
  const normal = { kind: "normal", std: 0 } as const;
  return g.scope("visual_encoder", () => {
    const patches = featureMapToTokens(
      g,
      conv2d(g, pixels, 3, width, patchSize, "embeddings.patch_embedding", {
        stride: patchSize,
        padding: 0,
        bias: false,
      }),
    );
    const classToken = g.op("Expand", [
      g.weight("embeddings.class_embedding", [1, 1, width], normal),
      g.op("Concat", [batch, g.constantInt64([1, width])], { axis: 0 }),
    ]);
    const positionTable = g.weight("embeddings.position_embedding", [1, positions, width], normal);
    let h = g.op("Add", [g.op("Concat", [classToken, patches], { axis: 1 }), positionTable]);
    h = layerNorm(g, h, width, "pre_layernorm", eps);
    const activation = activations[config.activation];
    for (let layer = 0; layer < config.layers; layer++) {
      g.scope(`encoder.layers.${layer}`, () => {
        h = g.op("Add", [h, fusedSelfAttention(g, layerNorm(g, h, width, "layer_norm1", eps), width, config.heads)]);
        const hidden = activation(
          g,
          linear(g, layerNorm(g, h, width, "layer_norm2", eps), width, config.intermediateSize, "mlp.fc1"),
        );
        h = g.op("Add", [h, linear(g, hidden, config.intermediateSize, width, "mlp.fc2")]);
      });
    }
    return layerNorm(g, h, width, "post_layernorm", eps);
  });
}

/** Blip2QFormerIntermediate + Blip2QFormerOutput: LN(x + dense(act(dense(x)))). */
function feedForward(
  g: GraphBuilder,
  config: QformerConfig["qformer"],
  x: Value,
  intermediate: string,
  output: string,
): Value {
  const D = config.hiddenSize;
  const hidden = activations[config.activation](g, linear(g, x, D, config.intermediateSize, `${intermediate}.dense`));
  const sum = g.op("Add", [linear(g, hidden, config.intermediateSize, D, `${output}.dense`), x]);
  return layerNorm(g, sum, D, `${output}.LayerNorm`, config.layerNormEps);
}

/** Builds qformer.onnx from the checkpoint's own tensors. */
export function buildImportedQformer(config: QformerConfig, weights: ImportWeightSource): GraphBuilder {
  const g = new GraphBuilder("qformer", 0, weights);
  weights.ignore("embeddings.position_ids");
  const q = config.qformer;
  const D = q.hiddenSize;
  const Q = config.numQueryTokens;
  const S = config.vision.imageSize;
  const normal = { kind: "normal", std: 0 } as const;
  const pixels = g.input("pixel_values", "float32", ["B", 3, S, S]);
  const inputIds = g.input("input_ids", "int64", ["B", "T"]);
  const attentionMask = g.input("attention_mask", "int64", ["B", "T"]);
  const batch = g.op("Shape", [inputIds], { start: 0, end: 1 });

  const imageFeatures = visionModel(g, config.vision, pixels, batch);

  const embeddings = g.scope("embeddings", () => {
    const words = g.op("Gather", [g.weight("word_embeddings.weight", [q.vocabSize, D], normal), inputIds], { axis: 0 });
    const textLength = g.op("Shape", [inputIds], { start: 1, end: 2 });
    const positionTable = g.weight("position_embeddings.weight", [q.maxPositions, D], normal);
    const positions = g.op("Slice", [positionTable, g.constantInt64([0]), textLength, g.constantInt64([0])]);
    return { words: g.op("Add", [words, positions]) };
  });
  const queries = g.op("Expand", [
    g.weight("query_tokens", [1, Q, D], normal),
    g.op("Concat", [batch, g.constantInt64([Q, D])], { axis: 0 }),
  ]);
  let h = g.scope("embeddings", () =>
    layerNorm(g, g.op("Concat", [queries, embeddings.words], { axis: 1 }), D, "LayerNorm", q.layerNormEps),
  );

  // get_extended_attention_mask: queries always visible, text padding (1 − mask)·−10000, [B, 1, 1, Q+T].
  const queryVisible = g.op("Expand", [
    g.constantFloat(new Float32Array(Q).fill(1), [1, Q], "query_mask"),
    g.op("Concat", [batch, g.constantInt64([Q])], { axis: 0 }),
  ]);
  const visible = g.op("Concat", [queryVisible, g.op("Cast", [attentionMask], { to: 1 })], { axis: 1 });
  const additiveMask = g.op("Unsqueeze", [
    g.op("Mul", [g.op("Sub", [g.scalar(1), visible]), g.scalar(PADDING_MASK)]),
    g.constantInt64([1, 2]),
  ]);

  const queryEnd = g.constantInt64([Q]);
  const seqAxis = g.constantInt64([1]);
  for (let layer = 0; layer < q.layers; layer++) {
    g.scope(`encoder.layer.${layer}`, () => {
      const selfAttention = attention(g, "attention", {
        query: h,
        queryDim: D,
        heads: q.heads,
        qkvBias: true,
        additiveMask,
        projectionNames: { ...BERT_NAMES, q: "attention.query", k: "attention.key", v: "attention.value" },
      });
      h = layerNorm(g, g.op("Add", [selfAttention.output, h]), D, "attention.output.LayerNorm", q.layerNormEps);
      let queryStates = g.op("Slice", [h, g.constantInt64([0]), queryEnd, seqAxis]);
      const textStates = g.op("Slice", [h, queryEnd, g.constantInt64([TO_END]), seqAxis]);
      if (layer % q.crossAttentionFrequency === 0) {
        const cross = attention(g, "crossattention", {
          query: queryStates,
          queryDim: D,
          keyValue: imageFeatures,
          keyValueDim: config.vision.hiddenSize,
          heads: q.heads,
          qkvBias: true,
          projectionNames: { ...BERT_NAMES, q: "attention.query", k: "attention.key", v: "attention.value" },
        });
        queryStates = layerNorm(
          g,
          g.op("Add", [cross.output, queryStates]),
          D,
          "crossattention.output.LayerNorm",
          q.layerNormEps,
        );
      }
      queryStates = feedForward(g, q, queryStates, "intermediate_query", "output_query");
      const textOut = feedForward(g, q, textStates, "intermediate", "output");
      h = g.op("Concat", [queryStates, textOut], { axis: 1 });
    });
  }

  const queryOutputs = g.op("Slice", [h, g.constantInt64([0]), queryEnd, seqAxis]);
  const projected = g.scope("proj_layer", () => {
    const hidden = quickGelu(
      g,
      linear(g, layerNorm(g, queryOutputs, D, "LayerNorm", PROJ_LAYER_EPS), D, D * 4, "dense1"),
    );
    return g.op("Add", [linear(g, hidden, D * 4, D, "dense2"), queryOutputs]);
  });
  g.output(projected, "ctx_embeddings", "float32", ["B", Q, D]);
  return g;
}

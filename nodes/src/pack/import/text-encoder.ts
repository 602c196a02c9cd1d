import { attention, gelu, GraphBuilder, layerNorm, linear, quickGelu, type Value } from "@infix/engine/runtime";
import type { ImportWeightSource } from "./checkpoint-weights.ts";
import type { ConfigReader } from "./config-fields.ts";

/**
 * text_encoder.onnx from a BLIP-Diffusion `ContextCLIPTextModel` checkpoint (diffusers
 * pipelines/blip_diffusion/modeling_ctx_clip.py): CLIP token embeddings with the subject
 * embedding spliced before `ctx_begin_pos`, position embeddings over the longer sequence,
 * CLIP's causal mask, pre-LN encoder layers (transformers `CLIPEncoderLayer`) and a final
 * LayerNorm whose eps is torch's default 1e-5 (the class builds it without the config's eps).
 */

export interface TextEncoderConfig {
  readonly hiddenSize: number;
  readonly layers: number;
  readonly heads: number;
  readonly intermediateSize: number;
  readonly vocabSize: number;
  readonly maxPositions: number;
  readonly layerNormEps: number;
  readonly activation: "quick_gelu" | "gelu";
}

/** Reads text_encoder/config.json (transformers `CLIPTextConfig`; omitted fields take that class's defaults). */
export function readTextEncoderConfig(config: ConfigReader): TextEncoderConfig {
  config.require("architectures", [["ContextCLIPTextModel"], ["CLIPTextModel"]], ["ContextCLIPTextModel"]);
  const activation = config.string("hidden_act", "quick_gelu");
  if (activation !== "quick_gelu" && activation !== "gelu") config.require("hidden_act", ["quick_gelu", "gelu"]);
  const hiddenSize = config.integer("hidden_size", 512);
  const heads = config.integer("num_attention_heads", 8);
  if (hiddenSize % heads !== 0) config.require("num_attention_heads", [`a divisor of hidden_size ${hiddenSize}`]);
  return {
    hiddenSize,
    heads,
    layers: config.integer("num_hidden_layers", 12),
    intermediateSize: config.integer("intermediate_size", 2048),
    vocabSize: config.integer("vocab_size", 49408),
    maxPositions: config.integer("max_position_embeddings", 77),
    layerNormEps: config.number("layer_norm_eps", 1e-5),
    activation: activation as TextEncoderConfig["activation"],
  };
}

/** torch.finfo(float32).min, the value CLIP's causal mask adds above the diagonal. */
const FLOAT32_MIN = -3.4028234663852886e38;
const TO_END = 2 ** 62;

function causalMaskTable(max: number): Float32Array {
  const table = new Float32Array(max * max);
  for (let row = 0; row < max; row++) for (let col = row + 1; col < max; col++) table[row * max + col] = FLOAT32_MIN;
  return table;
}

/** Builds text_encoder.onnx; parameters come from `weights` under the names transformers gives them (without `text_model.`). */
export function buildImportedTextEncoder(config: TextEncoderConfig, weights: ImportWeightSource): GraphBuilder {
  const g = new GraphBuilder("text_encoder", 0, weights);
  const D = config.hiddenSize;
  const maxLength = config.maxPositions;
  weights.ignore("embeddings.position_ids");
  const inputIds = g.input("input_ids", "int64", ["B", "L"]);
  const ctx = g.input("ctx_embeddings", "float32", ["B", "C", D]);
  const ctxBeginPos = g.input("ctx_begin_pos", "int64", [1]);
  const normal = { kind: "normal", std: 0 } as const;

  const tokenTable = g.weight("embeddings.token_embedding.weight", [config.vocabSize, D], normal);
  const positionTable = g.weight("embeddings.position_embedding.weight", [maxLength, D], normal);
  const tokens = g.op("Gather", [tokenTable, inputIds], { axis: 0 });
  const axis = g.constantInt64([1]);
  const spliced = g.op(
    "Concat",
    [
      g.op("Slice", [tokens, g.constantInt64([0]), ctxBeginPos, axis]),
      ctx,
      g.op("Slice", [tokens, ctxBeginPos, g.constantInt64([TO_END]), axis]),
    ],
    { axis: 1 },
  );
  const length = g.op("Shape", [spliced], { start: 1, end: 2 });
  const positions = g.op("Slice", [positionTable, g.constantInt64([0]), length, g.constantInt64([0])]);
  let h: Value = g.op("Add", [spliced, positions]);

  const maskTable = g.constantFloat(causalMaskTable(maxLength), [maxLength, maxLength], "causal_mask");
  const causalMask = g.op("Slice", [
    maskTable,
    g.constantInt64([0, 0]),
    g.op("Concat", [length, length], { axis: 0 }),
    g.constantInt64([0, 1]),
  ]);
  const activation = config.activation === "quick_gelu" ? quickGelu : gelu;

  for (let layer = 0; layer < config.layers; layer++) {
    g.scope(`encoder.layers.${layer}`, () => {
      const attended = attention(g, "self_attn", {
        query: layerNorm(g, h, D, "layer_norm1", config.layerNormEps),
        queryDim: D,
        heads: config.heads,
        qkvBias: true,
        additiveMask: causalMask,
        projectionNames: { q: "q_proj", k: "k_proj", v: "v_proj", out: "out_proj" },
        scaleQuery: true,
      });
      h = g.op("Add", [h, attended.output]);
      const normed = layerNorm(g, h, D, "layer_norm2", config.layerNormEps);
      const hidden = activation(g, linear(g, normed, D, config.intermediateSize, "mlp.fc1"));
      h = g.op("Add", [h, linear(g, hidden, config.intermediateSize, D, "mlp.fc2")]);
    });
  }
  g.output(layerNorm(g, h, D, "final_layer_norm", 1e-5), "last_hidden_state", "float32", ["B", "L+C", D]);
  return g;
}

import { conv2d, GraphBuilder, silu, type Value } from "@infix/engine/runtime";
import { scaledDim } from "../tiny/unet-blocks.ts";
import type { ImportWeightSource } from "./checkpoint-weights.ts";
import type { ConfigReader } from "./config-fields.ts";
import { importedDownAndMid, importedTimeEmbedding, type ImportUnetContext } from "./unet-blocks.ts";
import { readUnetConfig, unetResidualShapes, type UnetConfig } from "./unet-config.ts";

/**
 * controlnet/<name>.onnx from a diffusers `ControlNetModel` checkpoint: the condition image
 * through `ControlNetConditioningEmbedding` (conv_in → SiLU, [conv → SiLU, stride-2 conv → SiLU]
 * per stage, conv_out) added after conv_in, the UNet's down and mid blocks, a 1×1 conv per
 * residual (`controlnet_down_blocks`, `controlnet_mid_block`), each × `conditioning_scale`.
 */

export interface ControlnetConfig extends UnetConfig {
  readonly conditioningChannels: readonly number[];
}

export function readControlnetConfig(config: ConfigReader): ControlnetConfig {
  return {
    ...readUnetConfig(config, "controlnet"),
    conditioningChannels: config.has("conditioning_embedding_out_channels")
      ? config.integers("conditioning_embedding_out_channels")
      : [16, 32, 96, 256],
  };
}

function conditioningEmbedding(g: GraphBuilder, config: ControlnetConfig, condition: Value): Value {
  const widths = config.conditioningChannels;
  return g.scope("controlnet_cond_embedding", () => {
    let h = silu(g, conv2d(g, condition, 3, widths[0], 3, "conv_in"));
    for (let stage = 0; stage < widths.length - 1; stage++) {
      h = silu(g, conv2d(g, h, widths[stage], widths[stage], 3, `blocks.${stage * 2}`));
      h = silu(g, conv2d(g, h, widths[stage], widths[stage + 1], 3, `blocks.${stage * 2 + 1}`, { stride: 2 }));
    }
    return conv2d(g, h, widths[widths.length - 1], config.blockOutChannels[0], 3, "conv_out");
  });
}

/** Checks that a ControlNet fits the pack's UNet: same residual channels and downscales. */
export function assertControlnetFitsUnet(name: string, controlnet: UnetConfig, unet: UnetConfig): void {
  const ours = JSON.stringify(unetResidualShapes(controlnet));
  const theirs = JSON.stringify(unetResidualShapes(unet));
  if (ours !== theirs) throw new Error(`ControlNet ${name}: its residuals ${ours} do not fit the UNet's ${theirs}`);
  if (controlnet.crossAttentionDim !== unet.crossAttentionDim) {
    throw new Error(
      `ControlNet ${name}: cross_attention_dim ${controlnet.crossAttentionDim} ≠ the UNet's ${unet.crossAttentionDim}`,
    );
  }
}

export function buildImportedControlnet(
  config: ControlnetConfig,
  weights: ImportWeightSource,
  textLength: number,
): GraphBuilder {
  const g = new GraphBuilder("controlnet", 0, weights);
  const sample = g.input("sample", "float32", ["B", config.inChannels, "h", "w"]);
  const timestep = g.input("timestep", "float32", ["B"]);
  const textStates = g.input("encoder_hidden_states", "float32", ["B", textLength, config.crossAttentionDim]);
  const condition = g.input("controlnet_cond", "float32", ["B", 3, "H", "W"]);
  const scale = g.input("conditioning_scale", "float32", [1]);
  const ctx: ImportUnetContext = {
    g,
    config,
    timeEmbedding: importedTimeEmbedding(g, config, timestep),
    textStates,
    hooks: {},
  };
  const encoder = importedDownAndMid(ctx, sample, conditioningEmbedding(g, config, condition));
  const shapes = unetResidualShapes(config);
  const sources = [...encoder.skips.map((s) => s.value), encoder.mid];
  shapes.forEach((shape, i) => {
    const convName = shape.mid ? "controlnet_mid_block" : `controlnet_down_blocks.${i}`;
    const projected = conv2d(g, sources[i], shape.channels, shape.channels, 1, convName);
    g.output(
      g.op("Mul", [projected, scale]),
      shape.mid ? "mid_block_res_sample" : `down_block_res_sample_${i}`,
      "float32",
      ["B", shape.channels, scaledDim("h", shape.downscale), scaledDim("w", shape.downscale)],
    );
  });
  return g;
}

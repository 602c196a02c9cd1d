import { conv2d, GraphBuilder, groupNorm, resizeNearestTo, silu, type Value } from "@infix/engine/runtime";
import { controlHooks, declareControlInputs } from "../tiny/unet-graph.ts";
import type { AttentionHooks } from "../tiny/unet-blocks.ts";
import { scaledDim } from "../tiny/unet-blocks.ts";
import type { ImportWeightSource } from "./checkpoint-weights.ts";
import {
  importedDownAndMid,
  importedResnet,
  importedTimeEmbedding,
  importedTransformer,
  type ImportedSkip,
  type ImportUnetContext,
} from "./unet-blocks.ts";
import { unetResidualShapes, type UnetConfig } from "./unet-config.ts";

/**
 * unet.onnx from a diffusers `UNet2DConditionModel` checkpoint, with the pack contract's
 * ControlNet residual inputs (added to every skip and to the mid output, as diffusers does) and
 * prompt-to-prompt attention control; `cross_attn_lowres` averages the cross-attention maps
 * (heads, then layers) at 1/4 of the latent size (MODEL_PACK.md "Attention control").
 */

export interface ImportedUnetOptions {
  readonly textLength: number;
  readonly selfAttnMaxTokens: number;
}

/** The level whose cross-attention maps make `cross_attn_lowres`: downscale 4. */
const LOWRES_LEVEL = 2;

export function buildImportedUnet(
  config: UnetConfig,
  weights: ImportWeightSource,
  options: ImportedUnetOptions,
): GraphBuilder {
  const g = new GraphBuilder("unet", 0, weights);
  const { textLength } = options;
  const channels = config.blockOutChannels;
  const last = channels.length - 1;
  if (last < LOWRES_LEVEL || !config.crossAttentionBlocks[LOWRES_LEVEL]) {
    throw new Error(
      "unet/config.json: attention control needs cross-attention at 1/4 of the latent size (down_block_types[2] = CrossAttnDownBlock2D)",
    );
  }
  const sample = g.input("sample", "float32", ["B", config.inChannels, "h", "w"]);
  const timestep = g.input("timestep", "float32", ["B"]);
  const textStates = g.input("encoder_hidden_states", "float32", ["B", textLength, config.crossAttentionDim]);
  const shapes = unetResidualShapes(config);
  const residualInputs = shapes.map((shape, i) =>
    g.input(shape.mid ? "mid_block_additional_residual" : `down_block_additional_residual_${i}`, "float32", [
      "B",
      shape.channels,
      scaledDim("h", shape.downscale),
      scaledDim("w", shape.downscale),
    ]),
  );
  const controls = declareControlInputs(g, textLength);
  const lowresMaps: Value[] = [];
  const hooks: AttentionHooks = {
    ...controlHooks(g, controls, options.selfAttnMaxTokens),
    onCross: (level, probabilities) => {
      if (level === LOWRES_LEVEL) lowresMaps.push(g.op("ReduceMean", [probabilities], { axes: [1], keepdims: 0 }));
    },
  };
  const ctx: ImportUnetContext = {
    g,
    config,
    timeEmbedding: importedTimeEmbedding(g, config, timestep),
    textStates,
    hooks,
  };
  const encoder = importedDownAndMid(ctx, sample);
  const skips: ImportedSkip[] = encoder.skips.map((skip, i) => ({
    ...skip,
    value: g.op("Add", [skip.value, residualInputs[i]]),
  }));
  let h = g.op("Add", [encoder.mid, residualInputs[residualInputs.length - 1]]);

  let current = encoder.midChannels;
  for (let upIndex = 0; upIndex <= last; upIndex++) {
    const level = last - upIndex;
    g.scope(`up_blocks.${upIndex}`, () => {
      for (let layer = 0; layer <= config.layersPerBlock; layer++) {
        const skip = skips.pop();
        if (!skip) throw new Error("unet: the up path ran out of skip connections");
        h = g.op("Concat", [h, skip.value], { axis: 1 });
        h = importedResnet(ctx, h, current + skip.channels, channels[level], `resnets.${layer}`);
        current = channels[level];
        if (config.crossAttentionBlocks[level]) {
          h = importedTransformer(ctx, h, current, level, config.heads[level], `attentions.${layer}`);
        }
      }
      if (level > 0) {
        // Upsample2D to the next skip's size (diffusers' `upsample_size`), then a 3×3 conv.
        h = conv2d(g, resizeNearestTo(g, h, skips[skips.length - 1].value), current, current, 3, "upsamplers.0.conv");
      }
    });
  }
  h = silu(g, groupNorm(g, h, current, config.normGroups, "conv_norm_out", config.normEps));
  g.output(conv2d(g, h, current, config.outChannels, 3, "conv_out"), "out_sample", "float32", [
    "B",
    config.outChannels,
    "h",
    "w",
  ]);

  let lowres = lowresMaps[0];
  for (const map of lowresMaps.slice(1)) lowres = g.op("Add", [lowres, map]);
  lowres = g.op("Mul", [lowres, g.scalar(1 / lowresMaps.length)]);
  g.output(lowres, "cross_attn_lowres", "float32", ["B", "ceil(h/4)*ceil(w/4)", textLength]);
  return g;
}

import { conv2d, GraphBuilder, silu, type Value } from "@infix/engine/runtime";
import type { TinyPackConfig } from "./config.ts";
import { buildDownAndMid, buildTimeEmbedding, residualShapes, scaledDim, type UnetContext } from "./unet-blocks.ts";

/**
 * controlnet/<name>.onnx: diffusers `ControlNetModel` at toy size. The condition image is
 * embedded by `ControlNetConditioningEmbedding` (conv → SiLU, then three [conv, stride-2
 * conv] stages with SiLU, then conv_out) from H×W down to the latent h×w and added after
 * conv_in; the UNet's down and mid blocks follow; a 1×1 "zero conv" per residual. Real
 * ControlNets start those convs at zero; here they are small and seeded so the control has an
 * effect. Every output is multiplied by `conditioning_scale`.
 */

function conditioningEmbedding(g: GraphBuilder, config: TinyPackConfig, condition: Value): Value {
  const widths = config.controlnetConditioningChannels;
  return g.scope("controlnet_cond_embedding", () => {
    let h = silu(g, conv2d(g, condition, 3, widths[0], 3, "conv_in"));
    for (let stage = 0; stage < 3; stage++) {
      h = silu(g, conv2d(g, h, widths[stage], widths[stage], 3, `blocks.${stage * 2}`));
      h = silu(g, conv2d(g, h, widths[stage], widths[stage + 1], 3, `blocks.${stage * 2 + 1}`, { stride: 2 }));
    }
    return conv2d(g, h, widths[3], config.unet.channels[0], 3, "conv_out", { std: 0.1 / Math.sqrt(widths[3] * 9) });
  });
}

/** Builds a ControlNet graph; `seedSalt` tells apart ControlNets of one pack. */
export function buildControlnetGraph(config: TinyPackConfig, seedSalt = 0xc0): GraphBuilder {
  const g = new GraphBuilder("controlnet", config.seed ^ seedSalt);
  const sample = g.input("sample", "float32", ["B", 4, "h", "w"]);
  const timestep = g.input("timestep", "float32", ["B"]);
  const textStates = g.input("encoder_hidden_states", "float32", ["B", config.textMaxLength, config.textHiddenSize]);
  const condition = g.input("controlnet_cond", "float32", ["B", 3, "H", "W"]);
  const scale = g.input("conditioning_scale", "float32", [1]);

  const ctx: UnetContext = { g, config, timeEmbedding: buildTimeEmbedding(g, config, timestep), textStates, hooks: {} };
  const encoder = buildDownAndMid(ctx, sample, conditioningEmbedding(g, config, condition));
  const shapes = residualShapes(config);
  const sources = [...encoder.skips.map((s) => s.value), encoder.mid];
  shapes.forEach((shape, i) => {
    const zeroConvName = shape.mid ? "controlnet_mid_block" : `controlnet_down_blocks.${i}`;
    const projected = conv2d(g, sources[i], shape.channels, shape.channels, 1, zeroConvName, {
      std: 0.05 / Math.sqrt(shape.channels),
    });
    const name = shape.mid ? "mid_block_res_sample" : `down_block_res_sample_${i}`;
    g.output(g.op("Mul", [projected, scale]), name, "float32", [
      "B",
      shape.channels,
      scaledDim("h", shape.downscale),
      scaledDim("w", shape.downscale),
    ]);
  });
  return g;
}

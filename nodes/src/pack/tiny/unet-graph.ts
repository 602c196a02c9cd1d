import { conv2d, dimOf, GraphBuilder, groupNorm, resizeNearestTo, silu, type Value } from "@infix/engine/runtime";
import type { TinyPackConfig } from "./config.ts";
import {
  ATTENTION_LEVELS,
  buildDownAndMid,
  buildTimeEmbedding,
  residualShapes,
  resnetBlock,
  scaledDim,
  transformer2d,
  type AttentionHooks,
  type SkipTensor,
  type UnetContext,
} from "./unet-blocks.ts";

/**
 * unet.onnx: an SD-1.5-style `UNet2DConditionModel` at toy size, with ControlNet residual
 * inputs and prompt-to-prompt attention control exactly as MODEL_PACK.md specifies.
 */

export interface UnetGraphOptions {
  /** Without it the graph has no control inputs (a test reference); the pack's UNet always has them. */
  readonly attentionControl?: boolean;
}

/** The 1/4-resolution level whose cross-attention maps `cross_attn_lowres` averages. */
const LOWRES_LEVEL = 2;

interface ControlInputs {
  readonly crossBase: Value;
  /** cross_attn_map as [B, 1, 77, 77], broadcast over heads. */
  readonly crossMap: Value;
  /** cross_attn_keep as [B, 1, 1, 77]. */
  readonly crossKeep: Value;
  readonly selfBase: Value;
  /** self_attn_mix as [B, 1, 1, 1]. */
  readonly selfMix: Value;
}

export function declareControlInputs(g: GraphBuilder, textLength: number): ControlInputs {
  const crossBase = g.input("cross_attn_base", "int64", ["B"]);
  const crossMap = g.input("cross_attn_map", "float32", ["B", textLength, textLength]);
  const crossKeep = g.input("cross_attn_keep", "float32", ["B", textLength]);
  const selfBase = g.input("self_attn_base", "int64", ["B"]);
  const selfMix = g.input("self_attn_mix", "float32", ["B"]);
  return {
    crossBase,
    crossMap: g.op("Unsqueeze", [crossMap, g.constantInt64([1])]),
    crossKeep: g.op("Unsqueeze", [crossKeep, g.constantInt64([1, 2])]),
    selfBase,
    selfMix: g.op("Unsqueeze", [selfMix, g.constantInt64([1, 2, 3])]),
  };
}

/**
 * The attention-control rewrites of MODEL_PACK.md. Cross: A'_b = A_{base[b]} · map_b + keep_b ⊙ A_b.
 * Self, only where the query count N ≤ selfAttnMaxTokens (compared at run time, so one graph
 * serves every image size): A'_b = A_b + gate·m_b·(A_{base[b]} − A_b) = m·A_s + (1−m)·A_b.
 * With the identity inputs both reduce to A exactly (0 + 1·A, A + 0·(…)).
 */
export function controlHooks(
  g: GraphBuilder,
  controls: ControlInputs,
  selfAttnMaxTokens: number,
): Pick<AttentionHooks, "self" | "cross"> {
  return {
    cross: (probabilities) => {
      const base = g.op("Gather", [probabilities, controls.crossBase], { axis: 0 });
      const mixed = g.op("MatMul", [base, controls.crossMap]);
      return g.op("Add", [mixed, g.op("Mul", [controls.crossKeep, probabilities])]);
    },
    self: (probabilities) => {
      const queryCount = dimOf(g, probabilities, 2);
      const gate = g.op("Cast", [g.op("LessOrEqual", [queryCount, g.constantInt64([selfAttnMaxTokens])])], { to: 1 });
      const base = g.op("Gather", [probabilities, controls.selfBase], { axis: 0 });
      const weight = g.op("Mul", [controls.selfMix, gate]);
      return g.op("Add", [probabilities, g.op("Mul", [weight, g.op("Sub", [base, probabilities])])]);
    },
  };
}

/** Builds unet.onnx (or, with `attentionControl: false`, the same network without the control path). */
export function buildUnetGraph(config: TinyPackConfig, options: UnetGraphOptions = {}): GraphBuilder {
  const withControl = options.attentionControl ?? true;
  const g = new GraphBuilder("unet", config.seed ^ 0x0e7);
  const textLength = config.textMaxLength;
  const sample = g.input("sample", "float32", ["B", 4, "h", "w"]);
  const timestep = g.input("timestep", "float32", ["B"]);
  const textStates = g.input("encoder_hidden_states", "float32", ["B", textLength, config.textHiddenSize]);
  const shapes = residualShapes(config);
  const residualInputs = shapes.map((shape, i) =>
    g.input(shape.mid ? "mid_block_additional_residual" : `down_block_additional_residual_${i}`, "float32", [
      "B",
      shape.channels,
      scaledDim("h", shape.downscale),
      scaledDim("w", shape.downscale),
    ]),
  );
  const controls = withControl ? declareControlInputs(g, textLength) : undefined;

  const lowresMaps: Value[] = [];
  const hooks: AttentionHooks = {
    ...(controls ? controlHooks(g, controls, config.unet.selfAttnMaxTokens) : {}),
    onCross: (level, probabilities) => {
      if (level === LOWRES_LEVEL) lowresMaps.push(g.op("ReduceMean", [probabilities], { axes: [1], keepdims: 0 }));
    },
  };
  const ctx: UnetContext = { g, config, timeEmbedding: buildTimeEmbedding(g, config, timestep), textStates, hooks };

  const encoder = buildDownAndMid(ctx, sample);
  // diffusers adds the ControlNet residuals to every skip and to the mid output.
  const skips: SkipTensor[] = encoder.skips.map((skip, i) => ({
    ...skip,
    value: g.op("Add", [skip.value, residualInputs[i]]),
  }));
  let h = g.op("Add", [encoder.mid, residualInputs[residualInputs.length - 1]]);

  const channels = config.unet.channels;
  let current = encoder.midChannels;
  for (let upIndex = 0; upIndex < 4; upIndex++) {
    const level = 3 - upIndex;
    g.scope(`up_blocks.${upIndex}`, () => {
      for (let layer = 0; layer <= config.unet.layersPerBlock; layer++) {
        const skip = skips.pop();
        if (!skip) throw new Error("unet: the up path ran out of skip connections");
        h = g.op("Concat", [h, skip.value], { axis: 1 });
        h = resnetBlock(ctx, h, current + skip.channels, channels[level], `resnets.${layer}`);
        current = channels[level];
        if (level < ATTENTION_LEVELS) h = transformer2d(ctx, h, current, level, `attentions.${layer}`);
      }
      if (level > 0) {
        // Upsample to the next skip's size (diffusers' `upsample_size`), so odd sizes work.
        const next = skips[skips.length - 1];
        h = conv2d(g, resizeNearestTo(g, h, next.value), current, current, 3, "upsamplers.0.conv");
      }
    });
  }
  const out = conv2d(
    g,
    silu(g, groupNorm(g, h, current, config.unet.groups, "conv_norm_out")),
    current,
    4,
    3,
    "conv_out",
  );
  g.output(out, "out_sample", "float32", ["B", 4, "h", "w"]);

  // Mean over heads (done per layer above), then over the layers at 1/4 resolution.
  let lowres = lowresMaps[0];
  for (const map of lowresMaps.slice(1)) lowres = g.op("Add", [lowres, map]);
  lowres = g.op("Mul", [lowres, g.scalar(1 / lowresMaps.length)]);
  g.output(lowres, "cross_attn_lowres", "float32", ["B", "ceil(h/4)*ceil(w/4)", textLength]);
  return g;
}

import * as ort from "onnxruntime-node";
import { SeededRandom } from "@infix/engine/runtime";
import type { TinyPackConfig } from "./config.ts";
import { residualShapes } from "./unet-blocks.ts";

/** Feeds and helpers for the generated packs' tests and benchmarks. */

export type OrtFeeds = Record<string, ort.Tensor>;

export function randomFloats(dims: readonly number[], seed: number, std = 1): ort.Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor("float32", new SeededRandom(seed).normalArray(count, std), [...dims]);
}

export function filledFloats(dims: readonly number[], value: number): ort.Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor("float32", new Float32Array(count).fill(value), [...dims]);
}

export function int64s(dims: readonly number[], values: readonly number[]): ort.Tensor {
  return new ort.Tensor("int64", BigInt64Array.from(values.map((v) => BigInt(v))), [...dims]);
}

/** The identity attention control of MODEL_PACK.md for batch B. */
export function identityControl(batch: number, textLength = 77): OrtFeeds {
  const rows = Array.from({ length: batch }, (_, b) => b);
  return {
    cross_attn_base: int64s([batch], rows),
    cross_attn_map: filledFloats([batch, textLength, textLength], 0),
    cross_attn_keep: filledFloats([batch, textLength], 1),
    self_attn_base: int64s([batch], rows),
    self_attn_mix: filledFloats([batch], 0),
  };
}

/** Zero ControlNet residuals for a latent of h×w. */
export function zeroResiduals(config: TinyPackConfig, batch: number, h: number, w: number): OrtFeeds {
  const feeds: OrtFeeds = {};
  residualShapes(config).forEach((shape, i) => {
    const name = shape.mid ? "mid_block_additional_residual" : `down_block_additional_residual_${i}`;
    feeds[name] = filledFloats(
      [batch, shape.channels, Math.ceil(h / shape.downscale), Math.ceil(w / shape.downscale)],
      0,
    );
  });
  return feeds;
}

/** sample, timestep and text states for a UNet or ControlNet call. */
export function denoiserInputs(config: TinyPackConfig, batch: number, h: number, w: number, seed = 1): OrtFeeds {
  return {
    sample: randomFloats([batch, 4, h, w], seed),
    timestep: new ort.Tensor(
      "float32",
      Float32Array.from({ length: batch }, (_, b) => 981 - 100 * b + 0.5),
      [batch],
    ),
    encoder_hidden_states: randomFloats([batch, config.textMaxLength, config.textHiddenSize], seed + 1),
  };
}

export function floatsOf(tensor: ort.Tensor): Float32Array {
  return tensor.data as Float32Array;
}

/** Largest absolute element-wise difference. */
export function maxAbsDifference(a: ort.Tensor, b: ort.Tensor): number {
  const x = floatsOf(a);
  const y = floatsOf(b);
  if (x.length !== y.length) throw new Error(`sizes differ: ${x.length} vs ${y.length}`);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  return max;
}

export function allFinite(tensor: ort.Tensor): boolean {
  return floatsOf(tensor).every((v) => Number.isFinite(v));
}

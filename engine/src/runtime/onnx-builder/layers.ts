import { float, type GraphBuilder, type Value } from "./graph-builder.ts";

/**
 * Neural-network layers as ONNX subgraphs. Weights are drawn ≈ N(0, 1/fan_in) (LeCun
 * initialisation) so activations keep unit scale through deep random stacks; callers pass
 * a smaller `std` for output projections that feed a residual.
 */

export interface LinearOptions {
  readonly bias?: boolean;
  /** Weight standard deviation; default 1/√inFeatures. */
  readonly std?: number;
}

/** `x @ W + b` over the last axis; W is stored [in, out] so no transpose is needed. x: [..., in] → [..., out]. */
export function linear(
  g: GraphBuilder,
  x: Value,
  inFeatures: number,
  outFeatures: number,
  name: string,
  options: LinearOptions = {},
): Value {
  return g.scope(name, () => {
    const weight = g.weight(
      "weight",
      [inFeatures, outFeatures],
      { kind: "normal", std: options.std ?? 1 / Math.sqrt(inFeatures) },
      "linear",
    );
    const product = g.op("MatMul", [x, weight]);
    if (options.bias === false) return product;
    const bias = g.weight("bias", [outFeatures], { kind: "normal", std: 0.02 });
    return g.op("Add", [product, bias]);
  });
}

export interface Conv2dOptions {
  readonly stride?: number;
  /** Symmetric padding on every side; default `(kernel - 1) / 2` ("same" for odd kernels). */
  readonly padding?: number;
  readonly std?: number;
  readonly bias?: boolean;
}

/** 2-D convolution. x: [B, inChannels, H, W] → [B, outChannels, H', W']. */
export function conv2d(
  g: GraphBuilder,
  x: Value,
  inChannels: number,
  outChannels: number,
  kernel: number,
  name: string,
  options: Conv2dOptions = {},
): Value {
  return g.scope(name, () => {
    const fanIn = inChannels * kernel * kernel;
    const weight = g.weight("weight", [outChannels, inChannels, kernel, kernel], {
      kind: "normal",
      std: options.std ?? 1 / Math.sqrt(fanIn),
    });
    const inputs = [x, weight];
    if (options.bias !== false) inputs.push(g.weight("bias", [outChannels], { kind: "normal", std: 0.02 }));
    const pad = options.padding ?? (kernel - 1) / 2;
    const stride = options.stride ?? 1;
    return g.op("Conv", inputs, {
      kernel_shape: [kernel, kernel],
      strides: [stride, stride],
      pads: [pad, pad, pad, pad],
    });
  });
}

/** Learned per-channel affine parameters near (1, 0), so a norm's output is not trivially standard. */
function affine(g: GraphBuilder, channels: number, dims: readonly number[]): { scale: Value; shift: Value } {
  return {
    scale: g.weight("weight", dims.length ? dims : [channels], { kind: "normal", mean: 1, std: 0.05 }),
    shift: g.weight("bias", dims.length ? dims : [channels], { kind: "normal", std: 0.02 }),
  };
}

/**
 * Group normalisation (Wu & He 2018) of x: [B, C, H, W]. Written as Reshape to [B, G, -1] →
 * InstanceNormalization (unit scale, zero shift) → Reshape back → per-channel Mul/Add,
 * because onnxruntime's CPU provider does not reliably implement GroupNormalization.
 */
export function groupNorm(
  g: GraphBuilder,
  x: Value,
  channels: number,
  groups: number,
  name: string,
  epsilon = 1e-5,
): Value {
  if (channels % groups !== 0)
    throw new Error(`groupNorm ${name}: ${channels} channels do not split into ${groups} groups`);
  return g.scope(name, () => {
    const grouped = g.op("Reshape", [x, g.constantInt64([0, groups, -1])]);
    const ones = g.constantFloat(new Float32Array(groups).fill(1), [groups], "ones");
    const zeros = g.constantFloat(new Float32Array(groups), [groups], "zeros");
    const normalised = g.op("InstanceNormalization", [grouped, ones, zeros], { epsilon: float(epsilon) });
    const restored = g.op("Reshape", [normalised, g.op("Shape", [x])]);
    const { scale, shift } = affine(g, channels, [channels, 1, 1]);
    return g.op("Add", [g.op("Mul", [restored, scale]), shift]);
  });
}

/** Layer normalisation over the last axis (opset-17 LayerNormalization). x: [..., dim]. */
export function layerNorm(g: GraphBuilder, x: Value, dim: number, name: string, epsilon = 1e-5): Value {
  return g.scope(name, () => {
    const { scale, shift } = affine(g, dim, []);
    return g.op("LayerNormalization", [x, scale, shift], { axis: -1, epsilon: float(epsilon) });
  });
}

/** SiLU / swish: x·σ(x). */
export function silu(g: GraphBuilder, x: Value): Value {
  return g.op("Mul", [x, g.op("Sigmoid", [x])]);
}

/** Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (Hendrycks & Gimpel 2016); opset 17 has no Gelu op. */
export function gelu(g: GraphBuilder, x: Value): Value {
  const erf = g.op("Erf", [g.op("Mul", [x, g.scalar(Math.SQRT1_2)])]);
  return g.op("Mul", [g.op("Mul", [x, g.scalar(0.5)]), g.op("Add", [erf, g.scalar(1)])]);
}

/** CLIP's quick GELU: x·σ(1.702·x) (openai/CLIP model.py QuickGELU). */
export function quickGelu(g: GraphBuilder, x: Value): Value {
  return g.op("Mul", [x, g.op("Sigmoid", [g.op("Mul", [x, g.scalar(1.702)])])]);
}

/** GEGLU feed-forward gate (Shazeer 2020): project to 2·hidden, split, `a · GELU(b)`. x: [..., dim] → [..., hidden]. */
export function geglu(g: GraphBuilder, x: Value, dim: number, hidden: number, name: string): Value {
  const projected = linear(g, x, dim, hidden * 2, name);
  const [value, gate] = g.opMulti("Split", [projected, g.constantInt64([hidden, hidden])], 2, { axis: -1 });
  return g.op("Mul", [value, gelu(g, gate)]);
}

/** [B, C, H, W] → [B, H·W, C], the token layout of attention over a feature map. */
export function featureMapToTokens(g: GraphBuilder, x: Value): Value {
  return g.op("Transpose", [g.op("Reshape", [x, g.constantInt64([0, 0, -1])])], { perm: [0, 2, 1] });
}

/** [B, H·W, C] → [B, C, H, W] with H, W taken from `like` at run time. */
export function tokensToFeatureMap(g: GraphBuilder, tokens: Value, like: Value): Value {
  return g.op("Reshape", [g.op("Transpose", [tokens], { perm: [0, 2, 1] }), g.op("Shape", [like])]);
}

/** The run-time size of one axis of x, as a 1-element int64 tensor. */
export function dimOf(g: GraphBuilder, x: Value, axis: number): Value {
  return g.op("Shape", [x], { start: axis, end: axis + 1 });
}

/**
 * Nearest-neighbour upsampling of x: [B, C, h, w] to the spatial size of `like` (read at run
 * time with Shape), as diffusers' Upsample2D does with `upsample_size` so odd sizes round-trip
 * through stride-2 downsampling. asymmetric + floor is PyTorch's `nearest` index rule.
 */
export function resizeNearestTo(g: GraphBuilder, x: Value, like: Value): Value {
  const sizes = g.op(
    "Concat",
    [g.op("Shape", [x], { start: 0, end: 2 }), g.op("Shape", [like], { start: 2, end: 4 })],
    { axis: 0 },
  );
  return g.op("Resize", [x, null, null, sizes], {
    mode: "nearest",
    coordinate_transformation_mode: "asymmetric",
    nearest_mode: "floor",
  });
}

/** Nearest-neighbour ×2 upsampling of x: [B, C, h, w] → [B, C, 2h, 2w]. */
export function upsampleNearest2x(g: GraphBuilder, x: Value): Value {
  const scales = g.constantFloat([1, 1, 2, 2], [4], "scales");
  return g.op("Resize", [x, null, scales], {
    mode: "nearest",
    coordinate_transformation_mode: "asymmetric",
    nearest_mode: "floor",
  });
}

/**
 * Sinusoidal timestep embedding (diffusers `get_timestep_embedding`): frequencies
 * exp(−ln(10000)·i/(half − freqShift)), i < half, then [sin, cos] or [cos, sin] when
 * `flipSinToCos`. t: [B] float → [B, dim].
 */
export function timestepEmbedding(
  g: GraphBuilder,
  t: Value,
  dim: number,
  options: { flipSinToCos: boolean; freqShift: number },
): Value {
  const half = Math.floor(dim / 2);
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(10000) * i) / (half - options.freqShift));
  const args = g.op("Mul", [
    g.op("Unsqueeze", [t, g.constantInt64([1])]),
    g.constantFloat(freqs, [1, half], "timestep_freqs"),
  ]);
  const sin = g.op("Sin", [args]);
  const cos = g.op("Cos", [args]);
  return g.op("Concat", options.flipSinToCos ? [cos, sin] : [sin, cos], { axis: 1 });
}

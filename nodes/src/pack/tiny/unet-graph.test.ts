import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { TINY_CONFIG, type TinyPackConfig } from "./config.ts";
import { buildControlnetGraph } from "./controlnet-graph.ts";
import {
  allFinite,
  denoiserInputs,
  filledFloats,
  floatsOf,
  identityControl,
  int64s,
  maxAbsDifference,
  randomFloats,
  zeroResiduals,
  type OrtFeeds,
} from "./test-feeds.ts";
import { residualShapes } from "./unet-blocks.ts";
import { buildUnetGraph } from "./unet-graph.ts";

const config = TINY_CONFIG;
const session = (c: TinyPackConfig, attentionControl = true) =>
  ort.InferenceSession.create(buildUnetGraph(c, { attentionControl }).toBytes());

let unet: ort.InferenceSession;
let plainUnet: ort.InferenceSession;
let controlnet: ort.InferenceSession;

beforeAll(async () => {
  [unet, plainUnet, controlnet] = await Promise.all([
    session(config),
    session(config, false),
    ort.InferenceSession.create(buildControlnetGraph(config).toBytes()),
  ]);
});

/** Two rows with different latents and text, latent 8×8 (64 px) unless told. */
function baseFeeds(batch = 2, h = 8, w = 8): OrtFeeds {
  return { ...denoiserInputs(config, batch, h, w), ...zeroResiduals(config, batch, h, w), ...identityControl(batch) };
}

async function runUnet(feeds: OrtFeeds, target = unet): Promise<Record<string, ort.Tensor>> {
  return (await target.run(feeds)) as Record<string, ort.Tensor>;
}

describe("tiny unet.onnx", () => {
  it("runs at batch 1 and 4, at 64 px, 96 px and an odd 9×13 latent, with ⌈h/4⌉·⌈w/4⌉ low-res maps", async () => {
    for (const [batch, h, w] of [
      [1, 8, 8],
      [4, 8, 8],
      [1, 12, 12],
      [4, 12, 12],
      [2, 9, 13],
    ]) {
      const out = await runUnet(baseFeeds(batch, h, w));
      expect(out.out_sample.dims).toEqual([batch, 4, h, w]);
      expect(out.cross_attn_lowres.dims).toEqual([batch, Math.ceil(h / 4) * Math.ceil(w / 4), 77]);
      expect(allFinite(out.out_sample)).toBe(true);
    }
  });

  it("with identity attention control equals the same UNet built without the control path", async () => {
    const feeds = baseFeeds(2, 12, 12);
    const controlled = await runUnet(feeds);
    const plain = await runUnet(feeds, plainUnet);
    expect(maxAbsDifference(controlled.out_sample, plain.out_sample)).toBeLessThan(1e-5);
    expect(maxAbsDifference(controlled.cross_attn_lowres, plain.cross_attn_lowres)).toBeLessThan(1e-6);
  });

  it("reports probabilities: each low-res map row sums to 1 over the 77 tokens", async () => {
    const lowres = floatsOf((await runUnet(baseFeeds(1))).cross_attn_lowres);
    for (let q = 0; q < lowres.length / 77; q++) {
      const sum = lowres.slice(q * 77, q * 77 + 77).reduce((s, v) => s + v, 0);
      expect(sum).toBeCloseTo(1, 5);
    }
  });

  it("treats map = identity with keep = 0 as no control", async () => {
    const feeds = baseFeeds(2);
    const identityMap = new Float32Array(2 * 77 * 77);
    for (let b = 0; b < 2; b++) for (let k = 0; k < 77; k++) identityMap[b * 77 * 77 + k * 77 + k] = 1;
    const reference = await runUnet(feeds);
    const viaMap = await runUnet({
      ...feeds,
      cross_attn_map: new ort.Tensor("float32", identityMap, [2, 77, 77]),
      cross_attn_keep: filledFloats([2, 77], 0),
    });
    expect(maxAbsDifference(reference.out_sample, viaMap.out_sample)).toBeLessThan(1e-5);
  });

  it("replaces row 1's cross-attention with row 0's when base[1] = 0 (so their low-res maps coincide)", async () => {
    const feeds = baseFeeds(2);
    const identityMap = new Float32Array(2 * 77 * 77);
    for (let k = 0; k < 77; k++) identityMap[77 * 77 + k * 77 + k] = 1;
    const keep = new Float32Array(2 * 77);
    keep.fill(1, 0, 77); // row 0 keeps its own attention, row 1 takes row 0's
    const before = await runUnet(feeds);
    const out = await runUnet({
      ...feeds,
      cross_attn_base: int64s([2], [0, 0]),
      cross_attn_map: new ort.Tensor("float32", identityMap, [2, 77, 77]),
      cross_attn_keep: new ort.Tensor("float32", keep, [2, 77]),
    });
    const lowres = floatsOf(out.cross_attn_lowres);
    const half = lowres.length / 2;
    for (let i = 0; i < half; i++) expect(lowres[half + i]).toBeCloseTo(lowres[i], 6);
    // Row 0 is untouched; row 1 changes.
    const rowSize = floatsOf(out.out_sample).length / 2;
    expect(floatsOf(out.out_sample).slice(0, rowSize)).toEqual(floatsOf(before.out_sample).slice(0, rowSize));
    expect(maxAbsDifference(out.out_sample, before.out_sample)).toBeGreaterThan(1e-4);
  });

  it("changes the output under a reweight (keep = 3 on one token)", async () => {
    const feeds = baseFeeds(1);
    const keep = new Float32Array(77).fill(1);
    keep[5] = 3;
    const out = await runUnet({ ...feeds, cross_attn_keep: new ort.Tensor("float32", keep, [1, 77]) });
    expect(maxAbsDifference(out.out_sample, (await runUnet(feeds)).out_sample)).toBeGreaterThan(1e-4);
  });

  it("mixes self-attention only where the query count is at most self_attn_max_tokens", async () => {
    const feeds = { ...baseFeeds(2), self_attn_base: int64s([2], [1, 0]), self_attn_mix: filledFloats([2], 1) };
    const reference = (await runUnet(baseFeeds(2))).out_sample;
    expect(maxAbsDifference((await runUnet(feeds)).out_sample, reference)).toBeGreaterThan(1e-4);
    // The same weights with the threshold at 0: no layer qualifies, so the mix is inert.
    const gated = await session({ ...config, unet: { ...config.unet, selfAttnMaxTokens: 0 } });
    expect(maxAbsDifference((await runUnet(feeds, gated)).out_sample, reference)).toBeLessThan(1e-6);
  });

  it("adds ControlNet residuals: zeros (scale 0) leave the output unchanged, a real control changes it", async () => {
    const feeds = baseFeeds(2);
    const reference = (await runUnet(feeds)).out_sample;
    const controlFeeds = {
      sample: feeds.sample,
      timestep: feeds.timestep,
      encoder_hidden_states: feeds.encoder_hidden_states,
      controlnet_cond: randomFloats([2, 3, 64, 64], 9),
    };
    const residualsAt = async (scale: number) => {
      const out = (await controlnet.run({ ...controlFeeds, conditioning_scale: filledFloats([1], scale) })) as Record<
        string,
        ort.Tensor
      >;
      const feedsOut: OrtFeeds = {};
      residualShapes(config).forEach((shape, i) => {
        feedsOut[shape.mid ? "mid_block_additional_residual" : `down_block_additional_residual_${i}`] =
          out[shape.mid ? "mid_block_res_sample" : `down_block_res_sample_${i}`];
      });
      return feedsOut;
    };
    const zero = await residualsAt(0);
    expect(maxAbsDifference((await runUnet({ ...feeds, ...zero })).out_sample, reference)).toBe(0);
    const one = await residualsAt(1);
    expect(maxAbsDifference((await runUnet({ ...feeds, ...one })).out_sample, reference)).toBeGreaterThan(1e-3);
  });
});

describe("tiny controlnet/canny.onnx", () => {
  it("outputs one residual per UNet residual input, shaped as the manifest lists, scaled linearly", async () => {
    for (const [batch, size] of [
      [1, 64],
      [4, 96],
    ]) {
      const h = size / 8;
      const feeds = {
        ...denoiserInputs(config, batch, h, h),
        controlnet_cond: randomFloats([batch, 3, size, size], 4),
      };
      const one = (await controlnet.run({ ...feeds, conditioning_scale: filledFloats([1], 1) })) as Record<
        string,
        ort.Tensor
      >;
      const two = (await controlnet.run({ ...feeds, conditioning_scale: filledFloats([1], 2) })) as Record<
        string,
        ort.Tensor
      >;
      const shapes = residualShapes(config);
      expect(Object.keys(one)).toHaveLength(shapes.length);
      shapes.forEach((shape, i) => {
        const name = shape.mid ? "mid_block_res_sample" : `down_block_res_sample_${i}`;
        const side = Math.ceil(h / shape.downscale);
        expect(one[name].dims).toEqual([batch, shape.channels, side, side]);
        const a = floatsOf(one[name]);
        const b = floatsOf(two[name]);
        expect(a.some((v) => v !== 0)).toBe(true);
        for (let k = 0; k < a.length; k += 97) expect(b[k]).toBeCloseTo(2 * a[k], 5);
      });
    }
  });
});

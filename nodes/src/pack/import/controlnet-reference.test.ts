import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { floatTensor, type FloatTensor, type IntTensor } from "@infix/engine";
import { attentionControlInputs, identityAttentionControl } from "../../sampling/unet-feeds.ts";
import { loadPack } from "../loader.ts";
import type { ModelPack } from "../types.ts";
import { importDiffusersPack } from "./import-pack.ts";

/**
 * The imported ControlNet and UNet graphs against diffusers' BlipDiffusionControlNetPipeline
 * (case cn_canny_g7.5_s5, first step): the ControlNet's residuals from the recorded UNet input,
 * condition image and text embeddings, and the UNet's output with those residuals added.
 * (Wiring the ControlNet into the Sampler is the ControlNet Apply node's work.)
 */

const fixtures = fileURLToPath(new URL("../../../../../shared/fixtures/", import.meta.url));
const caseDir = join(fixtures, "reference", "cn_canny_g7.5_s5");

function tensor(name: string): { dims: number[]; data: Float32Array | BigInt64Array } {
  const index = JSON.parse(readFileSync(join(caseDir, "index.json"), "utf8")) as {
    tensors: Record<string, { file: string; dtype: string; shape: number[] }>;
  };
  const entry = index.tensors[name];
  if (!entry) throw new Error(`${caseDir}: no tensor ${name}`);
  const bytes = readFileSync(join(caseDir, entry.file));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return { dims: entry.shape, data: entry.dtype === "int64" ? new BigInt64Array(buffer) : new Float32Array(buffer) };
}
const floats = (name: string) => tensor(name) as FloatTensor;

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

let pack: ModelPack;
let residuals: Record<string, FloatTensor>;
const t0 = () => Number((tensor("timesteps").data as BigInt64Array)[0]);

function textStates(): FloatTensor {
  const uncond = floats("text_embeddings_uncond").data;
  const cond = floats("text_embeddings_cond").data;
  const both = new Float32Array(uncond.length * 2);
  both.set(uncond);
  both.set(cond, uncond.length);
  return floatTensor([2, 77, 32], both);
}

beforeAll(async () => {
  if (!existsSync(caseDir))
    throw new Error(`missing fixture ${caseDir}: ../shared/fixtures must sit beside the repository`);
  const out = join(mkdtempSync(join(tmpdir(), "infix-cn-")), "pack");
  const pipeline = join(fixtures, "blip-diffusion-tiny");
  await importDiffusersPack({ source: pipeline, out, controlnets: [{ folder: join(pipeline, "controlnet-canny") }] });
  pack = await loadPack(out);
  residuals = await pack.run("controlnet/canny", {
    sample: floats("step00.unet_in"),
    timestep: floatTensor([2], new Float32Array([t0(), t0()])),
    encoder_hidden_states: textStates(),
    controlnet_cond: floats("control_image"),
    conditioning_scale: floatTensor([1], new Float32Array([1])),
  });
}, 60_000);

describe("imported ControlNet on diffusers' first ControlNet step", () => {
  it("gives every down residual and the mid residual within 1e-5", () => {
    let worst = 0;
    for (let i = 0; i < 8; i++) {
      worst = Math.max(
        worst,
        maxAbsDiff(residuals[`down_block_res_sample_${i}`].data, floats(`step00.cn_down_${i}`).data),
      );
    }
    worst = Math.max(worst, maxAbsDiff(residuals.mid_block_res_sample.data, floats("step00.cn_mid").data));
    console.log(`cn_canny_g7.5_s5 step 0: ControlNet residuals max error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it("makes the UNet, with those residuals added, give diffusers' noise prediction within 1e-5", async () => {
    const feeds: Record<string, FloatTensor | IntTensor> = {
      sample: floats("step00.unet_in"),
      timestep: floatTensor([2], new Float32Array([t0(), t0()])),
      encoder_hidden_states: textStates(),
      ...attentionControlInputs(identityAttentionControl(2, 77), 2, 77),
      mid_block_additional_residual: residuals.mid_block_res_sample,
    };
    for (let i = 0; i < 8; i++) feeds[`down_block_additional_residual_${i}`] = residuals[`down_block_res_sample_${i}`];
    const { out_sample } = await pack.run("unet", feeds);
    const error = maxAbsDiff(out_sample.data, floats("step00.unet_out").data);
    console.log(`cn_canny_g7.5_s5 step 0: UNet with residuals max error ${error.toExponential(2)}`);
    expect(error).toBeLessThanOrEqual(1e-5);
  });
});

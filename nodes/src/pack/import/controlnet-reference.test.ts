import { beforeAll, describe, expect, it } from "vitest";
import { floatTensor, type FloatTensor, type IntTensor } from "@infix/engine";
import { attentionControlInputs, identityAttentionControl } from "../../sampling/unet-feeds.ts";
import { maxAbsDiff } from "../../testing/reference-compare.ts";
import { loadDiffusersCase, type TensorStore } from "../../testing/reference-fixtures.ts";
import { importReferencePack } from "../../testing/reference-pipeline.ts";
import { loadPack } from "../loader.ts";
import type { ModelPack } from "../types.ts";

/**
 * The imported ControlNet and UNet graphs against diffusers' BlipDiffusionControlNetPipeline
 * (case cn_canny_g7.5_s5, first step): the ControlNet's residuals from the recorded UNet input,
 * condition image and text embeddings, and the UNet's output with those residuals added.
 * (Wiring the ControlNet into the Sampler is the ControlNet Apply node's work.)
 */

let pack: ModelPack;
let residuals: Record<string, FloatTensor>;
let recorded: TensorStore;
const t0 = () => recorded.int("timesteps")[0];

function textStates(): FloatTensor {
  const uncond = recorded.float("text_embeddings_uncond");
  const cond = recorded.float("text_embeddings_cond");
  const both = new Float32Array(uncond.length * 2);
  both.set(uncond);
  both.set(cond, uncond.length);
  return floatTensor([2, 77, 32], both);
}

beforeAll(async () => {
  recorded = loadDiffusersCase("cn_canny_g7.5_s5").tensors;
  pack = await loadPack((await importReferencePack({ controlnet: true })).packDir);
  residuals = await pack.run("controlnet/canny", {
    sample: recorded.floatTensor("step00.unet_in"),
    timestep: floatTensor([2], new Float32Array([t0(), t0()])),
    encoder_hidden_states: textStates(),
    controlnet_cond: recorded.floatTensor("control_image"),
    conditioning_scale: floatTensor([1], new Float32Array([1])),
  });
}, 60_000);

describe("imported ControlNet on diffusers' first ControlNet step", () => {
  it("gives every down residual and the mid residual within 1e-5", () => {
    let worst = 0;
    for (let i = 0; i < 8; i++) {
      const name = `down_block_res_sample_${i}`;
      worst = Math.max(worst, maxAbsDiff(residuals[name].data, recorded.float(`step00.cn_down_${i}`), name));
    }
    worst = Math.max(worst, maxAbsDiff(residuals.mid_block_res_sample.data, recorded.float("step00.cn_mid"), "mid"));
    console.log(`cn_canny_g7.5_s5 step 0: ControlNet residuals max error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it("makes the UNet, with those residuals added, give diffusers' noise prediction within 1e-5", async () => {
    const feeds: Record<string, FloatTensor | IntTensor> = {
      sample: recorded.floatTensor("step00.unet_in"),
      timestep: floatTensor([2], new Float32Array([t0(), t0()])),
      encoder_hidden_states: textStates(),
      ...attentionControlInputs(identityAttentionControl(2, 77), 2, 77),
      mid_block_additional_residual: residuals.mid_block_res_sample,
    };
    for (let i = 0; i < 8; i++) feeds[`down_block_additional_residual_${i}`] = residuals[`down_block_res_sample_${i}`];
    const { out_sample } = await pack.run("unet", feeds);
    const error = maxAbsDiff(out_sample.data, recorded.float("step00.unet_out"), "unet_out");
    console.log(`cn_canny_g7.5_s5 step 0: UNet with residuals max error ${error.toExponential(2)}`);
    expect(error).toBeLessThanOrEqual(1e-5);
  });
});

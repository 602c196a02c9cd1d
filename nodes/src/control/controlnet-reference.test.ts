import { beforeAll, describe, expect, it } from "vitest";
import { type FloatTensor } from "@infix/engine";
import type { Feeds } from "../pack/types.ts";
import { itDrawsDiffusersImage, itFollowsDiffusersLatents } from "../testing/diffusers-case-checks.ts";
import { maxAbsDiff } from "../testing/reference-compare.ts";
import { loadDiffusersCase } from "../testing/reference-fixtures.ts";
import { referencePackResources, runDiffusersCase, type DiffusersCaseRun } from "../testing/reference-pipeline.ts";
import { createTestContext } from "../testing/test-context.ts";

/**
 * Issue #10's bar: diffusers' BlipDiffusionControlNetPipeline case cn_canny_g7.5_s5 through
 * Infix's own nodes (Load Image → ControlNet Apply → Sampler …) on the pack imported from the
 * diffusers fixture with its controlnet-canny, compared with what diffusers recorded: the
 * condition tensor, the first step's residuals, every UNet call's latents, the image.
 */

const CASE = "cn_canny_g7.5_s5";

describe(`diffusers' BlipDiffusionControlNetPipeline case ${CASE} through Infix's nodes`, () => {
  const reference = loadDiffusersCase(CASE);
  const c = reference.info;
  const controlnetCalls: { feeds: Feeds; outputs: Record<string, FloatTensor> }[] = [];
  const unetCalls: Feeds[] = [];
  let run: DiffusersCaseRun;

  beforeAll(async () => {
    run = await runDiffusersCase(reference, {
      resources: await referencePackResources({ controlnet: true }),
      ctx: createTestContext(),
      listen(graph, feeds, outputs) {
        if (graph === "controlnet/canny") controlnetCalls.push({ feeds, outputs });
        if (graph === "unet") unetCalls.push(feeds);
      },
    });
  }, 180_000);

  it("feeds the ControlNet diffusers' condition tensor on every UNet call", () => {
    expect(controlnetCalls.length).toBe(c.steps + 1);
    const condition = reference.tensors.float("control_image");
    for (const call of controlnetCalls) {
      expect(call.feeds.controlnet_cond.dims).toEqual([2, 3, c.height, c.width]);
      expect(maxAbsDiff(call.feeds.controlnet_cond.data as Float32Array, condition, "control_image")).toBe(0);
    }
  });

  it("gives diffusers' first-step residuals within 1e-5, and the UNet takes them", () => {
    const [first] = controlnetCalls;
    const names = Object.keys(first.outputs).filter((name) => name.startsWith("down_block_res_sample_"));
    let worst = 0;
    for (const name of names) {
      const index = name.slice("down_block_res_sample_".length);
      const recorded = reference.tensors.float(`step00.cn_down_${index}`);
      worst = Math.max(worst, maxAbsDiff(first.outputs[name].data, recorded, name));
      expect(unetCalls[0][`down_block_additional_residual_${index}`].data).toBe(first.outputs[name].data);
    }
    const mid = reference.tensors.float("step00.cn_mid");
    worst = Math.max(worst, maxAbsDiff(first.outputs.mid_block_res_sample.data, mid, "mid_block_res_sample"));
    console.log(`${CASE}: step00 residuals (${names.length} down + mid), worst ${worst.toExponential(2)}`);
    expect(names.length).toBe(8);
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  itFollowsDiffusersLatents(reference, () => run);
  itDrawsDiffusersImage(reference, () => run);
});

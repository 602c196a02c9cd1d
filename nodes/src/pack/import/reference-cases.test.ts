import { beforeAll, describe, expect, it } from "vitest";
import { type FloatTensor } from "@infix/engine";
import type { NodeResources } from "../../index.ts";
import { itDrawsDiffusersImage, itFollowsDiffusersLatents } from "../../testing/diffusers-case-checks.ts";
import { maxAbsDiff } from "../../testing/reference-compare.ts";
import { loadDiffusersCase } from "../../testing/reference-fixtures.ts";
import { referencePackResources, runDiffusersCase, type DiffusersCaseRun } from "../../testing/reference-pipeline.ts";
import { createTestContext, type TestContext } from "../../testing/test-context.ts";

/**
 * Issue #9's bar: the diffusers fixture imported by `infix pack import`, then diffusers' own
 * BlipDiffusionPipeline cases run through Infix's nodes (Load Model Pack → Load Image →
 * Q-Former Encode → Subject Prompt / Text Encode → Sampler → VAE Decode → Save Image) with the
 * real executor, compared with every intermediate diffusers recorded.
 */

const CASES = ["dog_g7.5_s25", "cat_g7.5_s5_neg"].map(loadDiffusersCase);
let ctx: TestContext;
let resources: NodeResources;

beforeAll(async () => {
  ctx = createTestContext();
  resources = await referencePackResources({ controlnet: true });
}, 120_000);

describe.each(CASES.map((reference) => [reference.info.name, reference] as const))(
  "diffusers' BlipDiffusionPipeline case %s through Infix's nodes",
  (name, reference) => {
    /** The Q-Former's subject embeddings and the text embeddings the UNet was given, per call. */
    const subjectEmbeddings: Float32Array[] = [];
    const unetText: Float32Array[] = [];
    let run: DiffusersCaseRun;

    beforeAll(async () => {
      run = await runDiffusersCase(reference, {
        resources,
        ctx,
        listen(graph, feeds, outputs) {
          if (graph === "qformer") subjectEmbeddings.push(outputs.ctx_embeddings.data.slice());
          if (graph === "unet") unetText.push((feeds.encoder_hidden_states as FloatTensor).data.slice());
        },
      });
    }, 120_000);

    it("gives diffusers' subject embedding and text embeddings within 1e-5", () => {
      const { tensors } = reference;
      const ctxError = maxAbsDiff(subjectEmbeddings[0], tensors.float("ctx_embeddings"), "ctx_embeddings");
      const rows = unetText[0];
      const half = rows.length / 2;
      const uncondError = maxAbsDiff(rows.subarray(0, half), tensors.float("text_embeddings_uncond"), "uncond");
      const condError = maxAbsDiff(rows.subarray(half), tensors.float("text_embeddings_cond"), "cond");
      console.log(
        `${name}: ctx_embeddings ${ctxError.toExponential(2)}, text cond ${condError.toExponential(2)}, uncond ${uncondError.toExponential(2)}`,
      );
      expect(ctxError).toBeLessThanOrEqual(1e-5);
      expect(condError).toBeLessThanOrEqual(1e-5);
      expect(uncondError).toBeLessThanOrEqual(1e-5);
    });

    // PNDM with skip_prk_steps makes steps + 1 UNet calls; each sees [uncond; cond] copies of the latents.
    itFollowsDiffusersLatents(reference, () => run);
    itDrawsDiffusersImage(reference, () => run);
  },
);

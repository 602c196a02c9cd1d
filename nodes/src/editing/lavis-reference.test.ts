import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { floatTensor, type FloatTensor, type IntTensor } from "@infix/engine";
import { loadImageNode } from "../image/load-image.ts";
import { vaeDecodeNode } from "../latent/vae-decode.ts";
import { vaeEncodeNode } from "../latent/vae-encode.ts";
import { emptyLatentNode } from "../latent/empty-latent.ts";
import type { Feeds, ModelPack } from "../pack/types.ts";
import { combineGuidance } from "../sampling/guidance.ts";
import { samplerNode } from "../sampling/sampler.ts";
import { buildScheduler, LAVIS_EDIT_DDIM, packSchedulerSettings } from "../sampling/scheduler-settings.ts";
import { attentionControlInputs, zeroControlResiduals } from "../sampling/unet-feeds.ts";
import type { Conditioning, ImageBatch, LatentBatch, SubjectEmbedding } from "../sockets.ts";
import { qformerEncodeNode } from "../subject/qformer-encode.ts";
import { textEncodeNode } from "../text/text-encode.ts";
import { createTestContext, runNode } from "../testing/test-context.ts";
import { maxAbsDiff, hwcToChw, stepName } from "../testing/reference-compare.ts";
import { EDIT_DIR, loadEditCase, type EditCase } from "../testing/reference-edit.ts";
import { REFERENCE_PACK_ID, referencePackResources } from "../testing/reference-pipeline.ts";
import type { AttentionEdit } from "./attention-edit.ts";
import { attentionControllerNode } from "./attention-controller-node.ts";
import { ddimInversionNode } from "./ddim-inversion-node.ts";
import { createEditSession } from "./edit-session.ts";

/**
 * LAVIS BLIP-Diffusion's editing (../shared/fixtures/reference-edit) through Infix's own nodes
 * with lavis_compatible on, on the shared tiny pipeline imported as a pack: the attention-
 * control inputs of every UNet call (LAVIS's mapper, alphas, word alphas, self window) exact,
 * the local-blend mask identical at every step, and the final images within 1e-3 running
 * freely and within 1e-4 with every step started from LAVIS's latents (EDITING.md §12).
 */

const CASES = ["synth_cat2dog_s8", "real_cat2dog_s6"] as const;
const ctx = createTestContext();
let pack: ModelPack;

beforeAll(async () => {
  const resources = await referencePackResources();
  pack = await resources.packs.get(REFERENCE_PACK_ID);
}, 300_000);

interface CaseRun {
  control: AttentionEdit;
  source: Conditioning;
  negative: Conditioning;
  latent: LatentBatch;
  noise?: LatentBatch;
}

/** The case's graph up to the Sampler, through the nodes. */
async function prepare(fixture: EditCase): Promise<CaseRun> {
  const { info } = fixture;
  const inputs = join(EDIT_DIR, "inputs");
  const refName = ctx.addInput(`${info.name}-ref224.png`, readFileSync(join(inputs, "ref224.png")));
  const reference = (await runNode(loadImageNode, { image: refName }, ctx)).image as ImageBatch;
  const subject = (
    await runNode(qformerEncodeNode, { pack, image: reference, category: info.cond_subject, resize: "squash" }, ctx)
  ).subject as SubjectEmbedding;
  const made = await runNode(
    attentionControllerNode,
    {
      pack,
      subject,
      source_subject: info.src_subject,
      target_subject: info.tgt_subject,
      prompt: info.prompt,
      cross_replace_steps: info.cross_replace_steps,
      self_replace_steps: info.self_replace_steps,
      threshold: info.lb_threshold,
      start: info.mode === "edit" ? "inverted" : "generated",
      lavis_compatible: true,
    },
    ctx,
  );
  const control = made.control as AttentionEdit;
  const source = made.source as Conditioning;
  const negative = (await runNode(textEncodeNode, { pack, text: info.neg_prompt }, ctx)).conditioning as Conditioning;
  if (info.mode !== "edit") {
    const latent = (
      await runNode(emptyLatentNode, { pack, width: info.width, height: info.height, batch_size: 1 }, ctx)
    ).latent as LatentBatch;
    return { control, source, negative, latent };
  }
  const pictureName = ctx.addInput(`${info.name}-real128.png`, readFileSync(join(inputs, "real128.png")));
  const picture = (await runNode(loadImageNode, { image: pictureName }, ctx)).image as ImageBatch;
  const seed = (info as unknown as { vae_seed: number }).vae_seed;
  const latent = (await runNode(vaeEncodeNode, { pack, images: picture, mode: "sample", seed }, ctx))
    .latent as LatentBatch;
  const noise = (
    await runNode(ddimInversionNode, { pack, latent, conditioning: made.inversion, steps: info.steps }, ctx)
  ).noise as LatentBatch;
  return { control, source, negative, latent, noise };
}

describe.each(CASES)("LAVIS's %s through Infix's nodes (lavis_compatible on)", (name) => {
  const fixture = loadEditCase(name);
  const { info } = fixture;
  const [h, w] = info.latent_size;
  let run: CaseRun;
  const calls: { sample: Float32Array; feeds: Feeds; out: Float32Array }[] = [];
  let result: LatentBatch;
  let images: ImageBatch;

  beforeAll(async () => {
    run = await prepare(fixture);
    const original = pack.run;
    pack.run = async (graph, feeds, signal) => {
      const outputs = await original.call(pack, graph, feeds, signal);
      if (graph === "unet" && (feeds.sample as FloatTensor).dims[0] === 4)
        calls.push({
          sample: (feeds.sample as FloatTensor).data.slice(),
          // The session refills its buffers every call: keep copies.
          feeds: Object.fromEntries(
            Object.entries(feeds).map(([key, tensor]) => [key, { dims: tensor.dims, data: tensor.data.slice() }]),
          ) as Feeds,
          out: outputs.out_sample.data.slice(),
        });
      return outputs;
    };
    try {
      result = (
        await runNode(
          samplerNode,
          {
            pack,
            positive: run.source,
            negative: run.negative,
            latent: run.latent,
            seed: info.seed ?? 0, // edit: the inverted noise is given
            steps: info.steps,
            cfg: info.guidance,
            scheduler: "pndm",
            attention_control: run.control,
            noise: run.noise,
          },
          ctx,
        )
      ).latent as LatentBatch;
    } finally {
      pack.run = original;
    }
    images = (await runNode(vaeDecodeNode, { pack, latent: result }, ctx)).images as ImageBatch;
  }, 300_000);

  it("starts where LAVIS starts (seeded noise, or the DDIM inversion of the VAE's seeded sample)", () => {
    if (info.mode === "edit") {
      const encoded = maxAbsDiff(run.latent.samples.data, fixture.float("latents_encoded"));
      const inverted = maxAbsDiff(run.noise!.samples.data, fixture.float("inv_latents"));
      console.info(
        `${name}: VAE sample max |Δ| ${encoded.toExponential(2)}, DDIM inversion ${inverted.toExponential(2)}`,
      );
      expect(encoded).toBeLessThan(1e-4);
      expect(inverted).toBeLessThan(1e-3);
    }
    expect(calls.length).toBe(info.unet_calls);
    expect(maxAbsDiff(calls[0].sample, fixture.float("step00.unet_in"))).toBeLessThan(1e-3);
  });

  it("feeds LAVIS's attention control at every call: mapper and alphas, word alphas, self window", () => {
    const mapper = fixture.int("mapper");
    const alphas = fixture.float("alphas");
    calls.forEach((call, i) => {
      const alpha = fixture.float(`${stepName(i)}.alpha_words`)[0];
      const map = (call.feeds.cross_attn_map as FloatTensor).data;
      const keep = (call.feeds.cross_attn_keep as FloatTensor).data;
      const expectedMap = new Float32Array(4 * 77 * 77);
      const expectedKeep = new Float32Array(4 * 77).fill(1);
      for (let k = 0; k < 77; k++) {
        const weight = alphas[k] * alpha;
        if (weight !== 0) expectedMap[3 * 77 * 77 + mapper[k] * 77 + k] = weight;
        expectedKeep[3 * 77 + k] = alpha * (1 - alphas[k]) + (1 - alpha);
      }
      expect(Array.from(map), `cross_attn_map at call ${i}`).toEqual(Array.from(expectedMap));
      expect(Array.from(keep), `cross_attn_keep at call ${i}`).toEqual(Array.from(expectedKeep));
      expect(Array.from((call.feeds.cross_attn_base as IntTensor).data, Number)).toEqual([0, 1, 2, 2]);
      expect(Array.from((call.feeds.self_attn_mix as FloatTensor).data)).toEqual([
        0,
        0,
        0,
        fixture.float(`${stepName(i)}.self_mix`)[0],
      ]);
    });
  });

  it("blends with LAVIS's mask at every step", () => {
    const masks = result.attention!.stepMasks;
    expect(masks.length).toBe(info.unet_calls);
    masks.forEach((mask, i) =>
      expect(Array.from(mask), `mask after call ${i}`).toEqual(Array.from(fixture.float(`${stepName(i)}.lb_mask`))),
    );
  });

  it("gives LAVIS's two pictures within 1e-3, running freely", () => {
    let worstLatents = 0;
    calls.forEach(
      (call, i) =>
        (worstLatents = Math.max(worstLatents, maxAbsDiff(call.sample, fixture.float(`${stepName(i)}.unet_in`)))),
    );
    const image = hwcToChw(fixture.float("image"), 2, info.height, info.width);
    const error = maxAbsDiff(images.pixels.data, image);
    console.info(
      `${name} free-running: UNet inputs max |Δ| ${worstLatents.toExponential(2)}, image ${error.toExponential(2)}`,
    );
    expect(error).toBeLessThan(1e-3);
  });

  it("gives LAVIS's two pictures within 1e-4 with every step started from LAVIS's latents", async () => {
    const scheduler =
      info.mode === "edit"
        ? buildScheduler(LAVIS_EDIT_DDIM, pack.manifest.scheduler, info.steps)
        : buildScheduler(packSchedulerSettings("pndm"), pack.manifest.scheduler, info.steps);
    if (typeof scheduler === "string") throw new Error(scheduler);
    const session = createEditSession(run.control, {
      steps: info.steps,
      guided: true,
      keys: 77,
      channels: 4,
      height: h,
      width: w,
    });
    const text = fixture.float("text_embeddings");
    const ours = new Float32Array(text.length);
    ours.set(run.negative.embedding.data, 0);
    ours.set(run.negative.embedding.data, 77 * 32);
    ours.set(run.control.source.data, 2 * 77 * 32);
    ours.set(run.control.target.data, 3 * 77 * 32);
    expect(maxAbsDiff(ours, text)).toBeLessThan(1e-5);
    let previous = fixture.float("latents_start");
    let latents = previous;
    let worstStep = 0;
    for (let i = 0; i < info.unet_calls; i++) {
      const t = scheduler.timesteps[i];
      const call = {
        step: i,
        totalSteps: info.unet_calls,
        guided: true,
        timestep: t,
        sample: floatTensor([4, 4, h, w], fixture.float(`${stepName(i)}.unet_in`)),
        encoderHiddenStates: floatTensor([4, 77, 32], ours),
        signal: ctx.signal,
      };
      const outputs = await pack.run("unet", {
        sample: call.sample,
        timestep: floatTensor([4], new Float32Array(4).fill(t)),
        encoder_hidden_states: call.encoderHiddenStates,
        ...zeroControlResiduals(pack.manifest, 4, h, w),
        ...attentionControlInputs(session.feeds(call), 4, 77),
      });
      const combined = combineGuidance(outputs.out_sample.data, info.guidance, new Float32Array(2 * 4 * h * w));
      session.adjustPrediction!(outputs.out_sample.data, combined);
      latents = scheduler.step(combined, t, previous).slice();
      session.observe!(outputs.cross_attn_lowres, floatTensor([2, 4, h, w], latents), call);
      expect(Array.from(session.trace.masks[i]), `teacher-forced mask at call ${i}`).toEqual(
        Array.from(fixture.float(`${stepName(i)}.lb_mask`)),
      );
      worstStep = Math.max(worstStep, maxAbsDiff(latents, fixture.float(`${stepName(i)}.latents`)));
      previous = fixture.float(`${stepName(i)}.latents`);
    }
    const decoded = (
      await runNode(
        vaeDecodeNode,
        { pack, latent: { type: "LATENT", samples: floatTensor([2, 4, h, w], latents) } },
        ctx,
      )
    ).images as ImageBatch;
    const error = maxAbsDiff(decoded.pixels.data, hwcToChw(fixture.float("image"), 2, info.height, info.width));
    console.info(
      `${name} teacher-forced: per-step latents max |Δ| ${worstStep.toExponential(2)}, image ${error.toExponential(2)}`,
    );
    expect(error).toBeLessThan(1e-4);
  });
});

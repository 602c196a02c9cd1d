import { beforeAll, describe, expect, it } from "vitest";
import { floatTensor, type FloatTensor } from "@infix/engine";
import { imageBatchFromRgb } from "../image/image-batch.ts";
import { controlNetApplyNode } from "../control/controlnet-apply.ts";
import { emptyLatentNode } from "../latent/empty-latent.ts";
import { vaeDecodeNode } from "../latent/vae-decode.ts";
import type { ModelPack } from "../pack/types.ts";
import { samplerNode } from "../sampling/sampler.ts";
import { attentionControlInputs, zeroControlResiduals } from "../sampling/unet-feeds.ts";
import type { Conditioning, ImageBatch, LatentBatch, SubjectEmbedding } from "../sockets.ts";
import { textEncodeNode } from "../text/text-encode.ts";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { tinyPack } from "../testing/tiny-pack.ts";
import type { AttentionEdit } from "./attention-edit.ts";
import { attentionControllerNode, parseReweight } from "./attention-controller-node.ts";
import { attentionMapsNode, heatColour } from "./attention-maps-node.ts";
import { createEditSession } from "./edit-session.ts";

/**
 * The Sampler's edit mode on the embedded tiny pack: identity control equals plain sampling
 * bit for bit, reweight scales exactly the chosen words' attention, the replace windows switch
 * at the right call, the local blend leaves the source row's latents outside the mask, and no
 * state carries from one run of a cached controller to the next.
 */

let pack: ModelPack;
let subject: SubjectEmbedding;
let negative: Conditioning;
const ctx = createTestContext();
const SIZE = 64; // 8×8 latent: 2×2 attention maps

beforeAll(async () => {
  pack = await tinyPack();
  const { num_query_tokens: q, text_hidden_size: d } = pack.manifest;
  subject = {
    type: "SUBJECT",
    embedding: floatTensor(
      [q, d],
      Float32Array.from({ length: q * d }, (_, i) => Math.sin(i * 0.37)),
    ),
    packName: pack.manifest.name,
    packHash: pack.hash,
    category: "dog",
    sourceHashes: [],
  };
  negative = (await runNode(textEncodeNode, { pack, text: "blurry" }, ctx)).conditioning as Conditioning;
});

async function controller(inputs: Record<string, unknown>) {
  const out = await runNode(attentionControllerNode, { pack, subject, ...inputs }, ctx);
  return { control: out.control as AttentionEdit, source: out.source as Conditioning };
}

async function emptyLatent(size = SIZE): Promise<LatentBatch> {
  return (await runNode(emptyLatentNode, { pack, width: size, height: size, batch_size: 1 }, ctx))
    .latent as LatentBatch;
}

async function sample(inputs: Record<string, unknown>, size = SIZE): Promise<LatentBatch> {
  const out = await runNode(
    samplerNode,
    { pack, negative, latent: await emptyLatent(size), seed: 7, steps: 4, cfg: 7.5, scheduler: "pndm", ...inputs },
    ctx,
  );
  return out.latent as LatentBatch;
}

const row = (latent: LatentBatch, r: number) => {
  const per = latent.samples.data.length / latent.samples.dims[0];
  return Array.from(latent.samples.data.subarray(r * per, (r + 1) * per));
};

describe("Sampler with an Attention Controller", () => {
  it("at identity equals plain sampling of each prompt, bit for bit", async () => {
    const { control, source } = await controller({
      cross_replace_steps: 0,
      self_replace_steps: 0,
      local_blend: false,
    });
    const edited = await sample({ positive: source, attention_control: control });
    expect(edited.samples.dims).toEqual([2, 4, 8, 8]);
    const plainSource = await sample({ positive: source });
    const target: Conditioning = {
      type: "CONDITIONING",
      embedding: control.target,
      packHash: pack.hash,
      prompts: [control.targetPrompt],
      tokenIds: [],
    };
    const plainTarget = await sample({ positive: target });
    expect(row(edited, 0)).toEqual(row(plainSource, 0));
    expect(row(edited, 1)).toEqual(row(plainTarget, 0));
  });

  it("switches cross- and self-attention replacement at the right calls (PNDM: N+1 calls)", async () => {
    const { control, source } = await controller({ cross_replace_steps: 0.5, self_replace_steps: 0.5 });
    const session = createEditSession(control, { steps: 4, guided: true, keys: 77, channels: 4, height: 8, width: 8 });
    const call = (step: number) =>
      session.feeds({
        step,
        totalSteps: 5,
        guided: true,
        timestep: 0,
        sample: floatTensor([4, 4, 8, 8]),
        encoderHiddenStates: floatTensor([4, 77, 32]),
        signal: new AbortController().signal,
      });
    const keep3 = (step: number) => Array.from(call(step).crossAttnKeep.subarray(3 * 77, 4 * 77));
    const mapSum = (step: number) => call(step).crossAttnMap.reduce((a, b) => a + b, 0);
    const mix = (step: number) => Array.from(call(step).selfAttnMix);
    // int(0.5·(4+1)) = 2: calls 0 and 1 follow the source's cross-attention; int(4·0.5) = 2: calls 0 and 1 its self-attention.
    for (const step of [0, 1]) {
      expect(mapSum(step)).toBeGreaterThan(0);
      expect(keep3(step).some((k) => k === 0)).toBe(true);
      expect(mix(step)).toEqual([0, 0, 0, 1]);
    }
    for (const step of [2, 3, 4]) {
      expect(mapSum(step)).toBe(0);
      expect(keep3(step)).toEqual(new Array(77).fill(1));
      expect(mix(step)).toEqual([0, 0, 0, 0]);
    }
    expect(Array.from(call(0).crossAttnBase)).toEqual([0n, 1n, 2n, 2n]);
    // And through the Sampler: the recorded calls follow the same schedule.
    const edited = await sample({ positive: source, attention_control: control });
    expect(edited.attention?.calls).toBe(5);
  });

  it("reweight scales exactly the chosen word's attention", async () => {
    const { control } = await controller({
      subject: undefined,
      source_subject: "cat",
      target_subject: "cat",
      prompt: "on the grass",
      edit: "reweight",
      reweight: "grass:2.5",
      local_blend: false,
    });
    const session = createEditSession(control, { steps: 4, guided: true, keys: 77, channels: 4, height: 8, width: 8 });
    const info = {
      step: 0,
      totalSteps: 5,
      guided: true,
      timestep: 500,
      sample: floatTensor(
        [4, 4, 8, 8],
        Float32Array.from({ length: 1024 }, (_, i) => Math.cos(i)),
      ),
      encoderHiddenStates: floatTensor([4, 77, 32]),
      signal: new AbortController().signal,
    };
    const text = new Float32Array(4 * 77 * 32);
    for (let r = 0; r < 4; r++) text.set(r < 2 ? negative.embedding.data : control.source.data, r * 77 * 32);
    const edited = attentionControlInputs(session.feeds(info), 4, 77);
    const outputs = await pack.run("unet", {
      sample: info.sample,
      timestep: floatTensor([4], new Float32Array(4).fill(500)),
      encoder_hidden_states: floatTensor([4, 77, 32], text),
      ...zeroControlResiduals(pack.manifest, 4, 8, 8),
      ...edited,
    });
    const maps = outputs.cross_attn_lowres as FloatTensor;
    const plane = maps.dims[1];
    const grass = control.keyLabels[1].indexOf("grass");
    expect(grass).toBeGreaterThan(0);
    let worst = 0;
    for (let p = 0; p < plane; p++) {
      for (let k = 0; k < 77; k++) {
        const base = maps.data[(2 * plane + p) * 77 + k];
        const got = maps.data[(3 * plane + p) * 77 + k];
        const want = k === grass ? 2.5 * base : base;
        worst = Math.max(worst, Math.abs(got - want) / want);
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it("with local blend, keeps the source row's latents outside the mask; a cached controller leaks nothing", async () => {
    // 128 px: a 16×16 latent and 4×4 maps, so the 3×3 pooling leaves a partial mask (as the LAVIS fixtures).
    const { control, source } = await controller({ threshold: 0.97 });
    const first = await sample({ positive: source, attention_control: control }, 128);
    const mask = first.attention!.mask;
    const plane = 256;
    expect(mask.length).toBe(plane);
    const src = row(first, 0);
    const dst = row(first, 1);
    let outside = 0;
    let differs = 0;
    for (let c = 0; c < 4; c++)
      for (let i = 0; i < plane; i++) {
        if (!mask[i]) {
          outside++;
          expect(dst[c * plane + i]).toBe(src[c * plane + i]);
        } else if (dst[c * plane + i] !== src[c * plane + i]) differs++;
      }
    expect(outside).toBeGreaterThan(0);
    expect(outside).toBeLessThan(4 * plane);
    expect(differs).toBeGreaterThan(0);
    const again = await sample({ positive: source, attention_control: control }, 128);
    expect(Array.from(again.samples.data)).toEqual(Array.from(first.samples.data));
    expect(again.attention!.calls).toBe(first.attention!.calls);
    // Two jobs running the same cached controller at once: each has its own session.
    const [one, two] = await Promise.all([
      sample({ positive: source, attention_control: control }, 128),
      sample({ positive: source, attention_control: control }, 128),
    ]);
    expect(Array.from(one.samples.data)).toEqual(Array.from(first.samples.data));
    expect(Array.from(two.samples.data)).toEqual(Array.from(first.samples.data));
  });

  it("refuses a positive prompt that is not the controller's source, naming the input", async () => {
    const { control } = await controller({});
    const problem = await runNodeFailure(
      samplerNode,
      { pack, positive: negative, negative, latent: await emptyLatent(), attention_control: control },
      ctx,
    );
    expect(problem).toMatchObject({ input: "positive" });
  });

  it("Attention Maps draws each word's accumulated map over its picture, and names the tiles", async () => {
    const { control, source } = await controller({ threshold: 0.5 });
    const latent = await sample({ positive: source, attention_control: control });
    const images = (await runNode(vaeDecodeNode, { pack, latent }, ctx)).images as ImageBatch;
    const before = ctx.shown.length;
    const grid = (await runNode(attentionMapsNode, { latent, images, words: "cat, dog, subject", opacity: 1 }, ctx))
      .images as ImageBatch;
    // Source row: cat + local blend; edited row: <subject>, dog, local blend → 3 columns of 64 px, 2 rows.
    expect(grid.pixels.dims).toEqual([1, 3, 2 * 64 + 2, 3 * 64 + 2 * 2]);
    expect(ctx.shown.slice(before).flatMap((r) => r.text ?? [])).toEqual([
      "source: cat | local blend (5 calls)",
      "edited: <subject> | dog | local blend (5 calls)",
    ]);
    // At opacity 1 the "cat" tile is the heat colour of cat's map normalised to its maximum.
    const record = latent.attention!;
    const catKey = record.keyLabels[0].indexOf("cat");
    const plane = record.lowHeight * record.lowWidth;
    const map = Array.from({ length: plane }, (_, p) => record.accumulated[p * 77 + catKey]);
    const max = Math.max(...map);
    const width = grid.pixels.dims[3];
    const gridPlane = grid.pixels.dims[2] * width;
    for (const [y, x] of [
      [0, 0],
      [40, 20],
      [63, 63],
    ]) {
      const v = Math.fround(map[Math.floor(y / 32) * 2 + Math.floor(x / 32)] / max);
      const want = heatColour(v);
      for (let c = 0; c < 3; c++) expect(grid.pixels.data[c * gridPlane + y * width + x]).toBeCloseTo(want[c], 6);
    }
  });

  it("Attention Maps refuses a latent without maps, naming the input", async () => {
    const latent = await emptyLatent();
    const images = (await runNode(vaeDecodeNode, { pack, latent }, ctx)).images as ImageBatch;
    const problem = await runNodeFailure(attentionMapsNode, { latent, images }, ctx);
    expect(problem).toMatchObject({ input: "latent" });
  });

  it("reads reweight lists and refuses malformed ones at validation, naming what to write", () => {
    expect(parseReweight("dog:2, grass : 0.5")).toEqual([
      { word: "dog", scale: 2 },
      { word: "grass", scale: 0.5 },
    ]);
    expect(parseReweight("dog")).toMatch(/not word:scale/);
    expect(attentionControllerNode.validate?.({ reweight: "dog=2", edit: "warp" })).toEqual([
      'Unknown edit "warp"; choose refine, replace, reweight.',
      '"dog=2" is not word:scale (e.g. dog:2).',
    ]);
  });

  it("guides both rows with a wired ControlNet: at identity each row equals plain ControlNet sampling", async () => {
    const data = new Uint8Array(SIZE * SIZE * 3);
    for (let i = 0; i < SIZE * SIZE; i++)
      if (i % SIZE > SIZE / 3 && i % SIZE < SIZE / 2) data.fill(255, 3 * i, 3 * i + 3);
    const image = imageBatchFromRgb([{ width: SIZE, height: SIZE, data }], []);
    const control = (
      await runNode(controlNetApplyNode, { pack, control_net: "canny", image, strength: 1, start: 0, end: 1 }, ctx)
    ).control;
    const edit = await controller({ cross_replace_steps: 0, self_replace_steps: 0, local_blend: false });
    const both = await sample({ positive: edit.source, attention_control: edit.control, control });
    const plain = await sample({ positive: edit.source, control });
    expect(row(both, 0)).toEqual(row(plain, 0));
    const without = await sample({ positive: edit.source, attention_control: edit.control });
    expect(row(both, 1)).not.toEqual(row(without, 1));
  });
});

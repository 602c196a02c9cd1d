import { beforeAll, describe, expect, it } from "vitest";
import { floatTensor, intTensor, TorchGenerator, type FloatTensor, type IntTensor } from "@infix/engine";
import { emptyLatentNode } from "../latent/empty-latent.ts";
import { vaeDecodeNode } from "../latent/vae-decode.ts";
import { vaeEncodeNode } from "../latent/vae-encode.ts";
import type { ModelPack } from "../pack/types.ts";
import type {
  AttentionControl,
  Conditioning,
  ImageBatch,
  LatentBatch,
  SubjectEmbedding,
  UnetCallInfo,
} from "../sockets.ts";
import { subjectPromptNode } from "../text/subject-prompt-node.ts";
import { textEncodeNode } from "../text/text-encode.ts";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { tinyPack } from "../testing/tiny-pack.ts";
import { samplerNode } from "./sampler.ts";
import { createSamplingScheduler } from "./schedulers.ts";

let pack: ModelPack;
let positive: Conditioning;
let negative: Conditioning;
const ctx = createTestContext();
const SEED = 1234;
const SIZE = 32; // pixels: a 4×4 latent keeps each UNet call to milliseconds

beforeAll(async () => {
  pack = await tinyPack();
  const { num_query_tokens: q, text_hidden_size: d } = pack.manifest;
  const subject: SubjectEmbedding = {
    type: "SUBJECT",
    embedding: floatTensor(
      [q, d],
      Float32Array.from({ length: q * d }, (_, i) => Math.cos(i * 0.11)),
    ),
    packName: pack.manifest.name,
    packHash: pack.hash,
    category: "dog",
    sourceHashes: [],
  };
  positive = (await runNode(subjectPromptNode, { pack, subject, target_category: "dog", prompt: "on the beach" }, ctx))
    .conditioning as Conditioning;
  negative = (await runNode(textEncodeNode, { pack, text: "blurry" }, ctx)).conditioning as Conditioning;
});

async function emptyLatent(batch = 1): Promise<LatentBatch> {
  return (await runNode(emptyLatentNode, { pack, width: SIZE, height: SIZE, batch_size: batch }, ctx))
    .latent as LatentBatch;
}

/**
 * The scripted reference (MODEL_PACK.md, diffusers BlipDiffusionPipeline.__call__), written
 * without the node code: torch-seeded randn × init sigma, then per timestep one UNet call on
 * [uncond; cond] with zero ControlNet residuals and identity attention control, guidance,
 * scheduler step. `stepGenerator` feeds a stochastic scheduler's steps.
 */
async function referenceSample(
  steps: number,
  cfg: number,
  scheduler: string,
  stepGenerator?: TorchGenerator,
): Promise<Float32Array> {
  const { manifest } = pack;
  const h = SIZE / manifest.vae.scale_factor;
  const dims = [1, manifest.vae.latent_channels, h, h];
  const sched = createSamplingScheduler(scheduler, manifest.scheduler, steps);
  if (typeof sched === "string") throw new Error(sched);
  let latents = new TorchGenerator(SEED).randn(dims).map((v) => v * sched.initNoiseSigma);
  const guided = cfg > 1;
  const rows = guided ? 2 : 1;
  const text = guided
    ? new Float32Array([...negative.embedding.data, ...positive.embedding.data])
    : positive.embedding.data;
  const feeds: Record<string, FloatTensor | IntTensor> = {
    encoder_hidden_states: floatTensor([rows, 77, manifest.text_hidden_size], text),
    cross_attn_base: intTensor([rows], guided ? [0, 1] : [0]),
    cross_attn_map: floatTensor([rows, 77, 77]),
    cross_attn_keep: floatTensor([rows, 77], new Float32Array(rows * 77).fill(1)),
    self_attn_base: intTensor([rows], guided ? [0, 1] : [0]),
    self_attn_mix: floatTensor([rows]),
  };
  manifest.unet.controlnet_residual_shapes.forEach((shape, i) => {
    const side = Math.ceil(h / shape.downscale);
    feeds[shape.mid ? "mid_block_additional_residual" : `down_block_additional_residual_${i}`] = floatTensor([
      rows,
      shape.channels,
      side,
      side,
    ]);
  });
  for (const t of sched.timesteps) {
    const scaled = sched.scaleModelInput(latents, t);
    const input = guided ? new Float32Array([...scaled, ...scaled]) : scaled;
    const out = (
      await pack.run("unet", {
        ...feeds,
        sample: floatTensor([rows, ...dims.slice(1)], input),
        timestep: floatTensor([rows], new Float32Array(rows).fill(t)),
      })
    ).out_sample.data;
    const half = latents.length;
    // torch's float32 ops: uncond + g·(cond − uncond), each rounded to float32.
    const g = Math.fround(cfg);
    const noise = guided ? out.slice(0, half).map((u, i) => u + Math.fround(g * Math.fround(out[half + i] - u))) : out;
    latents = sched
      .step(noise, t, latents, stepGenerator && ((out: Float32Array) => stepGenerator.fillNormal(out)))
      .slice();
  }
  return latents;
}

async function sample(inputs: Record<string, unknown>, latent?: LatentBatch): Promise<LatentBatch> {
  const out = await runNode(
    samplerNode,
    { pack, positive, negative, latent: latent ?? (await emptyLatent()), seed: SEED, ...inputs },
    ctx,
  );
  return out.latent as LatentBatch;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe("Sampler", () => {
  it("equals the scripted reference pipeline with guidance 7.5 (PNDM, batched [uncond; cond])", async () => {
    const result = await sample({ steps: 4, cfg: 7.5, scheduler: "pndm" });
    const reference = await referenceSample(4, 7.5, "pndm");
    expect(result.samples.dims).toEqual([1, 4, 4, 4]);
    expect(maxDifference(result.samples.data, reference)).toBeLessThan(1e-5);
  });

  it("uses the conditional prediction only at guidance 1, and guidance changes the result", async () => {
    const plain = await sample({ steps: 3, cfg: 1, scheduler: "ddim" });
    expect(maxDifference(plain.samples.data, await referenceSample(3, 1, "ddim"))).toBeLessThan(1e-5);
    const guided = await sample({ steps: 3, cfg: 5, scheduler: "ddim" });
    expect(maxDifference(plain.samples.data, guided.samples.data)).toBeGreaterThan(1e-3);
  });

  it("reports progress and a latent preview every step", async () => {
    const before = ctx.previews.length;
    await sample({ steps: 3, cfg: 2, scheduler: "ddim" });
    expect(ctx.previews.length - before).toBe(3);
    expect(ctx.previews.at(-1)).toMatchObject({ width: 4, height: 4 });
    expect(ctx.progressTicks.slice(-3)).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it("counts PNDM's extra UNet call into the user's steps: 3 steps show x/3, ending on 3/3", async () => {
    const before = ctx.progressTicks.length;
    await sample({ steps: 3, cfg: 2, scheduler: "pndm" });
    const ticks = ctx.progressTicks.slice(before);
    expect(ticks.every(([, total]) => total === 3)).toBe(true);
    expect(ticks.at(-1)).toEqual([3, 3]);
  });

  it("starts image-to-image at the timestep the denoise strength picks (diffusers get_timesteps)", async () => {
    const seen: number[] = [];
    const watcher: AttentionControl = {
      type: "ATTENTION_CONTROL",
      feeds(call: UnetCallInfo) {
        seen.push(call.timestep);
        return null;
      },
    };
    const all = createSamplingScheduler("ddim", pack.manifest.scheduler, 10);
    if (typeof all === "string") throw new Error(all);
    const start = await emptyLatent();
    await sample({ steps: 10, cfg: 1, scheduler: "ddim", denoise: 0.6, attention_control: watcher }, start);
    // int(10 · 0.6) = 6 steps run: the last six of the ten timesteps.
    expect(seen).toEqual(Array.from(all.timesteps).slice(4));
  });

  it("returns the input latents unchanged at denoise 0", async () => {
    const input: LatentBatch = {
      type: "LATENT",
      samples: floatTensor(
        [1, 4, 4, 4],
        Float32Array.from({ length: 64 }, (_, i) => (i % 7) / 7),
      ),
    };
    const kept = await sample({ steps: 5, cfg: 1, scheduler: "ddim", denoise: 0 }, input);
    expect(Array.from(kept.samples.data)).toEqual(Array.from(input.samples.data));
  });

  it("rejects an unknown scheduler at validation and at the node, naming the input", async () => {
    expect(samplerNode.validate?.({ scheduler: "warp-drive" })[0]).toMatch(/Unknown scheduler "warp-drive"/);
    const problem = await runNodeFailure(
      samplerNode,
      { pack, positive, negative, latent: await emptyLatent(), scheduler: "warp-drive" },
      ctx,
    );
    expect(problem).toMatchObject({ input: "scheduler", nodeId: "n1" });
  });

  it("stops when the job is cancelled", async () => {
    const cancelCtx = createTestContext();
    cancelCtx.abort.abort();
    await expect(
      runNode(
        samplerNode,
        { pack, positive, negative, latent: await emptyLatent(), steps: 3, scheduler: "ddim" },
        cancelCtx,
      ),
    ).rejects.toThrow();
  });

  it("names the pack and graph when the UNet cannot run", async () => {
    const run: ModelPack["run"] = (graph, feeds, signal) =>
      graph === "unet" ? Promise.reject(new Error("file missing")) : pack.run(graph, feeds, signal);
    const broken: ModelPack = Object.assign(Object.create(pack) as ModelPack, { run });
    const problem = await runNodeFailure(
      samplerNode,
      { pack: broken, positive, negative, latent: await emptyLatent(), steps: 2, scheduler: "ddim" },
      ctx,
    );
    expect(problem).toMatchObject({ input: "pack" });
    expect(problem.message).toMatch(/could not run unet.onnx: file missing/);
  });
});

describe("VAE Decode and VAE Encode", () => {
  it("decodes latents / scaling_factor and maps (x/2 + 0.5) into [0,1]", async () => {
    const latent = await sample({ steps: 2, cfg: 1, scheduler: "ddim" });
    const { images } = (await runNode(vaeDecodeNode, { pack, latent }, ctx)) as { images: ImageBatch };
    const scaled = latent.samples.data.map((v) => v / pack.manifest.vae.scaling_factor);
    const raw = (await pack.run("vae_decoder", { latent_sample: floatTensor(latent.samples.dims, scaled) })).sample
      .data;
    const expected = raw.map((x) => Math.min(1, Math.max(0, x / 2 + 0.5)));
    expect(images.pixels.dims).toEqual([1, 3, SIZE, SIZE]);
    expect(maxDifference(images.pixels.data, expected)).toBeLessThan(1e-6);
  });

  it("encodes images to the mean latent × scaling_factor", async () => {
    const pixels = floatTensor(
      [1, 3, SIZE, SIZE],
      Float32Array.from({ length: 3 * SIZE * SIZE }, (_, i) => (i % 13) / 12),
    );
    const images: ImageBatch = { type: "IMAGE", pixels, sourceHashes: [] };
    const { latent } = (await runNode(vaeEncodeNode, { pack, images }, ctx)) as { latent: LatentBatch };
    const mean = (
      await pack.run("vae_encoder", {
        sample: floatTensor(
          pixels.dims,
          pixels.data.map((v) => 2 * v - 1),
        ),
      })
    ).latent_mean.data;
    expect(latent.samples.dims).toEqual([1, 4, 4, 4]);
    expect(
      maxDifference(
        latent.samples.data,
        mean.map((v) => v * pack.manifest.vae.scaling_factor),
      ),
    ).toBeLessThan(1e-6);
  });

  it("refuses a pack without vae_encoder.onnx and pictures of the wrong size", async () => {
    const images: ImageBatch = { type: "IMAGE", pixels: floatTensor([1, 3, 30, 32]), sourceHashes: [] };
    const noEncoder: ModelPack = Object.assign(Object.create(pack) as ModelPack, {
      hasGraph: (graph: string) => graph !== "vae_encoder",
    });
    expect((await runNodeFailure(vaeEncodeNode, { pack: noEncoder, images }, ctx)).message).toMatch(
      /has no vae_encoder.onnx/,
    );
    expect(await runNodeFailure(vaeEncodeNode, { pack, images }, ctx)).toMatchObject({
      input: "images",
      found: "32×30",
    });
  });
});

describe("Sampler input checks", () => {
  it("names the input when the conditioning comes from a pack of another width", async () => {
    const wide: Conditioning = { ...positive, embedding: floatTensor([1, 77, 768]) };
    const problem = await runNodeFailure(
      samplerNode,
      { pack, positive: wide, negative, latent: await emptyLatent(), steps: 1, scheduler: "ddim" },
      ctx,
    );
    expect(problem).toMatchObject({ input: "positive", expected: "[B,77,32]", found: "[1,77,768]" });
  });

  it("repeats a one-row conditioning over a latent batch of two; row 0 equals the batch-one run", async () => {
    const two = await sample({ steps: 2, cfg: 3, scheduler: "ddim" }, await emptyLatent(2));
    const one = await sample({ steps: 2, cfg: 3, scheduler: "ddim" }, await emptyLatent(1));
    expect(two.samples.dims).toEqual([2, 4, 4, 4]);
    // torch's randn fills 16-value blocks in order, so the first 64 values of [2,4,4,4] noise are [1,4,4,4]'s.
    expect(maxDifference(two.samples.data.subarray(0, 64), one.samples.data)).toBeLessThan(1e-4);
    // Different noise per row (one randn over [2,4,4,4]) gives different rows.
    expect(maxDifference(two.samples.data.subarray(0, 64), two.samples.data.subarray(64))).toBeGreaterThan(1e-3);
  });
});

describe("Sampler noise input", () => {
  const seededNoise = (batch = 1): LatentBatch => ({
    type: "LATENT",
    samples: floatTensor([batch, 4, 4, 4], new TorchGenerator(SEED).randn([batch, 4, 4, 4])),
  });

  it("given the seed's own randn as noise, equals the seeded run bit for bit (PNDM)", async () => {
    const seeded = await sample({ steps: 4, cfg: 7.5, scheduler: "pndm" });
    const fed = await sample({ steps: 4, cfg: 7.5, scheduler: "pndm", noise: seededNoise(), seed: 999 });
    expect(Array.from(fed.samples.data)).toEqual(Array.from(seeded.samples.data));
  });

  it("ancestral steps draw from the seed's fresh stream when noise is given, as diffusers does with latents=", async () => {
    const fed = await sample({ steps: 3, cfg: 3, scheduler: "euler_ancestral", noise: seededNoise() });
    const seeded = await sample({ steps: 3, cfg: 3, scheduler: "euler_ancestral" });
    // diffusers, latents= passed: the generator is untouched by prepare_latents, so step noise starts at draw 0.
    const fresh = await referenceSample(3, 3, "euler_ancestral", new TorchGenerator(SEED));
    expect(Array.from(fed.samples.data)).toEqual(Array.from(fresh));
    // Seeded run: prepare_latents consumed the first randn of the latent's size, step noise continues after it.
    const continued = new TorchGenerator(SEED);
    continued.randn([1, 4, 4, 4]);
    expect(Array.from(seeded.samples.data)).toEqual(
      Array.from(await referenceSample(3, 3, "euler_ancestral", continued)),
    );
    expect(maxDifference(fed.samples.data, seeded.samples.data)).toBeGreaterThan(1e-3);
  });

  it("at denoise < 1 noises the input latents with the given noise instead of the seed's", async () => {
    const input: LatentBatch = {
      type: "LATENT",
      samples: floatTensor(
        [1, 4, 4, 4],
        Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)),
      ),
    };
    const seeded = await sample({ steps: 4, cfg: 2, scheduler: "ddim", denoise: 0.5 }, input);
    const fed = await sample(
      { steps: 4, cfg: 2, scheduler: "ddim", denoise: 0.5, noise: seededNoise(), seed: 7 },
      input,
    );
    expect(Array.from(fed.samples.data)).toEqual(Array.from(seeded.samples.data));
    const other: LatentBatch = {
      type: "LATENT",
      samples: floatTensor([1, 4, 4, 4], new TorchGenerator(SEED + 1).randn([1, 4, 4, 4])),
    };
    const changed = await sample({ steps: 4, cfg: 2, scheduler: "ddim", denoise: 0.5, noise: other }, input);
    expect(maxDifference(changed.samples.data, seeded.samples.data)).toBeGreaterThan(1e-3);
  });

  it("refuses noise of another shape, naming the input, expected and found dims", async () => {
    const problem = await runNodeFailure(
      samplerNode,
      { pack, positive, negative, latent: await emptyLatent(), noise: seededNoise(2), steps: 2, scheduler: "ddim" },
      ctx,
    );
    expect(problem).toMatchObject({ nodeId: "n1", input: "noise", expected: "[1,4,4,4]", found: "[2,4,4,4]" });
  });
});

describe("Sampler noise mask", () => {
  it("changes only where the mask is 1 and returns the original latents where it is 0", async () => {
    const original = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
    // Per 4×4 plane: left two columns 1 (denoise), right two 0 (keep).
    const mask = floatTensor(
      [1, 1, 4, 4],
      Float32Array.from({ length: 16 }, (_, p) => (p % 4 < 2 ? 1 : 0)),
    );
    const input: LatentBatch = { type: "LATENT", samples: floatTensor([1, 4, 4, 4], original), noiseMask: mask };
    const result = await sample({ steps: 4, cfg: 2, scheduler: "ddim", denoise: 0.5 }, input);
    let changed = 0;
    for (let i = 0; i < 64; i++) {
      if (i % 4 < 2) changed = Math.max(changed, Math.abs(result.samples.data[i] - original[i]));
      else expect(result.samples.data[i]).toBe(original[i]);
    }
    expect(changed).toBeGreaterThan(1e-3);
    expect(result.noiseMask).toBe(mask);
  });

  it("refuses a mask of another size, naming the latent input", async () => {
    const input: LatentBatch = {
      type: "LATENT",
      samples: floatTensor([1, 4, 4, 4]),
      noiseMask: floatTensor([1, 1, 8, 8]),
    };
    const problem = await runNodeFailure(
      samplerNode,
      { pack, positive, negative, latent: input, steps: 2, scheduler: "ddim" },
      ctx,
    );
    expect(problem).toMatchObject({ input: "latent", expected: "[1,1,4,4]", found: "[1,1,8,8]" });
  });
});

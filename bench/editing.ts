/**
 * Editing costs on the generated packs (CPU): a prompt-to-prompt edit (two rows in one guided
 * batch, attention control, local blend) against a plain generation of the same size and
 * steps, and the local blend's per-step work against one UNet call of the edit's batch. The
 * issue's targets: edit ≤ 2.1× plain, local blend < 5% of a UNet step. Also states the DDIM
 * inversion round trip's error on the tiny pack (random weights: not a smooth denoiser).
 * Run alone with `npx tsx bench/editing.ts`.
 */
import { performance } from "node:perf_hooks";
import { floatTensor } from "@infix/engine";
import { attentionControllerNode } from "../nodes/src/editing/attention-controller-node.ts";
import type { AttentionEdit } from "../nodes/src/editing/attention-edit.ts";
import { ddimInversionNode } from "../nodes/src/editing/ddim-inversion-node.ts";
import { createEditSession } from "../nodes/src/editing/edit-session.ts";
import { emptyLatentNode } from "../nodes/src/latent/empty-latent.ts";
import { vaeEncodeNode } from "../nodes/src/latent/vae-encode.ts";
import { loadPack } from "../nodes/src/pack/loader.ts";
import { ensureTinyPack } from "../nodes/src/pack/tiny/index.ts";
import type { ModelPack } from "../nodes/src/pack/types.ts";
import { samplerNode } from "../nodes/src/sampling/sampler.ts";
import { attentionControlInputs, zeroControlResiduals } from "../nodes/src/sampling/unet-feeds.ts";
import type { Conditioning, ImageBatch, LatentBatch, SubjectEmbedding } from "../nodes/src/sockets.ts";
import { textEncodeNode } from "../nodes/src/text/text-encode.ts";
import { createTestContext, runNode } from "../nodes/src/testing/test-context.ts";

export interface EditingTiming {
  pack: string;
  size: number;
  steps: number;
  plainMs: number;
  editMs: number;
  ratio: number;
  unetCallMs: number;
  blendMs: number;
  blendShare: number;
}

/** The small pack's UNet call takes seconds on a shared CPU: fewer steps and repeats keep the bench to a few minutes. */
const SETTINGS = {
  tiny: { size: 64, steps: 25, repeats: 3 },
  small: { size: 256, steps: 10, repeats: 1 },
} as const;

async function best(run: () => Promise<unknown>, repeats: number): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

async function benchPack(id: "tiny" | "small"): Promise<EditingTiming> {
  const pack = await loadPack(await ensureTinyPack({ size: id }), { id, embedded: true });
  const { size, steps, repeats } = SETTINGS[id];
  const ctx = createTestContext();
  const { num_query_tokens: q, text_hidden_size: d, text_max_length: keys } = pack.manifest;
  const subject: SubjectEmbedding = {
    type: "SUBJECT",
    embedding: floatTensor(
      [q, d],
      Float32Array.from({ length: q * d }, (_, i) => Math.sin(i)),
    ),
    packName: pack.manifest.name,
    packHash: pack.hash,
    category: "dog",
    sourceHashes: [],
  };
  const made = await runNode(attentionControllerNode, { pack, subject, threshold: 0.5 }, ctx);
  const control = made.control as AttentionEdit;
  const negative = (await runNode(textEncodeNode, { pack, text: "blurry" }, ctx)).conditioning as Conditioning;
  const latent = (await runNode(emptyLatentNode, { pack, width: size, height: size, batch_size: 1 }, ctx))
    .latent as LatentBatch;
  const base = { pack, positive: made.source, negative, latent, steps, cfg: 7.5, scheduler: "pndm", seed: 1 };
  // Warm both batch shapes' sessions first (one UNet call each).
  await runNode(samplerNode, { ...base, steps: 1 }, ctx);
  await runNode(samplerNode, { ...base, steps: 1, attention_control: control }, ctx);
  const plainMs = await best(() => runNode(samplerNode, base, ctx), repeats);
  const editMs = await best(() => runNode(samplerNode, { ...base, attention_control: control }, ctx), repeats);

  // One UNet call of the edit's 4-row batch, and the local blend's work after one step.
  const h = size / pack.manifest.vae.scale_factor;
  const session = createEditSession(control, { steps, guided: true, keys, channels: 4, height: h, width: h });
  const call = {
    step: 0,
    totalSteps: steps + 1,
    guided: true,
    timestep: 500,
    sample: floatTensor(
      [4, 4, h, h],
      Float32Array.from({ length: 16 * h * h }, (_, i) => Math.cos(i)),
    ),
    encoderHiddenStates: floatTensor([4, keys, d]),
    signal: ctx.signal,
  };
  const feeds = {
    sample: call.sample,
    timestep: floatTensor([4], new Float32Array(4).fill(500)),
    encoder_hidden_states: floatTensor([4, keys, d]),
    ...zeroControlResiduals(pack.manifest, 4, h, h),
    ...attentionControlInputs(session.feeds(call), 4, keys),
  };
  const outputs = await pack.run("unet", feeds);
  const unetCallMs = await best(() => pack.run("unet", feeds), 3);
  const lowres = outputs.cross_attn_lowres;
  const latents = floatTensor([2, 4, h, h], new Float32Array(2 * 4 * h * h).fill(0.5));
  const rounds = 200;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    session.feeds({ ...call, step: i % steps });
    session.observe!(lowres, latents, call);
  }
  const blendMs = (performance.now() - start) / rounds;
  return {
    pack: id,
    size,
    steps,
    plainMs,
    editMs,
    ratio: editMs / plainMs,
    unetCallMs,
    blendMs,
    blendShare: blendMs / unetCallMs,
  };
}

/** DDIM inversion then sampling back at guidance 1 on the tiny pack: max |Δ| against the picture's latents. */
async function inversionRoundTrip(pack: ModelPack, steps: number): Promise<number> {
  const ctx = createTestContext();
  const size = 64;
  const pixels = Float32Array.from({ length: 3 * size * size }, (_, i) => 0.5 + 0.4 * Math.sin(i / 97));
  const images: ImageBatch = { type: "IMAGE", pixels: floatTensor([1, 3, size, size], pixels), sourceHashes: [] };
  const latent = (await runNode(vaeEncodeNode, { pack, images, mode: "mean" }, ctx)).latent as LatentBatch;
  const made = await runNode(attentionControllerNode, { pack, start: "inverted", local_blend: false }, ctx);
  const noise = (await runNode(ddimInversionNode, { pack, latent, conditioning: made.inversion, steps }, ctx))
    .noise as LatentBatch;
  const negative = (await runNode(textEncodeNode, { pack, text: "" }, ctx)).conditioning as Conditioning;
  const out = (
    await runNode(
      samplerNode,
      { pack, positive: made.source, negative, latent, noise, steps, cfg: 1, attention_control: made.control },
      ctx,
    )
  ).latent as LatentBatch;
  let worst = 0;
  latent.samples.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(out.samples.data[i] - v))));
  return worst;
}

/** Runs the benchmark and prints one line per pack. */
export async function benchEditing(options: { packs?: readonly ("tiny" | "small")[] } = {}): Promise<EditingTiming[]> {
  const timings: EditingTiming[] = [];
  for (const id of options.packs ?? (["tiny", "small"] as const)) {
    const t = await benchPack(id);
    timings.push(t);
    console.log(
      `editing ${t.pack} ${t.size}px ${t.steps} steps: plain ${t.plainMs.toFixed(0)} ms, edit ${t.editMs.toFixed(0)} ms, ` +
        `edit/plain ${t.ratio.toFixed(2)}× (target ≤ 2.1×); local blend ${t.blendMs.toFixed(3)} ms/step = ` +
        `${(100 * t.blendShare).toFixed(2)}% of a ${t.unetCallMs.toFixed(1)} ms UNet call (target < 5%)`,
    );
  }
  const tiny = await loadPack(await ensureTinyPack(), { id: "tiny", embedded: true });
  for (const steps of [25, 50]) {
    const error = await inversionRoundTrip(tiny, steps);
    console.log(
      `editing tiny: DDIM inversion → sampling at guidance 1, ${steps} steps: max |Δ latents| ${error.toFixed(3)}`,
    );
  }
  return timings;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchEditing();

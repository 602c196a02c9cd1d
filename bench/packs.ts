import { performance } from "node:perf_hooks";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as ort from "onnxruntime-node";
import { configFor, type TinyPackSize } from "../nodes/src/pack/tiny/config.ts";
import { ensureTinyPack } from "../nodes/src/pack/tiny/index.ts";
import {
  denoiserInputs,
  filledFloats,
  identityControl,
  int64s,
  randomFloats,
  zeroResiduals,
  type OrtFeeds,
} from "../nodes/src/pack/tiny/test-feeds.ts";

/**
 * Latency of each graph of the generated packs on onnxruntime-node (CPU), and of one
 * sampler-step-sized UNet call (batch 2: classifier-free guidance) at the pack's default size.
 * Median of `runs` calls after one warm-up call.
 */

interface Case {
  readonly label: string;
  readonly file: string;
  readonly feeds: OrtFeeds;
}

function casesFor(size: TinyPackSize): Case[] {
  const config = configFor(size);
  const S = config.vision.imageSize;
  const Q = config.numQueryTokens;
  const D = config.textHiddenSize;
  const H = config.unet.defaultSize;
  const h = H / 8;
  const step = { ...denoiserInputs(config, 2, h, h), ...zeroResiduals(config, 2, h, h), ...identityControl(2) };
  return [
    {
      label: "qformer B1",
      file: "qformer.onnx",
      feeds: {
        pixel_values: randomFloats([1, 3, S, S], 1),
        input_ids: int64s([1, 4], [2, 40, 41, 3]),
        attention_mask: int64s([1, 4], [1, 1, 1, 1]),
      },
    },
    {
      label: "text_encoder B1 L61+C16",
      file: "text_encoder.onnx",
      feeds: {
        input_ids: int64s([1, 61], new Array(61).fill(300)),
        ctx_embeddings: randomFloats([1, Q, D], 2),
        ctx_begin_pos: int64s([1], [2]),
      },
    },
    { label: `unet B2 ${H}px (sampler step)`, file: "unet.onnx", feeds: step },
    {
      label: `controlnet B2 ${H}px`,
      file: "controlnet/canny.onnx",
      feeds: {
        ...denoiserInputs(config, 2, h, h),
        controlnet_cond: randomFloats([2, 3, H, H], 3),
        conditioning_scale: filledFloats([1], 1),
      },
    },
    {
      label: `vae_decoder B1 ${H}px`,
      file: "vae_decoder.onnx",
      feeds: { latent_sample: randomFloats([1, 4, h, h], 4) },
    },
    { label: `vae_encoder B1 ${H}px`, file: "vae_encoder.onnx", feeds: { sample: randomFloats([1, 3, H, H], 5, 0.5) } },
  ];
}

/** Benchmarks the tiny and small packs and prints one line per graph. */
export async function benchPacks(options: { sizes?: readonly TinyPackSize[]; runs?: number } = {}): Promise<void> {
  const runs = options.runs ?? 10;
  for (const size of options.sizes ?? (["tiny", "small"] as const)) {
    const started = performance.now();
    const dir = await ensureTinyPack({ size });
    console.log(`pack ${size}: ready in ${(performance.now() - started).toFixed(0)} ms (${dir})`);
    for (const c of casesFor(size)) {
      const session = await ort.InferenceSession.create(join(dir, c.file));
      await session.run(c.feeds);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await session.run(c.feeds);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      console.log(
        `  ${size.padEnd(5)} ${c.label.padEnd(32)} median ${times[Math.floor(runs / 2)].toFixed(2).padStart(8)} ms   min ${times[0].toFixed(2).padStart(8)} ms`,
      );
      await session.release();
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await benchPacks();

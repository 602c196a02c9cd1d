import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPack } from "../loader.ts";
import { PackManifestSchema } from "../manifest.ts";
import { TINY_CONFIG } from "./config.ts";
import { ensureTinyPack, TINY_PACK_ID } from "./index.ts";
import {
  allFinite,
  denoiserInputs,
  filledFloats,
  identityControl,
  int64s,
  randomFloats,
  zeroResiduals,
} from "./test-feeds.ts";

let cacheDir: string;

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), "infix-tiny-pack-"));
});
afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

async function hashFolder(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (folder: string) => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else
        out[relative(dir, path)] = createHash("sha256")
          .update(await readFile(path))
          .digest("hex");
    }
  };
  await walk(dir);
  return out;
}

describe("ensureTinyPack", () => {
  it("builds one complete pack even when called concurrently, and reuses it", async () => {
    const dirs = await Promise.all([
      ensureTinyPack({ cacheDir }),
      ensureTinyPack({ cacheDir }),
      ensureTinyPack({ cacheDir }),
    ]);
    expect(new Set(dirs).size).toBe(1);
    expect(await ensureTinyPack({ cacheDir })).toBe(dirs[0]);
    const entries = await readdir(cacheDir);
    expect(entries.filter((e) => e.startsWith(".tmp"))).toEqual([]);
    expect(TINY_PACK_ID).toBe("tiny");
  });

  it("writes the same bytes every time", async () => {
    const other = await mkdtemp(join(tmpdir(), "infix-tiny-pack-again-"));
    try {
      const first = await hashFolder(await ensureTinyPack({ cacheDir }));
      const second = await hashFolder(await ensureTinyPack({ cacheDir: other }));
      expect(Object.keys(first).sort()).toEqual([
        "controlnet/canny.onnx",
        "manifest.json",
        "qformer.onnx",
        "qformer_tokenizer/tokenizer_config.json",
        "qformer_tokenizer/vocab.txt",
        "text_encoder.onnx",
        "tokenizer/merges.txt",
        "tokenizer/special_tokens_map.json",
        "tokenizer/tokenizer_config.json",
        "tokenizer/vocab.json",
        "unet.onnx",
        "vae_decoder.onnx",
        "vae_encoder.onnx",
      ]);
      expect(second).toEqual(first);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("writes a manifest that follows the schema and a pack the loader accepts", async () => {
    const dir = await ensureTinyPack({ cacheDir });
    const manifest = PackManifestSchema.parse(JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")));
    expect(manifest.num_query_tokens).toBe(16);
    expect(manifest.text_hidden_size).toBe(TINY_CONFIG.textHiddenSize);
    // conv_in + 1 per layer in 4 blocks + 3 downsamples = 8 down residuals, then the mid.
    expect(manifest.unet.controlnet_residuals).toBe(8);
    expect(manifest.unet.controlnet_residual_shapes.at(-1)).toEqual({ channels: 64, downscale: 8, mid: true });
    expect(manifest.scheduler).toMatchObject({ beta_schedule: "scaled_linear", skip_prk_steps: true, steps_offset: 0 });
    const pack = await loadPack(dir, { id: TINY_PACK_ID, embedded: true });
    expect(pack.manifest.name).toMatch(/^tiny/);
    const clip = await pack.clipTokenizer();
    expect(clip.encode("a photo of a dog").ids).toHaveLength(2 + 5);
  });
});

describe("the tiny pack's graphs from disk", () => {
  const sessions = new Map<string, ort.InferenceSession>();
  const session = async (dir: string, file: string) => {
    const existing = sessions.get(file);
    if (existing) return existing;
    const created = await ort.InferenceSession.create(join(dir, file));
    sessions.set(file, created);
    return created;
  };

  it("all run at batch 1 and 4 at 64 and 96 px with finite outputs", async () => {
    const dir = await ensureTinyPack({ cacheDir });
    const D = TINY_CONFIG.textHiddenSize;
    for (const batch of [1, 4]) {
      const q = await (
        await session(dir, "qformer.onnx")
      ).run({
        pixel_values: randomFloats([batch, 3, 32, 32], 1),
        input_ids: int64s([batch, 3], new Array(3 * batch).fill(2)),
        attention_mask: int64s([batch, 3], new Array(3 * batch).fill(1)),
      });
      expect(q.ctx_embeddings.dims).toEqual([batch, 16, D]);
      const text = await (
        await session(dir, "text_encoder.onnx")
      ).run({
        input_ids: int64s([batch, 61], new Array(61 * batch).fill(300)),
        ctx_embeddings: q.ctx_embeddings,
        ctx_begin_pos: int64s([1], [2]),
      });
      expect(text.last_hidden_state.dims).toEqual([batch, 77, D]);
      for (const size of [64, 96]) {
        const h = size / 8;
        const denoiser = { ...denoiserInputs(TINY_CONFIG, batch, h, h), encoder_hidden_states: text.last_hidden_state };
        const control = await (
          await session(dir, "controlnet/canny.onnx")
        ).run({
          ...denoiser,
          controlnet_cond: randomFloats([batch, 3, size, size], 2),
          conditioning_scale: filledFloats([1], 1),
        });
        const unet = await (
          await session(dir, "unet.onnx")
        ).run({ ...denoiser, ...zeroResiduals(TINY_CONFIG, batch, h, h), ...identityControl(batch) });
        expect(unet.out_sample.dims).toEqual([batch, 4, h, h]);
        expect(Object.values(control).every(allFinite)).toBe(true);
        const image = await (await session(dir, "vae_decoder.onnx")).run({ latent_sample: unet.out_sample });
        expect(image.sample.dims).toEqual([batch, 3, size, size]);
        const latent = await (await session(dir, "vae_encoder.onnx")).run({ sample: image.sample });
        expect(latent.latent_mean.dims).toEqual([batch, 4, h, h]);
        expect(allFinite(latent.latent_mean) && allFinite(image.sample)).toBe(true);
      }
    }
    for (const s of sessions.values()) await s.release();
  });
});

describe("ensureTinyPack recovery", () => {
  it("replaces a pack folder that lacks its manifest and clears stale temporary folders", async () => {
    const dir = await ensureTinyPack({ cacheDir });
    await unlink(join(dir, "manifest.json"));
    const stale = join(cacheDir, ".tmp-tiny-1-dead");
    await mkdir(stale);
    await writeFile(join(stale, "unet.onnx"), "half");
    const longAgo = new Date(Date.now() - 3600_000);
    await utimes(stale, longAgo, longAgo);
    expect(await ensureTinyPack({ cacheDir })).toBe(dir);
    expect(JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")).format).toBe("blip-diffusion-onnx");
    expect(await readdir(cacheDir)).not.toContain(".tmp-tiny-1-dead");
  });
});

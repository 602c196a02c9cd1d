import { mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { floatTensor, intTensor } from "@infix/engine";
import { SessionPool } from "@infix/engine/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileDigestCache } from "./content-hash.ts";
import { loadPack, PackLoadError, type PackProblem } from "./loader.ts";
import { stubManifest, writeStubPack, type StubPackOptions } from "./testing/stub-pack.ts";
import { ensureTinyPack } from "./tiny/index.ts";
import type { PackManifest } from "./manifest.ts";

let root: string;
let counter = 0;
const pool = new SessionPool();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "infix-loader-"));
});
afterAll(async () => {
  await pool.releaseIdle();
  await rm(root, { recursive: true, force: true });
});

async function stubPack(manifest: PackManifest = stubManifest(), options: StubPackOptions = {}): Promise<string> {
  const dir = join(root, `pack${counter++}`);
  await writeStubPack(dir, manifest, options);
  return dir;
}

async function problemsOf(dir: string): Promise<PackProblem[]> {
  const error = await loadPack(dir, { pool }).catch((e: unknown) => e);
  if (!(error instanceof PackLoadError)) throw new Error(`expected a PackLoadError, got ${String(error)}`);
  return [...error.problems];
}

describe("loadPack on a good pack", () => {
  it("loads, hashes, knows its graphs and runs one through the session pool", async () => {
    const dir = await stubPack(stubManifest(), { omit: ["vae_encoder.onnx"] });
    const pack = await loadPack(dir, { pool, id: "stub" });
    expect(pack.id).toBe("stub");
    expect(pack.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(pack.diskBytes).toBeGreaterThan(0);
    expect(pack.hasGraph("unet")).toBe(true);
    expect(pack.hasGraph("vae_encoder")).toBe(false);
    // The stub decoder is an Identity: latents come back unchanged.
    const latents = floatTensor(
      [1, 4, 2, 2],
      Float32Array.from({ length: 16 }, (_, i) => i / 4),
    );
    const { sample } = await pack.run("vae_decoder", { latent_sample: latents });
    expect(Array.from(sample.data)).toEqual(Array.from(latents.data));
    await expect(pack.run("vae_encoder", { sample: latents })).rejects.toThrow(/cannot encode images/);
  });

  it("loads tokenizers lazily and once", async () => {
    const dir = await stubPack();
    const pack = await loadPack(dir, { pool });
    const clip = await pack.clipTokenizer();
    expect(await pack.clipTokenizer()).toBe(clip);
    expect(clip.encode("a cat").ids).toEqual([6, 1, 2, 7]);
    expect((await pack.bertTokenizer()).encode("Dog").ids).toEqual([2, 5, 3]);
  });

  it("gives equal content the same hash and a changed file a new one, using cached digests by size and mtime", async () => {
    const a = await loadPack(await stubPack(), { pool });
    const dirB = await stubPack();
    const manifestPath = join(dirB, "manifest.json");
    const fixedTime = new Date("2024-01-01T00:00:00Z"); // whole seconds, so it can be set again exactly
    await utimes(manifestPath, fixedTime, fixedTime);
    const b = await loadPack(dirB, { pool, digestCache: new FileDigestCache(join(root, "digests.json")) });
    expect(b.hash).toBe(a.hash);

    // Same size and mtime, different bytes: the cached digest is trusted (this is the speed-up),
    // also by a fresh cache object reading the digests file.
    const text = JSON.stringify(stubManifest({ name: "stub pacK" }), null, 2);
    await writeFile(manifestPath, text);
    await utimes(manifestPath, fixedTime, fixedTime);
    const fromCache = await loadPack(dirB, { pool, digestCache: new FileDigestCache(join(root, "digests.json")) });
    expect(fromCache.hash).toBe(a.hash);
    // A new mtime makes it rehash.
    await utimes(manifestPath, fixedTime, new Date(fixedTime.getTime() + 5000));
    const rehashed = await loadPack(dirB, { pool, digestCache: new FileDigestCache(join(root, "digests.json")) });
    expect(rehashed.hash).not.toBe(a.hash);
  });

  it("accepts optional capabilities when the manifest turns them on or off consistently", async () => {
    const noControl = stubManifest({ unet: { ...stubManifest().unet, attention_control: false } });
    await expect(loadPack(await stubPack(noControl), { pool })).resolves.toBeDefined();
    const withControlnet = stubManifest({
      unet: {
        ...stubManifest().unet,
        controlnet_residuals: 2,
        controlnet_residual_shapes: [
          { channels: 4, downscale: 1 },
          { channels: 8, downscale: 2 },
          { channels: 8, downscale: 2, mid: true },
        ],
      },
      controlnets: [{ name: "canny", file: "controlnet/canny.onnx", preprocessor: "canny" }],
    });
    const pack = await loadPack(await stubPack(withControlnet), { pool });
    expect(pack.hasGraph("controlnet/canny")).toBe(true);
    const half = stubManifest({ dtypes: { unet: "float16" } });
    await expect(loadPack(await stubPack(half), { pool })).resolves.toBeDefined();
  });

  it("feeds a float16 graph float32 tensors and gives float32 back, rounded through half precision", async () => {
    const pack = await loadPack(await stubPack(stubManifest({ dtypes: { vae_decoder: "float16" } })), { pool });
    // The stub decoder is an Identity in float16: 0.1 comes back as the nearest half, 0.0999755859375.
    const { sample } = await pack.run("vae_decoder", {
      latent_sample: floatTensor([1, 4, 1, 1], Float32Array.of(0.1, 1, -2, 65504)),
    });
    expect(sample.data).toBeInstanceOf(Float32Array);
    expect(Array.from(sample.data)).toEqual([0.0999755859375, 1, -2, 65504]);
  });
});

describe("loadPack on a bad pack", () => {
  it("names a missing manifest, bad JSON and a bad field", async () => {
    const empty = join(root, "empty");
    await writeStubPack(empty, stubManifest(), { omit: ["manifest.json"] });
    expect((await problemsOf(empty))[0]).toMatchObject({ code: "missing-manifest", file: "manifest.json" });

    const dir = await stubPack();
    await writeFile(join(dir, "manifest.json"), "{ not json");
    expect((await problemsOf(dir))[0].message).toMatch(/^manifest\.json: not valid JSON/);

    await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...stubManifest(), text_hidden_size: "768" }));
    const [problem] = await problemsOf(dir);
    expect(problem.code).toBe("bad-manifest");
    expect(problem.message).toMatch(/^manifest\.json: field 'text_hidden_size': .*number/);
  });

  it("names a missing required graph", async () => {
    const problems = await problemsOf(await stubPack(stubManifest(), { omit: ["unet.onnx"] }));
    expect(problems).toEqual([
      expect.objectContaining({
        code: "missing-graph",
        file: "unet.onnx",
        message: "unet.onnx: missing (the unet graph is required)",
      }),
    ]);
  });

  it("names a wrong element type with expected and found", async () => {
    const dir = await stubPack(stubManifest(), {
      edit: {
        "unet.onnx": (g) => ({
          ...g,
          inputs: g.inputs.map((t) => (t.name === "timestep" ? { ...t, type: "int64" } : t)),
        }),
      },
    });
    const problems = await problemsOf(dir);
    expect(problems.map((p) => p.message)).toEqual([
      "unet.onnx: input 'timestep' should be float32 of rank 1, found int64 of rank 1",
    ]);
    expect(problems[0]).toMatchObject({ tensor: "timestep", expected: "float32 of rank 1", found: "int64 of rank 1" });
  });

  it("names a wrong rank", async () => {
    const dir = await stubPack(stubManifest(), {
      edit: { "qformer.onnx": (g) => ({ ...g, outputs: g.outputs.map((t) => ({ ...t, rank: 2 })) }) },
    });
    expect((await problemsOf(dir)).map((p) => p.message)).toEqual([
      "qformer.onnx: output 'ctx_embeddings' should be float32 of rank 3, found float32 of rank 2",
    ]);
  });

  it("names a wrong tensor name both ways: the missing one and the unexpected one", async () => {
    const dir = await stubPack(stubManifest(), {
      edit: {
        "text_encoder.onnx": (g) => ({
          ...g,
          inputs: g.inputs.map((t) => (t.name === "ctx_begin_pos" ? { ...t, name: "begin" } : t)),
        }),
      },
    });
    const messages = (await problemsOf(dir)).map((p) => p.message);
    expect(messages).toEqual([
      "text_encoder.onnx: input 'ctx_begin_pos' should be int64 of rank 1, found no such input (it has 'input_ids', 'ctx_embeddings', 'begin')",
      "text_encoder.onnx: unexpected input 'begin', int64 of rank 1 that the engine would not feed",
    ]);
  });

  it("checks float16 graphs against the manifest's dtypes", async () => {
    const manifest = stubManifest({ dtypes: { vae_decoder: "float16" } });
    const dir = await stubPack(manifest, {
      edit: {
        "vae_decoder.onnx": (g) => ({ inputs: g.inputs.map((t) => ({ ...t, type: "float32" })), outputs: g.outputs }),
      },
    });
    expect((await problemsOf(dir)).map((p) => p.message)).toEqual([
      "vae_decoder.onnx: input 'latent_sample' should be float16 of rank 4, found float32 of rank 4",
    ]);
  });

  it("requires the UNet's attention-control and ControlNet inputs exactly when the manifest declares them", async () => {
    const noControl = stubManifest({ unet: { ...stubManifest().unet, attention_control: false } });
    // A graph written for attention control, under a manifest that says there is none.
    const dir = await stubPack(stubManifest());
    await writeFile(join(dir, "manifest.json"), JSON.stringify(noControl));
    const messages = (await problemsOf(dir)).map((p) => p.message);
    expect(messages).toContain(
      "unet.onnx: unexpected input 'cross_attn_map', float32 of rank 3 that the engine would not feed",
    );

    const withControlnet = stubManifest({
      unet: {
        ...stubManifest().unet,
        controlnet_residuals: 1,
        controlnet_residual_shapes: [
          { channels: 4, downscale: 1 },
          { channels: 8, downscale: 2, mid: true },
        ],
      },
      controlnets: [{ name: "depth", file: "controlnet/depth.onnx" }],
    });
    const missingResidual = await stubPack(withControlnet, {
      edit: {
        "unet.onnx": (g) => ({ ...g, inputs: g.inputs.filter((t) => t.name !== "mid_block_additional_residual") }),
      },
      omit: ["controlnet/depth.onnx"],
    });
    const problems = await problemsOf(missingResidual);
    expect(problems.map((p) => p.file).sort()).toEqual(["controlnet/depth.onnx", "unet.onnx"]);
    expect(problems.find((p) => p.file === "unet.onnx")?.tensor).toBe("mid_block_additional_residual");
  });

  it("names a missing tokenizer and an unreadable graph", async () => {
    const dir = await stubPack(stubManifest(), { omit: ["qformer_tokenizer/vocab.txt"] });
    await writeFile(join(dir, "vae_decoder.onnx"), Buffer.from([0x3a, 0xff, 0xff, 0xff, 0x0f]));
    const problems = await problemsOf(dir);
    expect(problems.map((p) => p.code).sort()).toEqual(["missing-tokenizer", "unreadable-graph"]);
    expect(problems.find((p) => p.code === "missing-tokenizer")?.message).toBe(
      "qformer_tokenizer/: the BERT tokenizer needs tokenizer.json, or vocab.txt",
    );
  });
});

describe("loadPack on the generated tiny pack", () => {
  it("accepts it and runs its graphs through the pool with tokenizer output", async () => {
    const pack = await loadPack(await ensureTinyPack(), { pool, id: "tiny", embedded: true });
    const { manifest } = pack;
    expect(pack.hasGraph("vae_encoder")).toBe(true);
    const size = manifest.qformer.image_size;
    const subject = (await pack.bertTokenizer()).encodeBatch(["dog"])[0];
    const { ctx_embeddings } = await pack.run("qformer", {
      pixel_values: floatTensor([1, 3, size, size], new Float32Array(3 * size * size).fill(0.5)),
      input_ids: intTensor([1, subject.ids.length], subject.ids),
      attention_mask: intTensor([1, subject.ids.length], subject.attentionMask),
    });
    expect(ctx_embeddings.dims).toEqual([1, manifest.num_query_tokens, manifest.text_hidden_size]);
    expect(ctx_embeddings.data.every(Number.isFinite)).toBe(true);

    const length = manifest.text_max_length - manifest.num_query_tokens;
    const prompt = (await pack.clipTokenizer()).encode("a dog on the beach", {
      maxLength: length,
      padToMaxLength: true,
    });
    const { last_hidden_state } = await pack.run("text_encoder", {
      input_ids: intTensor([1, length], prompt.ids),
      ctx_embeddings,
      ctx_begin_pos: intTensor([1], [manifest.ctx_begin_pos]),
    });
    expect(last_hidden_state.dims).toEqual([1, manifest.text_max_length, manifest.text_hidden_size]);

    const { sample } = await pack.run("vae_decoder", { latent_sample: floatTensor([1, 4, 2, 2]) });
    expect(sample.dims).toEqual([1, 3, 2 * manifest.vae.scale_factor, 2 * manifest.vae.scale_factor]);
  });
});

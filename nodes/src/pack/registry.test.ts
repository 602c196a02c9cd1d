import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InfixError } from "@infix/engine";
import { SessionPool } from "@infix/engine/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PackLoadError } from "./loader.ts";
import { PACKS, PackRegistry, UnknownPackError } from "./registry.ts";
import { stubManifest, writeStubPack } from "./testing/stub-pack.ts";

let root: string;
let models: string;
let tinyDir: string;
const pool = new SessionPool();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "infix-registry-"));
  models = join(root, "models");
  tinyDir = join(root, "embedded-tiny");
  await writeStubPack(tinyDir, stubManifest({ name: "tiny test pack" }));
  await writeStubPack(
    join(models, "good"),
    stubManifest({
      name: "good pack",
      source: "made in a test",
      unet: {
        ...stubManifest().unet,
        controlnet_residuals: 1,
        controlnet_residual_shapes: [
          { channels: 4, downscale: 1 },
          { channels: 8, downscale: 2, mid: true },
        ],
      },
      controlnets: [{ name: "canny", file: "controlnet/canny.onnx" }],
    }),
  );
  await writeStubPack(join(models, "broken"), stubManifest(), { omit: ["unet.onnx"] });
  await writeStubPack(join(models, "tiny"), stubManifest());
  await mkdir(join(models, "not-a-pack"));
  await writeFile(join(models, "README.txt"), "packs go here");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("PackRegistry", () => {
  const registry = () => new PackRegistry({ modelsDir: models, tinyPackDir: async () => tinyDir, pool });

  it("lists the embedded pack first, then folders with a manifest, failures with their error", async () => {
    const listed = await registry().list();
    expect(listed.map((p) => p.id)).toEqual(["tiny", "broken", "good", "tiny"]);
    expect(listed[0]).toMatchObject({
      id: "tiny",
      name: "tiny test pack",
      embedded: true,
      attentionControl: true,
      controlnets: [],
    });
    expect(listed[0].error).toBeUndefined();
    expect(listed[1].error).toMatch(/unet\.onnx: missing/);
    expect(listed[2]).toMatchObject({
      id: "good",
      name: "good pack",
      embedded: false,
      controlnets: ["canny"],
      source: "made in a test",
    });
    expect(listed[2].bytes).toBeGreaterThan(0);
    expect(listed[3]).toMatchObject({ embedded: false, error: expect.stringMatching(/rename the folder/) });
  });

  it("loads a pack once and shares it", async () => {
    const packs = registry();
    const [a, b] = await Promise.all([packs.get("good"), packs.get("good")]);
    expect(a).toBe(b);
    expect(await packs.get("tiny")).toMatchObject({ embedded: true, id: "tiny" });
  });

  it("rejects unknown ids and broken packs with their own errors", async () => {
    const packs = registry();
    await expect(packs.get("nope")).rejects.toBeInstanceOf(UnknownPackError);
    await expect(packs.get("nope")).rejects.toThrow(/available: tiny, broken, good/);
    await expect(packs.get("broken")).rejects.toBeInstanceOf(PackLoadError);
  });

  it("sees a repaired pack as soon as its folder changes", async () => {
    const dir = join(root, "models2");
    await writeStubPack(join(dir, "later"), stubManifest(), { omit: ["vae_decoder.onnx"] });
    const packs = new PackRegistry({ modelsDir: dir, pool, tinyPackDir: false });
    await expect(packs.get("later")).rejects.toBeInstanceOf(PackLoadError);
    await expect(packs.get("later")).rejects.toBeInstanceOf(PackLoadError); // unchanged: the failure is kept
    await writeStubPack(join(dir, "later"), stubManifest());
    await expect(packs.get("later")).resolves.toMatchObject({ id: "later" });
  });

  it("notices a pack corrupted or deleted on disk, drops its sessions and reports it, while other packs work", async () => {
    const dir = join(root, "models3");
    await writeStubPack(join(dir, "victim"), stubManifest());
    await writeStubPack(join(dir, "other"), stubManifest());
    const ownPool = new SessionPool();
    const packs = new PackRegistry({ modelsDir: dir, pool: ownPool, tinyPackDir: false });
    const victim = await packs.get("victim");
    await victim.run("vae_decoder", { latent_sample: { dims: [1, 4, 2, 2], data: new Float32Array(16) } });
    expect(ownPool.isLoaded(join(dir, "victim", "vae_decoder.onnx"))).toBe(true);
    await writeFile(join(dir, "victim", "unet.onnx"), "not an onnx graph any more");
    await expect(packs.get("victim")).rejects.toThrow(/unet\.onnx/);
    expect(ownPool.isLoaded(join(dir, "victim", "vae_decoder.onnx"))).toBe(false);
    await rm(join(dir, "victim"), { recursive: true });
    await expect(packs.get("victim")).rejects.toBeInstanceOf(UnknownPackError);
    await expect(packs.get("other")).resolves.toMatchObject({ id: "other" });
  });

  it("regenerates a broken embedded pack", async () => {
    const dir = join(root, "embedded-regen");
    let builds = 0;
    const tinyPackDir = async () => {
      if (!(await stat(join(dir, "manifest.json")).catch(() => null))) {
        builds++;
        await writeStubPack(dir, stubManifest({ name: "regenerated" }));
      }
      return dir;
    };
    const packs = new PackRegistry({ modelsDir: join(root, "none"), pool, tinyPackDir });
    await packs.get("tiny");
    await rm(join(dir, "unet.onnx"));
    await expect(packs.get("tiny")).resolves.toMatchObject({ id: "tiny", embedded: true });
    expect(builds).toBe(2);
  });

  it("turns an onnxruntime failure into a node error naming the pack, the graph and the tensors", async () => {
    const pack = await registry().get("good");
    const error = await pack
      .run("vae_decoder", { latents: { dims: [4], data: new Float32Array(4) } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfixError);
    expect((error as InfixError).problem).toMatchObject({ code: "graph_run_failed", found: "latents [4]" });
    expect((error as Error).message).toMatch(/model pack 'good', graph vae_decoder\.onnx: onnxruntime refused the run/);
    expect((error as Error).message).not.toContain(root);
  });

  it("offers the generated tiny pack by default", async () => {
    const packs = new PackRegistry({ modelsDir: join(root, "no-such-folder"), pool });
    const listed = await packs.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: "tiny", embedded: true, controlnets: ["canny"], attentionControl: true });
    expect(listed[0].error).toBeUndefined();
  });

  it("reads the models folder from INFIX_MODELS and exposes a resource key", async () => {
    const previous = process.env.INFIX_MODELS;
    process.env.INFIX_MODELS = models;
    try {
      expect(new PackRegistry().modelsDir).toBe(models);
    } finally {
      if (previous === undefined) delete process.env.INFIX_MODELS;
      else process.env.INFIX_MODELS = previous;
    }
    expect(PACKS.id).toBe("packs");
  });
});

import { existsSync } from "node:fs";
import { appendFile, cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SessionPool } from "@infix/engine/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffusersSourceFiles, IMPORTED_FOLDER, type DiffusersImporter } from "./diffusers-source.ts";
import { importDiffusersPack } from "./import/import-pack.ts";
import { PackRegistry } from "./registry.ts";
import { stubManifest, writeStubPack } from "./testing/stub-pack.ts";

const fixture = fileURLToPath(new URL("../../../../shared/fixtures/blip-diffusion-tiny", import.meta.url));
let root: string;
let models: string;
let tinyDir: string;
const pool = new SessionPool();

beforeAll(async () => {
  if (!existsSync(fixture))
    throw new Error(`missing fixture ${fixture}: the shared fixtures must sit beside the repository`);
  root = await mkdtemp(join(tmpdir(), "infix-diffusers-source-"));
  models = join(root, "models");
  tinyDir = join(root, "embedded-tiny");
  await writeStubPack(tinyDir, stubManifest({ name: "tiny test pack" }));
  await cp(fixture, join(models, "blip"), { recursive: true });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function countingImporter(): { importer: DiffusersImporter; calls: () => number } {
  let calls = 0;
  return {
    importer: (request) => {
      calls++;
      return importDiffusersPack(request);
    },
    calls: () => calls,
  };
}

async function cachedImports(): Promise<string[]> {
  return (await readdir(join(models, IMPORTED_FOLDER)).catch(() => [] as string[])).sort();
}

describe("diffusers folders in the models folder", () => {
  it("lists the files an import reads: one weight format per component, ControlNets and the Q-Former vocabulary", async () => {
    const files = await diffusersSourceFiles(join(models, "blip"));
    expect(files).toContain("unet/diffusion_pytorch_model.safetensors");
    expect(files).toContain("controlnet-canny/diffusion_pytorch_model.safetensors");
    expect(files).toContain("qformer_tokenizer/vocab.txt");
    expect(files).toContain("scheduler/scheduler_config.json");
    expect(files.some((f) => f.endsWith(".bin"))).toBe(false);
  });

  it("are listed as not imported yet, without importing anything", async () => {
    const { importer, calls } = countingImporter();
    const registry = new PackRegistry({
      modelsDir: models,
      tinyPackDir: async () => tinyDir,
      pool,
      importDiffusers: importer,
    });
    const listed = (await registry.list()).find((p) => p.id === "blip");
    expect(listed).toMatchObject({ id: "blip", needsImport: true, controlnets: ["canny"], embedded: false });
    expect(calls()).toBe(0);
    expect(await cachedImports()).toEqual([]);
  });

  it("import on first use into a cache keyed by the source files, reused by the next process", async () => {
    const first = countingImporter();
    const events: string[] = [];
    const registry = new PackRegistry({
      modelsDir: models,
      tinyPackDir: async () => tinyDir,
      pool,
      importDiffusers: first.importer,
      onImportProgress: (id, event) => events.push(`${id}:${event.component}:${event.state}`),
    });
    const pack = await registry.get("blip");
    expect(pack.manifest.controlnets.map((c) => c.name)).toEqual(["canny"]);
    expect(first.calls()).toBe(1);
    expect(events).toContain("blip:unet:finished");
    const cached = await cachedImports();
    expect(cached).toEqual([expect.stringMatching(/^blip-[0-9a-f]{16}$/)]);
    expect((await registry.list()).find((p) => p.id === "blip")?.needsImport).toBeUndefined();

    const second = countingImporter();
    const again = new PackRegistry({
      modelsDir: models,
      tinyPackDir: async () => tinyDir,
      pool,
      importDiffusers: second.importer,
    });
    expect((await again.get("blip")).hash).toBe(pack.hash);
    expect(second.calls()).toBe(0);

    // A changed source file is a new key: imported again, the stale import removed.
    await appendFile(join(models, "blip", "scheduler", "scheduler_config.json"), "\n");
    const third = countingImporter();
    const changed = new PackRegistry({
      modelsDir: models,
      tinyPackDir: async () => tinyDir,
      pool,
      importDiffusers: third.importer,
    });
    await changed.get("blip");
    expect(third.calls()).toBe(1);
    const now = await cachedImports();
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(cached[0]);
  });

  it("keep a float16 import beside the float32 one, each under its own name", async () => {
    const { importer } = countingImporter();
    const fp32 = await new PackRegistry({
      modelsDir: models,
      tinyPackDir: async () => tinyDir,
      pool,
      importDiffusers: importer,
    }).get("blip");
    const gpu = new PackRegistry({
      modelsDir: models,
      tinyPackDir: async () => tinyDir,
      pool,
      importDiffusers: importer,
      importPrecision: "fp16",
    });
    expect(await gpu.needsImport("blip")).toBe(true);
    const fp16 = await gpu.get("blip");
    expect(fp16.manifest.dtypes.unet).toBe("float16");
    expect(fp16.hash).not.toBe(fp32.hash);
    const cached = await cachedImports();
    expect(cached).toHaveLength(2);
    expect(cached.filter((entry) => /^blip-fp16-[0-9a-f]{16}$/.test(entry))).toHaveLength(1);
  });

  it("say how to import them when the process has no importer", async () => {
    await rm(join(models, IMPORTED_FOLDER), { recursive: true, force: true });
    const registry = new PackRegistry({ modelsDir: models, tinyPackDir: async () => tinyDir, pool });
    await expect(registry.get("blip")).rejects.toThrow(
      /is a diffusers folder that is not imported yet.*infix pack import/,
    );
  });
});

import { existsSync, mkdtempSync } from "node:fs";
import { cp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createNodeResources } from "../index.ts";
import type { NodeResources } from "../index.ts";
import type { ModelPack } from "../pack/types.ts";
import { PACKS } from "../pack/registry.ts";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { loadModelPackNode } from "./load-model-pack.ts";

let resources: NodeResources;

beforeAll(async () => {
  resources = await createNodeResources({ modelsDir: mkdtempSync(join(tmpdir(), "infix-no-models-")) });
});

function contextWith(resources: NodeResources) {
  return createTestContext(new Map([[PACKS.id, resources.get(PACKS)]]));
}

describe("Load Model Pack", () => {
  it("offers the installed packs, the embedded tiny pack by default", () => {
    expect(loadModelPackNode.schema.inputs[0].widget).toMatchObject({ kind: "ENUM", default: "tiny" });
    expect(loadModelPackNode.dynamicOptions?.pack(resources)).toEqual({ options: ["tiny"] });
  });

  it("returns the tiny pack's handle, and its content hash is the cache-key material", async () => {
    const ctx = contextWith(resources);
    const { pack } = (await runNode(loadModelPackNode, { pack: "tiny" }, ctx)) as { pack: ModelPack };
    expect(pack.id).toBe("tiny");
    expect(pack.manifest.num_query_tokens).toBe(16);
    expect(await loadModelPackNode.cacheKeyExtra?.({ pack: "tiny" }, ctx)).toBe(pack.hash);
  });

  it("names the input and the available packs for an unknown pack", async () => {
    const problem = await runNodeFailure(loadModelPackNode, { pack: "sd-giant" }, contextWith(resources));
    expect(problem).toMatchObject({ input: "pack", found: "sd-giant", expected: "tiny" });
    expect(problem.message).toMatch(/no model pack 'sd-giant'; available: tiny/);
  });

  it("serves resources only for the keys it has", () => {
    expect(resources.has(PACKS)).toBe(true);
    expect(resources.get(PACKS)).toBe(resources.packs);
    expect(resources.has({ id: "other" })).toBe(false);
  });
});

describe("Load Model Pack on a diffusers folder in the models folder", () => {
  it("offers it, keys it without importing, then imports it when run with a progress step per component", async () => {
    const fixture = fileURLToPath(new URL("../../../../shared/fixtures/blip-diffusion-tiny", import.meta.url));
    if (!existsSync(fixture))
      throw new Error(`missing fixture ${fixture}: ../shared/fixtures must sit beside the repository`);
    const models = mkdtempSync(join(tmpdir(), "infix-diffusers-models-"));
    try {
      await cp(fixture, join(models, "blip"), { recursive: true });
      const withSource = await createNodeResources({ modelsDir: models });
      expect(loadModelPackNode.dynamicOptions?.pack(withSource)).toEqual({
        options: ["tiny", "blip"],
        labels: { blip: "blip (not imported yet: imported on first run)" },
      });
      const ctx = contextWith(withSource);
      expect(await loadModelPackNode.cacheKeyExtra?.({ pack: "blip" }, ctx)).toBe("not-imported:blip");
      expect(existsSync(join(models, ".imported"))).toBe(false);

      const { pack } = (await runNode(loadModelPackNode, { pack: "blip" }, ctx)) as { pack: ModelPack };
      expect(pack.manifest.controlnets.map((c) => c.name)).toEqual(["canny"]);
      const total = ctx.progressTicks[0][1];
      expect(total).toBeGreaterThanOrEqual(5);
      expect(ctx.progressTicks.at(-1)).toEqual([total, total]);
      expect(await loadModelPackNode.cacheKeyExtra?.({ pack: "blip" }, ctx)).toBe(pack.hash);
    } finally {
      await rm(models, { recursive: true, force: true });
    }
  });
});

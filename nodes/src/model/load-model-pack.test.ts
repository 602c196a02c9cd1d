import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    expect(loadModelPackNode.dynamicOptions?.pack(resources)).toEqual(["tiny"]);
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

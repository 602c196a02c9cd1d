import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emptyWorkflow, floatTensor, readWorkflowFromPng, type Workflow } from "@infix/engine";
import { saveImageNode } from "../image/save-image.ts";
import type { ImageBatch } from "../sockets.ts";
import { PACKS, UnknownPackError } from "../pack/registry.ts";
import { tinyPack } from "../testing/tiny-pack.ts";
import { createTestContext, runNode } from "../testing/test-context.ts";
import { referencedPacks, withPackReferences } from "./pack-references.ts";

function workflowWith(nodes: Workflow["nodes"]): Workflow {
  return { ...emptyWorkflow(), nodes };
}

/** A registry that knows only the tiny pack, as the PACKS resource. */
async function tinyOnly() {
  const tiny = await tinyPack();
  const registry = {
    get: async (id: string) => {
      if (id === "tiny") return tiny;
      throw new UnknownPackError(id, ["tiny"]);
    },
  };
  return { tiny, ctx: createTestContext(new Map<string, unknown>([[PACKS.id, registry]])) };
}

describe("pack references", () => {
  it("lists each pack picked by an active Load Model Pack once, with its content hash", async () => {
    const { tiny, ctx } = await tinyOnly();
    const workflow = workflowWith({
      a: { type: "LoadModelPack", mode: "active", inputs: { pack: "tiny" } },
      b: { type: "LoadModelPack", mode: "bypassed", inputs: { pack: "tiny" } },
      c: { type: "LoadModelPack", mode: "muted", inputs: { pack: "other" } },
      d: { type: "EmptyLatent", mode: "active", inputs: { width: 64 } },
    });
    expect(await referencedPacks(workflow, ctx.resources)).toEqual([
      { kind: "model-pack", id: "tiny", hash: tiny.hash },
    ]);
    expect(tiny.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("names a pack that is not installed without a hash, and keeps the rest of the workflow and other kinds", async () => {
    const { tiny, ctx } = await tinyOnly();
    const workflow = workflowWith({
      a: { type: "LoadModelPack", mode: "active", inputs: { pack: "huge" } },
      b: { type: "LoadModelPack", mode: "active", inputs: { pack: "tiny" } },
    });
    const updated = await withPackReferences(
      {
        ...workflow,
        name: "kept",
        requires: [
          { kind: "model-pack", id: "gone" },
          { kind: "font", id: "serif" },
        ],
      },
      ctx.resources,
    );
    expect(updated.requires).toEqual([
      { kind: "font", id: "serif" },
      { kind: "model-pack", id: "huge" },
      { kind: "model-pack", id: "tiny", hash: tiny.hash },
    ]);
    expect(updated.name).toBe("kept");
    expect(updated.nodes).toBe(workflow.nodes);
  });
});

describe("Save Image and pack references", () => {
  it("embeds the workflow with the packs that made the picture", async () => {
    const { tiny, ctx } = await tinyOnly();
    const workflow = workflowWith({ a: { type: "LoadModelPack", mode: "active", inputs: { pack: "tiny" } } });
    const images: ImageBatch = { type: "IMAGE", pixels: floatTensor([1, 3, 1, 1]), sourceHashes: [] };
    await runNode(saveImageNode, { images, filename_prefix: "packs" }, { ...ctx, workflow });
    const name = ctx.shown[0].images?.[0].name ?? "";
    const embedded = readWorkflowFromPng(readFileSync(join(ctx.root, "output", name)));
    expect(embedded?.requires).toEqual([{ kind: "model-pack", id: "tiny", hash: tiny.hash }]);
    expect(embedded?.nodes).toEqual(workflow.nodes);
  });
});

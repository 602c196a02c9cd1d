import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeImage, floatTensor, readWorkflowFromPng } from "@infix/engine";
import type { ImageBatch } from "../sockets.ts";
import { createTestContext, runNode } from "../testing/test-context.ts";
import { previewImageNode } from "./preview-image.ts";
import { saveImageNode } from "./save-image.ts";
import { sanitisePrefix } from "./save-images.ts";

// Two 2×1 images: pixel values chosen so the bytes are exact (0, 0.5 → 127.5 → 128 half-even, 1).
const pixels = Float32Array.from([
  // image 0: R, G, B planes
  0, 1, 0.5, 0.5, 1, 0,
  // image 1
  1, 1, 1, 1, 1, 1,
]);
const batch: ImageBatch = { type: "IMAGE", pixels: floatTensor([2, 3, 1, 2], pixels), sourceHashes: [] };

describe("Save Image", () => {
  it("writes one PNG per image with the workflow embedded and shows them", async () => {
    const ctx = createTestContext();
    await runNode(saveImageNode, { images: batch, filename_prefix: "run/../out" }, ctx);
    const shown = ctx.shown[0].images ?? [];
    expect(shown).toHaveLength(2);
    expect(shown[0]).toMatchObject({ folder: "output", width: 2, height: 1 });
    const png = readFileSync(join(ctx.root, "output", shown[0].name));
    expect(readWorkflowFromPng(png)).toEqual(ctx.workflow);
    const { image } = await decodeImage(png);
    // Pixel 0 = (0, 0.5, 1) → (0, 128, 255); pixel 1 = (1, 0.5, 0) → (255, 128, 0).
    expect(Array.from(image.data)).toEqual([0, 128, 255, 255, 128, 0]);
  });

  it("keeps file names inside the output folder", () => {
    expect(sanitisePrefix("../../etc/passwd")).toBe("etc/passwd");
    expect(sanitisePrefix("")).toBe("infix");
    expect(sanitisePrefix("a b/c?d")).toBe("a b/c_d");
  });
});

describe("Preview Image", () => {
  it("writes to the temp folder without the workflow", async () => {
    const ctx = createTestContext();
    await runNode(previewImageNode, { images: batch }, ctx);
    const shown = ctx.shown[0].images ?? [];
    expect(shown.map((s) => s.folder)).toEqual(["temp", "temp"]);
    expect(readWorkflowFromPng(readFileSync(join(ctx.root, "temp", shown[1].name)))).toBeNull();
  });
});

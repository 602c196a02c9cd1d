import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeExamplePictures } from "../../../examples/draw-subjects.ts";
import type { ImageBatch, MaskBatch } from "../sockets.ts";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { loadImageNode } from "./load-image.ts";
import { loadImagesNode } from "./load-images.ts";

async function contextWithPictures() {
  const ctx = createTestContext();
  const dir = join(ctx.root, "input", "subjects");
  mkdirSync(dir, { recursive: true });
  await writeExamplePictures(dir, 32);
  return ctx;
}

describe("Load Image", () => {
  it("loads a picture as [1,3,H,W] in [0,1] with an all-ones mask when it has no alpha", async () => {
    const ctx = await contextWithPictures();
    const { image, mask } = (await runNode(loadImageNode, { image: "subjects/dog.png" }, ctx)) as {
      image: ImageBatch;
      mask: MaskBatch;
    };
    expect(image.pixels.dims).toEqual([1, 3, 32, 32]);
    expect(Math.max(...image.pixels.data)).toBeLessThanOrEqual(1);
    expect(Math.min(...image.pixels.data)).toBeGreaterThanOrEqual(0);
    expect(image.sourceHashes[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(mask.mask.dims).toEqual([1, 32, 32]);
    expect(mask.mask.data.every((v) => v === 1)).toBe(true);
  });

  it("gives the alpha channel as the mask: transparent corners 0, the kettle's body 1", async () => {
    const ctx = await contextWithPictures();
    const { mask } = (await runNode(loadImageNode, { image: "subjects/kettle.png" }, ctx)) as { mask: MaskBatch };
    expect(mask.mask.data[0]).toBe(0);
    expect(mask.mask.data[20 * 32 + 16]).toBe(1);
  });

  it("says which input and file when the file is not an image", async () => {
    const ctx = createTestContext();
    ctx.addInput("broken.png", "this is not a png");
    const problem = await runNodeFailure(loadImageNode, { image: "broken.png" }, ctx);
    expect(problem).toMatchObject({ code: "invalid_input", input: "image", nodeId: "n1" });
    expect(problem.message).toMatch(/"broken.png".*not an image/);
    // A file picked from input/ is not "an upload", and the message says what to do instead.
    expect(problem.message).toMatch(/^"broken.png" in the input folder is not an image/);
    expect(problem.message).toMatch(/pick or upload a PNG, JPEG or WebP picture instead\.$/);
  });

  it("folds the file's content into the cache key", async () => {
    const ctx = createTestContext();
    ctx.addInput("a.png", "one");
    const first = await loadImageNode.cacheKeyExtra?.({ image: "a.png" }, ctx);
    ctx.addInput("a.png", "two");
    expect(await loadImageNode.cacheKeyExtra?.({ image: "a.png" }, ctx)).not.toBe(first);
  });
});

describe("Load Images", () => {
  it("lists every picture of the folder in name order, one IMAGE each", async () => {
    const ctx = await contextWithPictures();
    const { images } = (await runNode(loadImagesNode, { folder: "subjects" }, ctx)) as { images: ImageBatch[] };
    expect(images).toHaveLength(8);
    expect(images.every((image) => image.pixels.dims.join() === "1,3,32,32")).toBe(true);
    // beach, dog-left, dog-sitting, dog, flower, house, jacket, kettle: distinct pictures give distinct hashes.
    expect(new Set(images.map((image) => image.sourceHashes[0])).size).toBe(8);
  });

  it("rejects a folder without pictures", async () => {
    const ctx = createTestContext();
    ctx.addInput("empty/readme.txt", "no pictures");
    const problem = await runNodeFailure(loadImagesNode, { folder: "empty" }, ctx);
    expect(problem).toMatchObject({ input: "folder" });
    expect(problem.message).toMatch(/holds no PNG, JPEG or WebP pictures/);
  });
});

describe("Load Images with a file list", () => {
  it("loads the listed files in the given order instead of the folder", async () => {
    const ctx = await contextWithPictures();
    const { images } = (await runNode(
      loadImagesNode,
      { folder: "", files: "subjects/kettle.png,\n subjects/dog.png\n" },
      ctx,
    )) as { images: ImageBatch[] };
    const kettle = (await runNode(loadImageNode, { image: "subjects/kettle.png" }, ctx)).image as ImageBatch;
    expect(images).toHaveLength(2);
    expect(images[0].sourceHashes).toEqual(kettle.sourceHashes);
  });

  it("names the files input when a listed file is missing", async () => {
    const ctx = createTestContext();
    const problem = await runNodeFailure(loadImagesNode, { folder: "", files: "nope.png" }, ctx);
    expect(problem).toMatchObject({ input: "files" });
    expect(problem.message).toMatch(/Cannot read "nope.png"/);
  });
});

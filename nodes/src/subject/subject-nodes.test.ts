import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  centerCropShortestSide,
  floatTensor,
  intTensor,
  resizeBicubicPil,
  type FloatTensor,
  type RgbImage,
} from "@infix/engine";
import { writeExamplePictures } from "../../../examples/draw-subjects.ts";
import { loadImageNode } from "../image/load-image.ts";
import type { ModelPack } from "../pack/types.ts";
import type { ImageBatch, SubjectEmbedding } from "../sockets.ts";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { tinyPack } from "../testing/tiny-pack.ts";
import { imageBatchToRgb } from "../image/image-batch.ts";
import { loadSubjectNode } from "./load-subject.ts";
import { qformerEncodeNode } from "./qformer-encode.ts";
import { saveSubjectNode } from "./save-subject.ts";
import { subjectMixNode } from "./subject-mix.ts";

let pack: ModelPack;
let ctx: ReturnType<typeof createTestContext>;
let dog: ImageBatch;
let kettle: ImageBatch;

beforeAll(async () => {
  pack = await tinyPack();
  ctx = createTestContext();
  const dir = join(ctx.root, "input", "pictures");
  mkdirSync(dir, { recursive: true });
  await writeExamplePictures(dir, 48);
  dog = (await runNode(loadImageNode, { image: "pictures/dog.png" }, ctx)).image as ImageBatch;
  kettle = (await runNode(loadImageNode, { image: "pictures/kettle.png" }, ctx)).image as ImageBatch;
});

/** MODEL_PACK.md's Q-Former preprocessing written out: bytes/255, then (x − mean)/std per channel, NCHW. */
function normalise(image: RgbImage, mean: readonly number[], std: readonly number[]): FloatTensor {
  const plane = image.width * image.height;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < plane; p++) data[c * plane + p] = (image.data[p * 3 + c] / 255 - mean[c]) / std[c];
  }
  return floatTensor([1, 3, image.height, image.width], data);
}

/** The scripted reference: the pack's qformer.onnx on one picture and a category. */
async function referenceEmbedding(
  image: RgbImage,
  category: string,
  mode: "squash" | "center_crop",
): Promise<FloatTensor> {
  const { image_size: size, image_mean: mean, image_std: std } = pack.manifest.qformer;
  // Pillow-exact BICUBIC (the runtime's port, tested byte-equal to Pillow) as diffusers and LAVIS resize.
  const resized = mode === "squash" ? resizeBicubicPil(image, size, size) : centerCropShortestSide(image, size);
  const tokens = (await pack.bertTokenizer()).encode(category);
  const outputs = await pack.run("qformer", {
    pixel_values: normalise(resized, mean, std),
    input_ids: intTensor([1, tokens.ids.length], tokens.ids),
    attention_mask: intTensor([1, tokens.ids.length], tokens.attentionMask),
  });
  return outputs.ctx_embeddings;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe("Q-Former Encode", () => {
  it("equals the pack's qformer.onnx run on the hand-preprocessed picture, as [Q,D]", async () => {
    const { subject } = (await runNode(
      qformerEncodeNode,
      { pack, image: dog, category: "dog", resize: "squash" },
      ctx,
    )) as { subject: SubjectEmbedding };
    const reference = await referenceEmbedding(imageBatchToRgb(dog)[0], "dog", "squash");
    expect(subject.embedding.dims).toEqual([16, 32]);
    expect(maxDifference(subject.embedding.data, reference.data)).toBeLessThan(1e-5);
    expect(subject).toMatchObject({ category: "dog", packHash: pack.hash, sourceHashes: dog.sourceHashes });
  });

  it("depends on the category text and on the resize mode", async () => {
    const asDog = (await runNode(qformerEncodeNode, { pack, image: dog, category: "dog" }, ctx))
      .subject as SubjectEmbedding;
    const asKettle = (await runNode(qformerEncodeNode, { pack, image: dog, category: "kettle" }, ctx))
      .subject as SubjectEmbedding;
    const cropped = (
      await runNode(qformerEncodeNode, { pack, image: kettle, category: "dog", resize: "center_crop" }, ctx)
    ).subject as SubjectEmbedding;
    const reference = await referenceEmbedding(imageBatchToRgb(kettle)[0], "dog", "center_crop");
    expect(maxDifference(asDog.embedding.data, asKettle.embedding.data)).toBeGreaterThan(1e-3);
    expect(maxDifference(cropped.embedding.data, reference.data)).toBeLessThan(1e-5);
  });

  it("averages the embeddings of several pictures of one subject", async () => {
    const { subject } = (await runNode(qformerEncodeNode, { pack, image: [dog, kettle], category: "dog" }, ctx)) as {
      subject: SubjectEmbedding;
    };
    const a = await referenceEmbedding(imageBatchToRgb(dog)[0], "dog", "squash");
    const b = await referenceEmbedding(imageBatchToRgb(kettle)[0], "dog", "squash");
    const mean = a.data.map((v, i) => (v + b.data[i]) / 2);
    expect(maxDifference(subject.embedding.data, mean)).toBeLessThan(1e-5);
    expect(subject.sourceHashes).toEqual([...dog.sourceHashes, ...kettle.sourceHashes]);
  });

  it("rejects an empty category, naming the input", async () => {
    const problem = await runNodeFailure(qformerEncodeNode, { pack, image: dog, category: "  " }, ctx);
    expect(problem).toMatchObject({ input: "category", nodeId: "n1" });
  });
});

describe("Subject Mix, Save Subject and Load Subject", () => {
  it("mixes two subjects by normalised weights", async () => {
    const a = (await runNode(qformerEncodeNode, { pack, image: dog, category: "dog" }, ctx))
      .subject as SubjectEmbedding;
    const b = (await runNode(qformerEncodeNode, { pack, image: kettle, category: "kettle" }, ctx))
      .subject as SubjectEmbedding;
    const { subject } = (await runNode(
      subjectMixNode,
      { subject_a: a, weight_a: 3, subject_b: b, weight_b: 1 },
      ctx,
    )) as { subject: SubjectEmbedding };
    const expected = a.embedding.data.map((v, i) => 0.75 * v + 0.25 * b.embedding.data[i]);
    expect(maxDifference(subject.embedding.data, expected)).toBeLessThan(1e-6);
    expect(subject.category).toBe("dog");
    const zero = await runNodeFailure(subjectMixNode, { subject_a: a, weight_a: 0, subject_b: b, weight_b: 0 }, ctx);
    expect(zero.message).toMatch(/All weights .* are 0/);
  });

  it("saves a subject and loads it back unchanged, checked against the pack", async () => {
    const subject = (await runNode(qformerEncodeNode, { pack, image: dog, category: "dog" }, ctx))
      .subject as SubjectEmbedding;
    const saveCtx = createTestContext();
    await runNode(saveSubjectNode, { subject, filename_prefix: "my-dog" }, saveCtx);
    const written = (saveCtx.shown[0].text ?? [])[0].split(" ")[0].replace(/^output\//, "");
    saveCtx.addInput("my-dog.subject.json", readFileSync(join(saveCtx.root, "output", written)));
    const loaded = (await runNode(loadSubjectNode, { pack, file: "my-dog.subject.json" }, saveCtx))
      .subject as SubjectEmbedding;
    expect(Array.from(loaded.embedding.data)).toEqual(Array.from(subject.embedding.data));
    expect(loaded).toMatchObject({ category: "dog", packHash: pack.hash });
  });

  it("refuses a subject of another shape, saying what the pack needs", async () => {
    const alien: SubjectEmbedding = {
      type: "SUBJECT",
      embedding: floatTensor([16, 768]),
      packName: "blip-diffusion",
      packHash: "sha256:x",
      category: "dog",
      sourceHashes: [],
    };
    const saveCtx = createTestContext();
    await runNode(saveSubjectNode, { subject: alien, filename_prefix: "alien" }, saveCtx);
    const [name] = readdirSync(join(saveCtx.root, "output"));
    saveCtx.addInput("alien.subject.json", readFileSync(join(saveCtx.root, "output", name)));
    const problem = await runNodeFailure(loadSubjectNode, { pack, file: "alien.subject.json" }, saveCtx);
    expect(problem).toMatchObject({ input: "file", expected: "[16,32]", found: "[16,768]" });
    expect(problem.message).toMatch(/different model pack/);
  });
});

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage, floatTensor, resizeBicubicPil, type FloatTensor } from "@infix/engine";
import { NodeRegistry } from "@infix/engine/testing";
import { imageBatchFromRgb } from "../image/image-batch.ts";
import { createNodeResources, nodePackage } from "../index.ts";
import { emptyLatentNode } from "../latent/empty-latent.ts";
import type { Feeds, ModelPack } from "../pack/types.ts";
import { samplerNode } from "../sampling/sampler.ts";
import { controlNetActiveAt, type ControlNetStack } from "../sampling/controlnet-residuals.ts";
import type { Conditioning, ControlHint, ImageBatch, LatentBatch, UnetCallInfo } from "../sockets.ts";
import { textEncodeNode } from "../text/text-encode.ts";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { tinyPack } from "../testing/tiny-pack.ts";
import { prepareControlImage } from "./control-image.ts";
import { controlNetApplyNode } from "./controlnet-apply.ts";

const ctx = createTestContext();
const SIZE = 32;

/** A condition picture: a bright ring and a bar on black, drawn with integers. */
function drawnCondition(width: number, height: number, shift = 0): ImageBatch {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = (x - width / 2 - shift) ** 2 + (y - height / 2) ** 2;
      const on = Math.abs(d - (width / 4) ** 2) < width || (x > width / 8 && x < width / 4);
      data.fill(on ? 255 : 0, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return imageBatchFromRgb([{ width, height, data }], []);
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe("condition picture preparation (diffusers prepare_control_image)", () => {
  const reference = fileURLToPath(new URL("../../../../shared/fixtures/reference/", import.meta.url));

  function referenceTensor(caseDir: string, name: string): Float32Array {
    const index = JSON.parse(readFileSync(join(caseDir, "index.json"), "utf8")) as {
      tensors: Record<string, { file: string; dtype: string }>;
    };
    const entry = index.tensors[name];
    if (entry?.dtype !== "float32") throw new Error(`${caseDir}: no float32 tensor ${name}`);
    const bytes = readFileSync(join(caseDir, entry.file));
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }

  it("equals diffusers' control_image of the cn_canny_g7.5_s5 case (CFG rows included)", async () => {
    if (!existsSync(reference))
      throw new Error(`missing fixtures ${reference}: ../shared/fixtures must sit beside the repository`);
    const index = JSON.parse(readFileSync(join(reference, "index.json"), "utf8")) as {
      inputs: Record<string, string>;
      cases: { name: string; dir: string; cond: string; width: number; height: number }[];
    };
    const c = index.cases.find((x) => x.name === "cn_canny_g7.5_s5");
    if (!c) throw new Error("reference/index.json has no cn_canny_g7.5_s5 case");
    const { image } = await decodeImage(readFileSync(join(reference, index.inputs[c.cond])));
    const condition = imageBatchFromRgb([image], []);
    const guided = prepareControlImage(condition, c.width, c.height, 1, true);
    expect(guided.dims).toEqual([2, 3, c.height, c.width]);
    expect(maxDifference(guided.data, referenceTensor(join(reference, c.dir), "control_image"))).toBeLessThanOrEqual(
      1e-5,
    );
    const single = prepareControlImage(condition, c.width, c.height, 1, false);
    const preprocessed = referenceTensor(join(reference, c.dir), "control_image_preprocessed");
    expect(maxDifference(single.data, preprocessed)).toBe(0);
  });

  it("resizes a picture of another size with Pillow's bicubic and repeats it over the batch and CFG", () => {
    const condition = drawnCondition(40, 24);
    const prepared = prepareControlImage(condition, 32, 16, 2, true);
    expect(prepared.dims).toEqual([4, 3, 16, 32]);
    const bytes = Uint8Array.from({ length: 40 * 24 * 3 }, (_, i) => {
      const p = Math.floor(i / 3);
      return Math.round(condition.pixels.data[(i % 3) * 40 * 24 + p] * 255);
    });
    const resized = resizeBicubicPil({ width: 40, height: 24, data: bytes }, 32, 16);
    const plane = 32 * 16;
    for (let row = 0; row < 4; row++)
      for (let p = 0; p < plane; p++)
        expect(prepared.data[(row * 3 + 1) * plane + p]).toBe(Math.fround(resized.data[p * 3 + 1] / 255));
  });

  it("refuses a condition batch that is neither 1 nor the latent batch", () => {
    const two = imageBatchFromRgb(
      [0, 1].map(() => ({ width: 8, height: 8, data: new Uint8Array(192) })),
      [],
    );
    expect(() => prepareControlImage(two, 8, 8, 3, true)).toThrow(/2 pictures but the latent batch has 3/);
  });
});

describe("ControlNet Apply's schema as the editor receives it", () => {
  it("offers the installed packs' ControlNets in its ControlNet menu", async () => {
    const resources = await createNodeResources({ modelsDir: join(ctx.root, "no-models") });
    const catalog = new NodeRegistry([nodePackage]).catalog(resources);
    const schema = catalog.nodes.find((node) => node.type === "ControlNetApply");
    const widget = schema?.inputs.find((input) => input.name === "control_net")?.widget;
    expect(widget).toMatchObject({ kind: "ENUM", options: ["canny"] });
    expect(schema?.description).toMatch(/Depth or HED maps need estimator models no pack has/);
    for (const type of ["CannyEdges", "Grayscale", "InvertImage", "ResizeImage", "Scheduler"])
      expect(
        catalog.nodes.some((node) => node.type === type),
        type,
      ).toBe(true);
    expect(catalog.socketTypes.map((socket) => socket.name)).toContain("SCHEDULER");
  });
});

describe("ControlNet step windows (diffusers controlnet_keep)", () => {
  it("acts on the steps lying wholly inside [start, end]", () => {
    const steps = (start: number, end: number, total: number) =>
      Array.from({ length: total }, (_, i) => i).filter((i) => controlNetActiveAt(start, end, i, total));
    expect(steps(0, 1, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(steps(0.2, 0.7, 10)).toEqual([2, 3, 4, 5, 6]);
    expect(steps(0, 0.5, 6)).toEqual([0, 1, 2]);
    expect(steps(0.5, 1, 6)).toEqual([3, 4, 5]);
    expect(steps(0.25, 0.3, 10)).toEqual([]);
  });
});

describe("ControlNet Apply and the Sampler", () => {
  let pack: ModelPack;
  let positive: Conditioning;
  let negative: Conditioning;
  let latent: LatentBatch;
  const condition = drawnCondition(SIZE, SIZE);

  beforeAll(async () => {
    pack = await tinyPack();
    positive = (await runNode(textEncodeNode, { pack, text: "a house" }, ctx)).conditioning as Conditioning;
    negative = (await runNode(textEncodeNode, { pack, text: "" }, ctx)).conditioning as Conditioning;
    latent = (await runNode(emptyLatentNode, { pack, width: SIZE, height: SIZE, batch_size: 1 }, ctx))
      .latent as LatentBatch;
  });

  async function apply(inputs: Record<string, unknown>): Promise<ControlNetStack> {
    const values = { pack, control_net: "canny", image: condition, strength: 1, start: 0, end: 1, ...inputs };
    return (await runNode(controlNetApplyNode, values, ctx)).control as ControlNetStack;
  }

  /** Which steps ran a ControlNet, and the UNet's mid residual per step, while `body` runs. */
  async function recorded<T>(body: () => Promise<T>) {
    const controlnetSteps: number[] = [];
    const controlnetSamples: Float32Array[] = [];
    const unetMid: Float32Array[] = [];
    const unetSamples: Float32Array[] = [];
    const original = pack.run;
    pack.run = async (graph, feeds: Feeds, signal) => {
      if (graph.startsWith("controlnet/")) {
        controlnetSteps.push(unetMid.length);
        controlnetSamples.push((feeds.sample as FloatTensor).data.slice());
        expect(feeds.controlnet_cond.dims[0]).toBe(feeds.sample.dims[0]);
      }
      if (graph === "unet") {
        unetMid.push((feeds.mid_block_additional_residual as FloatTensor).data.slice());
        unetSamples.push((feeds.sample as FloatTensor).data.slice());
      }
      return original.call(pack, graph, feeds, signal);
    };
    try {
      const result = await body();
      return { result, controlnetSteps, controlnetSamples, unetMid, unetSamples };
    } finally {
      pack.run = original;
    }
  }

  async function sample(control?: ControlHint, steps = 4): Promise<Float32Array> {
    const inputs = { pack, positive, negative, latent, seed: 3, steps, cfg: 4, scheduler: "ddim", denoise: 1, control };
    return ((await runNode(samplerNode, inputs, ctx)).latent as LatentBatch).samples.data;
  }

  it("changes the result at strength 1, running the ControlNet on the UNet's own CFG batch each step", async () => {
    const plain = await sample();
    const run = await recorded(() => sample(undefined));
    expect(run.controlnetSteps).toEqual([]);
    const controlled = await recorded(async () => sample(await apply({})));
    expect(controlled.controlnetSteps).toEqual([0, 1, 2, 3]);
    controlled.controlnetSamples.forEach((input, step) => {
      expect(input.length).toBe(2 * 4 * 4 * 4);
      expect(Array.from(input)).toEqual(Array.from(controlled.unetSamples[step]));
    });
    expect(maxDifference(plain, controlled.result)).toBeGreaterThan(1e-4);
  });

  it("equals no ControlNet bit for bit at strength 0, without running it", async () => {
    const plain = await sample();
    const off = await recorded(async () => sample(await apply({ strength: 0 })));
    expect(off.controlnetSteps).toEqual([]);
    expect(Array.from(off.result)).toEqual(Array.from(plain));
  });

  it("applies residuals on exactly the window's steps and costs nothing outside it", async () => {
    // 8 DDIM steps, window [0.25, 0.75]: steps 2, 3, 4, 5.
    const run = await recorded(async () => sample(await apply({ start: 0.25, end: 0.75 }), 8));
    expect(run.controlnetSteps).toEqual([2, 3, 4, 5]);
    const nonZero = run.unetMid.map((mid) => mid.some((v) => v !== 0));
    expect(nonZero).toEqual([false, false, true, true, true, true, false, false]);
  });

  it("sums two chained ControlNets' residuals, each × its strength", async () => {
    const other = drawnCondition(SIZE, SIZE, 5);
    const first = await apply({ strength: 0.7 });
    const second = await apply({ image: other, strength: 1.3, start: 0, end: 1 });
    const chained = await apply({ image: other, strength: 1.3, control: first });
    expect(chained.layers.map((layer) => layer.strength)).toEqual([0.7, 1.3]);
    const rows = 2;
    const call: UnetCallInfo = {
      sample: floatTensor(
        [rows, 4, 4, 4],
        Float32Array.from({ length: rows * 64 }, (_, i) => Math.sin(i)),
      ),
      timestep: 500,
      encoderHiddenStates: floatTensor(
        [rows, 77, pack.manifest.text_hidden_size],
        new Float32Array([...negative.embedding.data, ...positive.embedding.data]),
      ),
      guided: true,
      step: 0,
      totalSteps: 4,
      signal: new AbortController().signal,
    };
    const a = await first.residuals(call);
    const b = await second.residuals(call);
    const sum = await chained.residuals(call);
    const names = Object.keys(a).sort();
    expect(names).toEqual(Object.keys(sum).sort());
    expect(names).toContain("mid_block_additional_residual");
    for (const name of names) {
      const expected = a[name].data.map((v, i) => Math.fround(v + b[name].data[i]));
      expect(Array.from(sum[name].data), name).toEqual(Array.from(expected));
      expect(maxDifference(a[name].data, expected)).toBeGreaterThan(0);
    }
  });

  it("adds the residuals of another kind of CONTROL it is chained after, without changing them", async () => {
    const own = await apply({ strength: 0.5 });
    const name = "mid_block_additional_residual";
    const call: UnetCallInfo = {
      sample: floatTensor([1, 4, 4, 4], new Float32Array(64).fill(0.25)),
      timestep: 300,
      encoderHiddenStates: positive.embedding,
      guided: false,
      step: 1,
      totalSteps: 4,
      signal: new AbortController().signal,
    };
    const ownResiduals = await own.residuals(call);
    const shared = floatTensor(ownResiduals[name].dims, new Float32Array(ownResiduals[name].data.length).fill(0.5));
    const other: ControlHint = { type: "CONTROL", residuals: async () => ({ [name]: shared }) };
    const chained = await apply({ strength: 0.5, control: other });
    expect(chained.others).toEqual([other]);
    const sum = await chained.residuals(call);
    expect(Array.from(sum[name].data)).toEqual(Array.from(ownResiduals[name].data, (v) => Math.fround(v + 0.5)));
    expect(shared.data.every((v) => v === 0.5)).toBe(true);
  });

  it("validates the window and strength, and names a ControlNet the pack lacks", async () => {
    expect(controlNetApplyNode.validate?.({ start: 0.6, end: 0.4, strength: 1 })).toEqual([
      "start 0.6 must be below end 0.4, or the ControlNet never acts.",
    ]);
    expect(controlNetApplyNode.validate?.({ start: 0, end: 1.5, strength: -1 })).toHaveLength(2);
    const problem = await runNodeFailure(
      controlNetApplyNode,
      { pack, control_net: "depth", image: condition, strength: 1, start: 0, end: 1 },
      ctx,
    );
    expect(problem).toMatchObject({ input: "control_net", expected: "canny" });
    expect(problem.message).toMatch(/no ControlNet "depth"; choose one of canny/);
  });
});

import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { TINY_CONFIG } from "./config.ts";
import { buildQformerGraph } from "./qformer-graph.ts";
import { allFinite, filledFloats, floatsOf, int64s, maxAbsDifference, randomFloats } from "./test-feeds.ts";
import { buildTextEncoderGraph } from "./text-encoder-graph.ts";
import { buildBertTokenizerFiles, buildClipTokenizerFiles } from "./tokenizer-files.ts";
import { buildVaeDecoderGraph, buildVaeEncoderGraph } from "./vae-graphs.ts";

const config = TINY_CONFIG;
const D = config.textHiddenSize;
const Q = config.numQueryTokens;
const clipVocab = buildClipTokenizerFiles().vocabSize;
const bertVocab = buildBertTokenizerFiles().vocabSize;
const create = (bytes: Uint8Array) => ort.InferenceSession.create(bytes);

let qformer: ort.InferenceSession;
let textEncoder: ort.InferenceSession;
let vaeDecoder: ort.InferenceSession;
let vaeEncoder: ort.InferenceSession;

beforeAll(async () => {
  [qformer, textEncoder, vaeDecoder, vaeEncoder] = await Promise.all([
    create(buildQformerGraph(config, bertVocab).toBytes()),
    create(buildTextEncoderGraph(config, clipVocab).toBytes()),
    create(buildVaeDecoderGraph(config).toBytes()),
    create(buildVaeEncoderGraph(config).toBytes()),
  ]);
});

type Outputs = Record<string, ort.Tensor>;

describe("tiny qformer.onnx", () => {
  const S = config.vision.imageSize;
  const run = async (batch: number, ids: number[], mask: number[], seed = 3) =>
    (
      (await qformer.run({
        pixel_values: randomFloats([batch, 3, S, S], seed),
        input_ids: int64s([batch, ids.length / batch], ids),
        attention_mask: int64s([batch, mask.length / batch], mask),
      })) as Outputs
    ).ctx_embeddings;

  it("gives [B, 16, D] subject embeddings at batch 1 and 4", async () => {
    expect((await run(1, [2, 50, 3], [1, 1, 1])).dims).toEqual([1, Q, D]);
    const four = await run(4, [2, 50, 3, 0, 2, 51, 52, 3, 2, 60, 3, 0, 2, 61, 62, 3], new Array(16).fill(1));
    expect(four.dims).toEqual([4, Q, D]);
    expect(allFinite(four)).toBe(true);
  });

  it("ignores padded text positions but not the text itself", async () => {
    const unpadded = await run(1, [2, 50, 3], [1, 1, 1]);
    const padded = await run(1, [2, 50, 3, 0, 0], [1, 1, 1, 0, 0]);
    expect(maxAbsDifference(unpadded, padded)).toBeLessThan(1e-5);
    const otherSubject = await run(1, [2, 51, 3], [1, 1, 1]);
    expect(maxAbsDifference(unpadded, otherSubject)).toBeGreaterThan(1e-3);
  });

  it("depends on the image", async () => {
    expect(
      maxAbsDifference(await run(1, [2, 50, 3], [1, 1, 1], 3), await run(1, [2, 50, 3], [1, 1, 1], 4)),
    ).toBeGreaterThan(1e-3);
  });
});

describe("tiny text_encoder.onnx", () => {
  const ids = (batch: number, length: number) =>
    int64s(
      [batch, length],
      Array.from({ length: batch * length }, (_, i) => (i * 37) % clipVocab),
    );
  const encode = async (inputIds: ort.Tensor, ctx: ort.Tensor) =>
    (
      (await textEncoder.run({
        input_ids: inputIds,
        ctx_embeddings: ctx,
        ctx_begin_pos: int64s([1], [config.ctxBeginPos]),
      })) as Outputs
    ).last_hidden_state;

  it("encodes 77 tokens without subject (C = 0) and 61 tokens with 16 subject embeddings to [B, 77, D]", async () => {
    for (const batch of [1, 4]) {
      expect((await encode(ids(batch, 77), filledFloats([batch, 0, D], 0))).dims).toEqual([batch, 77, D]);
      const withSubject = await encode(ids(batch, 77 - Q), randomFloats([batch, Q, D], 5));
      expect(withSubject.dims).toEqual([batch, 77, D]);
      expect(allFinite(withSubject)).toBe(true);
    }
  });

  it("splices the subject at ctx_begin_pos: under the causal mask, earlier positions do not see it", async () => {
    const inputIds = ids(1, 77 - Q);
    const a = floatsOf(await encode(inputIds, randomFloats([1, Q, D], 5)));
    const b = floatsOf(await encode(inputIds, randomFloats([1, Q, D], 6)));
    const before = config.ctxBeginPos * D;
    expect(Array.from(a.slice(0, before))).toEqual(Array.from(b.slice(0, before)));
    // Every later position sees the subject (it is at or after it).
    for (let pos = config.ctxBeginPos; pos < 77; pos++) {
      let diff = 0;
      for (let d = 0; d < D; d++) diff = Math.max(diff, Math.abs(a[pos * D + d] - b[pos * D + d]));
      expect(diff).toBeGreaterThan(1e-5);
    }
  });

  it("splices exactly at the run-time ctx_begin_pos: subject rows equal to the token embeddings they replace give the plain encoding", async () => {
    // Take 77 tokens, cut out 16 at `pos` and pass their embedding rows (read from the
    // graph's own table) as the subject: the result must equal encoding all 77 tokens.
    const builder = buildTextEncoderGraph(config, clipVocab);
    const table = builder.initializerData({ name: "embeddings.token_embedding.weight" }) as Float32Array;
    const all = Array.from({ length: 77 }, (_, i) => (i * 53 + 7) % clipVocab);
    const plain = await encode(int64s([1, 77], all), filledFloats([1, 0, D], 0));
    for (const pos of [config.ctxBeginPos, 5]) {
      const cut = all.slice(pos, pos + Q);
      const rest = [...all.slice(0, pos), ...all.slice(pos + Q)];
      const ctx = new Float32Array(Q * D);
      cut.forEach((id, q) => ctx.set(table.subarray(id * D, id * D + D), q * D));
      const spliced = (
        (await textEncoder.run({
          input_ids: int64s([1, 77 - Q], rest),
          ctx_embeddings: new ort.Tensor("float32", ctx, [1, Q, D]),
          ctx_begin_pos: int64s([1], [pos]),
        })) as Outputs
      ).last_hidden_state;
      expect(maxAbsDifference(spliced, plain)).toBeLessThan(1e-5);
    }
  });
});

describe("tiny VAE", () => {
  it("decodes [B,4,h,w] to [B,3,8h,8w] in about [-1, 1] and encodes back to [B,4,h,w]", async () => {
    for (const [batch, h] of [
      [1, 8],
      [4, 12],
    ]) {
      const image = ((await vaeDecoder.run({ latent_sample: randomFloats([batch, 4, h, h], 2) })) as Outputs).sample;
      expect(image.dims).toEqual([batch, 3, 8 * h, 8 * h]);
      const values = floatsOf(image);
      const rms = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
      expect(rms).toBeGreaterThan(0.01);
      expect(rms).toBeLessThan(2);
      const encoded = (await vaeEncoder.run({ sample: image })) as Outputs;
      expect(encoded.latent_mean.dims).toEqual([batch, 4, h, h]);
      expect(encoded.latent_logvar.dims).toEqual([batch, 4, h, h]);
    }
  });

  it("clamps the log-variance to [-30, 20]", async () => {
    const loud = await create(buildVaeEncoderGraph(config, { quantConvStd: 1e4 }).toBytes());
    const logvar = floatsOf(((await loud.run({ sample: randomFloats([1, 3, 64, 64], 8) })) as Outputs).latent_logvar);
    expect(Math.min(...logvar)).toBe(-30);
    expect(Math.max(...logvar)).toBe(20);
    const mean = floatsOf(((await loud.run({ sample: randomFloats([1, 3, 64, 64], 8) })) as Outputs).latent_mean);
    expect(Math.max(...mean.map(Math.abs))).toBeGreaterThan(20);
  });
});

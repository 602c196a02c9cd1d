import { beforeAll, describe, expect, it } from "vitest";
import { floatTensor, intTensor, type FloatTensor } from "@infix/engine";
import type { ModelPack } from "../pack/types.ts";
import type { Conditioning, SubjectEmbedding } from "../sockets.ts";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { tinyPack } from "../testing/tiny-pack.ts";
import { subjectPromptNode } from "./subject-prompt-node.ts";
import { textEncodeNode } from "./text-encode.ts";

let pack: ModelPack;
const ctx = createTestContext();

/** A deterministic [Q,D] subject with values spread over a few units. */
function subjectOf(seed: number): SubjectEmbedding {
  const { num_query_tokens: q, text_hidden_size: d } = pack.manifest;
  const data = Float32Array.from({ length: q * d }, (_, i) => Math.sin(seed * 7.1 + i * 0.37));
  return {
    type: "SUBJECT",
    embedding: floatTensor([q, d], data),
    packName: pack.manifest.name,
    packHash: pack.hash,
    category: "dog",
    sourceHashes: [],
  };
}

beforeAll(async () => {
  pack = await tinyPack();
});

/** The scripted reference: tokenize to `length`, run text_encoder.onnx with the given context. */
async function reference(text: string, length: number, context: FloatTensor): Promise<FloatTensor> {
  const { ids } = (await pack.clipTokenizer()).encode(text, { maxLength: length, padToMaxLength: true });
  expect(ids).toHaveLength(length);
  const outputs = await pack.run("text_encoder", {
    input_ids: intTensor([1, length], ids),
    ctx_embeddings: context,
    ctx_begin_pos: intTensor([1], [pack.manifest.ctx_begin_pos]),
  });
  return outputs.last_hidden_state;
}

describe("Subject Prompt", () => {
  it("encodes diffusers' prompt at L = 77 − Q with the subject spliced in, equal to a scripted call", async () => {
    const subject = subjectOf(1);
    const { conditioning } = (await runNode(
      subjectPromptNode,
      { pack, subject, target_category: "dog", prompt: " in the snow ", prompt_strength: 0.1, prompt_reps: 20 },
      ctx,
    )) as { conditioning: Conditioning };
    // int(0.1 · 20) = 2 repetitions, written out by hand.
    expect(conditioning.prompts).toEqual(["a dog in the snow, a dog in the snow"]);
    const expected = await reference(
      "a dog in the snow, a dog in the snow",
      61,
      floatTensor([1, 16, 32], subject.embedding.data),
    );
    expect(conditioning.embedding.dims).toEqual([1, 77, 32]);
    expect(Array.from(conditioning.embedding.data)).toEqual(Array.from(expected.data));
    expect(conditioning.subject).toEqual({ beginPos: 2, count: 16, category: "dog" });
    expect(conditioning.tokenIds[0]).toHaveLength(61);
  });

  it("puts the subject at ctx_begin_pos: positions before it do not see the subject, those after do", async () => {
    const inputs = { pack, target_category: "dog", prompt: "on the beach" };
    const a = (await runNode(subjectPromptNode, { ...inputs, subject: subjectOf(1) }, ctx))
      .conditioning as Conditioning;
    const b = (await runNode(subjectPromptNode, { ...inputs, subject: subjectOf(2) }, ctx))
      .conditioning as Conditioning;
    const d = pack.manifest.text_hidden_size;
    const rowDifference = (row: number) => {
      let worst = 0;
      for (let k = 0; k < d; k++)
        worst = Math.max(worst, Math.abs(a.embedding.data[row * d + k] - b.embedding.data[row * d + k]));
      return worst;
    };
    // CLIP's causal mask: rows 0 and 1 ("<bos>", "a") come before the splice at position 2.
    expect(rowDifference(0)).toBe(0);
    expect(rowDifference(1)).toBe(0);
    expect(rowDifference(2)).toBeGreaterThan(1e-4);
    expect(rowDifference(40)).toBeGreaterThan(1e-4);
  });

  it("truncates a long prompt to L tokens, keeping the end token", async () => {
    const { conditioning } = (await runNode(
      subjectPromptNode,
      { pack, subject: subjectOf(1), target_category: "dog", prompt: "on the beach" },
      ctx,
    )) as { conditioning: Conditioning };
    const ids = conditioning.tokenIds[0];
    const tokenizer = await pack.clipTokenizer();
    const endId = tokenizer.encode("")["ids"][1];
    expect(ids[60]).toBe(endId);
  });

  it("rejects a subject of another pack's shape and an empty target category", async () => {
    const alien: SubjectEmbedding = { ...subjectOf(1), embedding: floatTensor([16, 768]) };
    const shape = await runNodeFailure(
      subjectPromptNode,
      { pack, subject: alien, target_category: "dog", prompt: "x" },
      ctx,
    );
    expect(shape).toMatchObject({ input: "subject", found: "[16,768]" });
    const empty = await runNodeFailure(
      subjectPromptNode,
      { pack, subject: subjectOf(1), target_category: "", prompt: "x" },
      ctx,
    );
    expect(empty).toMatchObject({ input: "target_category" });
  });
});

describe("Text Encode", () => {
  it("encodes without a subject at L = 77 and C = 0, equal to a scripted call", async () => {
    const { conditioning } = (await runNode(textEncodeNode, { pack, text: "blurry, lowres" }, ctx)) as {
      conditioning: Conditioning;
    };
    const expected = await reference("blurry, lowres", 77, floatTensor([1, 0, 32]));
    expect(Array.from(conditioning.embedding.data)).toEqual(Array.from(expected.data));
    expect(conditioning.subject).toBeUndefined();
  });

  it("encodes the empty negative prompt", async () => {
    const { conditioning } = (await runNode(textEncodeNode, { pack, text: "" }, ctx)) as { conditioning: Conditioning };
    expect(conditioning.embedding.dims).toEqual([1, 77, 32]);
    expect(conditioning.embedding.data.every(Number.isFinite)).toBe(true);
  });
});

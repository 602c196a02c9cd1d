import { beforeAll, describe, expect, it } from "vitest";
import type { TextTokenizer } from "../pack/types.ts";
import { referenceClipTokenizer } from "../testing/reference-edit.ts";
import { alignSequences } from "./alignment.ts";
import { EditPlanError, planEdit, type EditSettings } from "./edit-plan.ts";

/**
 * Our default behaviour (lavis_compatible off) against hand-worked expectations on the shared
 * tiny tokenizer (BOS 569, EOS 570, a 320, cat 520, dog 519, sitting 564, on 534, the 514,
 * grass 568; Q = 8 subject keys at ctx_begin_pos 2), one test per fix of LAVIS's defects
 * (../shared/EDITING.md §2, §3, §6), plus the edit kinds' rules.
 */

let tokenizer: TextTokenizer;
beforeAll(async () => {
  tokenizer = await referenceClipTokenizer();
});

const LAYOUT = { keys: 77, subjectTokens: 8, ctxBeginPos: 2 };
const base: EditSettings = {
  sourceSubject: "cat",
  targetSubject: "dog",
  prompt: "sitting on the grass",
  kind: "refine",
  reweight: [],
  crossReplaceSteps: 0.8,
  selfReplaceSteps: 0.4,
  blendWords: null,
  localBlend: true,
  threshold: 0.3,
  lavisCompatible: false,
};
const plan = (changes: Partial<EditSettings> = {}, layout = LAYOUT) =>
  planEdit(tokenizer, { ...base, ...changes }, layout);
const ones = (mask: Float32Array) => Array.from(mask.keys()).filter((k) => mask[k] !== 0);
const tail = (from: number) => Array.from({ length: 77 - from }, (_, i) => from + i);

describe("prompt-to-prompt global alignment", () => {
  it("prefers a target token without partner over dropping a source token (traceback left > up > diagonal)", () => {
    expect(Array.from(alignSequences([1, 2, 3], [1, 9, 2, 3]))).toEqual([0, -1, 1, 2]);
    expect(Array.from(alignSequences([1, 2, 3], [1, 3]))).toEqual([0, 2]);
    expect(Array.from(alignSequences([1, 5, 3], [1, 6, 3]))).toEqual([0, -1, 2]);
  });
});

describe("our edit plan (lavis_compatible off)", () => {
  it("fix 1: aligns on the keys the UNet sees, so the shared words take their own source words' attention", () => {
    const { mapper, alphas } = plan().mapping;
    // Keys: [BOS, a, subject×8, dog, sitting, on, the, grass, EOS, pad…]; source [BOS, a, cat, sitting, on, the, grass, EOS, pad…].
    expect(Array.from(mapper)).toEqual([0, 1, ...new Array(9).fill(-1), 3, 4, 5, 6, 7, ...tail(16)]);
    expect(ones(alphas)).toEqual([0, 1, 11, 12, 13, 14, 15, ...tail(16)]);
    // LAVIS's mapper for the same edit sends keys 11–15 (its placeholders) to these words instead (§3).
    const lavis = plan({ lavisCompatible: true }).mapping.mapper;
    expect(Array.from(lavis.subarray(0, 18))).toEqual([0, 1, ...new Array(9).fill(-1), 3, 4, 5, 6, 7, 16, 17]);
    expect(plan({ lavisCompatible: true }).targetPrompt).toBe(`a ${"sks ".repeat(8)}dog sitting on the grass`);
    expect(plan().targetPrompt).toBe("a dog sitting on the grass");
  });

  it("fix 2: inverts with 'a {source subject} {prompt}', not the subject's first letter", () => {
    expect(plan().inversionPrompt).toBe("a cat sitting on the grass");
    expect(plan({ lavisCompatible: true }).inversionPrompt).toBe("a c sitting on the grass");
  });

  it("fix 3: looks the blend words up on both rows (the target's subject keys count as its subject)", () => {
    const words = plan().blendWords!;
    expect(ones(words[0])).toEqual([2]); // cat
    expect(ones(words[1])).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]); // the 8 subject keys and dog
    const lavis = plan({ lavisCompatible: true }).blendWords!;
    expect(ones(lavis[0])).toEqual([2]);
    expect(ones(lavis[1])).toEqual([]);
    // Explicit words are looked up on both rows, in key space on the target.
    const grass = plan({ blendWords: ["grass"] }).blendWords!;
    expect([ones(grass[0]), ones(grass[1])]).toEqual([[6], [14]]);
  });

  it("fix 4: a subject of several words is found as a phrase (LAVIS finds nothing, which disables the edit)", () => {
    const teddy = plan({ sourceSubject: "teddy bear", targetSubject: "dog" });
    const pieces = tokenizer.encode("teddy").ids.length - 2 + tokenizer.encode("bear").ids.length - 2;
    expect(ones(teddy.blendWords![0])).toEqual(Array.from({ length: pieces }, (_, i) => 2 + i));
    const lavis = plan({ sourceSubject: "teddy bear", lavisCompatible: true });
    expect(ones(lavis.blendWords![0])).toEqual([]);
  });

  it("replace maps word for word and refuses prompts of different token counts, naming the input", () => {
    const { mapper, alphas } = plan({ kind: "replace" }).mapping;
    expect(Array.from(mapper.subarray(0, 17))).toEqual([0, 1, ...new Array(8).fill(-1), 2, 3, 4, 5, 6, 7, 8]);
    expect(ones(alphas).slice(0, 9)).toEqual([0, 1, 10, 11, 12, 13, 14, 15, 16]);
    const uneven = () => plan({ kind: "replace", targetSubject: "small dog" });
    expect(uneven).toThrow(EditPlanError);
    expect(uneven).toThrow(/equal token count/);
  });

  it("reweight scales only the chosen words' keys and refuses a word not in the prompt", () => {
    const { scales } = plan({ kind: "reweight", reweight: [{ word: "grass", scale: 2 }] });
    expect(Array.from(scales.keys()).filter((k) => scales[k] !== 1)).toEqual([14]);
    expect(scales[14]).toBe(2);
    expect(() => plan({ kind: "reweight", reweight: [{ word: "moon", scale: 2 }] })).toThrow(/not a word/);
  });

  it("without a subject edits the plain texts", () => {
    const plain = plan({}, { ...LAYOUT, subjectTokens: 0 });
    expect(Array.from(plain.mapping.mapper.subarray(0, 9))).toEqual([0, 1, -1, 3, 4, 5, 6, 7, 8]);
    expect(plain.keyLabels[1].slice(0, 8)).toEqual(["<start>", "a", "dog", "sitting", "on", "the", "grass", "<end>"]);
  });
});

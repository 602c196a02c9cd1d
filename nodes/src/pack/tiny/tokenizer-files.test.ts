import { bertTokenizerFromVocabulary, clipTokenizerFromVocabulary } from "@infix/engine";
import { describe, expect, it } from "vitest";
import {
  buildBertTokenizerFiles,
  buildClipTokenizerFiles,
  byteUnicodeSymbols,
  learnBpeMerges,
} from "./tokenizer-files.ts";
import { TINY_WORDS } from "./word-list.ts";

describe("byteUnicodeSymbols", () => {
  it("lists 256 distinct symbols: printable bytes first as themselves, then byte 0 as U+0100", () => {
    const symbols = byteUnicodeSymbols();
    expect(new Set(symbols).size).toBe(256);
    expect(symbols[0]).toBe("!");
    expect(symbols[93]).toBe("~");
    // 94 printable ASCII + 12 + 82 Latin-1 = 188 printable; byte 0 is the first remapped one.
    expect(symbols[188]).toBe("\u0100");
    expect(symbols[188 + 32]).toBe("\u0120"); // the space byte: CLIP's "Ġ"
  });
});

describe("learnBpeMerges", () => {
  it("merges the most frequent pair first, ties broken alphabetically, until words are whole", () => {
    // Worked by hand: counts h u:2, u g</w>:2 → "h u"; then all pairs occur once → alphabetical.
    expect(learnBpeMerges(["hug", "pug", "hugs"])).toEqual([
      ["h", "u"],
      ["g", "s</w>"],
      ["hu", "g</w>"],
      ["hu", "gs</w>"],
      ["p", "u"],
      ["pu", "g</w>"],
    ]);
  });
});

describe("tiny CLIP tokenizer files", () => {
  const files = buildClipTokenizerFiles();
  const tokenizer = clipTokenizerFromVocabulary({ vocab: files.vocab, merges: files.merges });

  it("follow CLIP's layout: bytes, bytes with </w>, merges, then the two special tokens last", () => {
    expect(files.vocab["!"]).toBe(0);
    expect(files.vocab["!</w>"]).toBe(256);
    expect(files.vocab["<|startoftext|>"]).toBe(files.vocabSize - 2);
    expect(files.vocab["<|endoftext|>"]).toBe(files.vocabSize - 1);
    expect(files.merges.split("\n")[0]).toMatch(/^#version/);
  });

  it("tokenize every listed word to one token, and other words letter by letter", () => {
    const { ids } = tokenizer.encode("a photo of a dog swimming underwater, in van gogh style");
    // 11 words and the comma, between the start and end tokens.
    expect(ids).toHaveLength(1 + 12 + 1);
    expect(ids[2]).toBe(files.vocab["photo</w>"]);
    for (const word of TINY_WORDS) expect(tokenizer.encode(word).ids).toHaveLength(3);
    expect(tokenizer.encode("zq").ids.slice(1, -1)).toEqual([files.vocab["z"], files.vocab["q</w>"]]);
  });
});

describe("tiny BERT vocabulary", () => {
  const files = buildBertTokenizerFiles();
  const lines = files.vocabText.trimEnd().split("\n");
  const tokenizer = bertTokenizerFromVocabulary({ vocab: files.vocabText });

  it("starts with [PAD]=0, [UNK], [CLS], [SEP], [MASK] and has no duplicates", () => {
    expect(lines.slice(0, 5)).toEqual(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
    expect(new Set(lines).size).toBe(lines.length);
  });

  it("tokenizes listed words whole and others into ## pieces, lowercased, within [CLS] … [SEP]", () => {
    const id = (token: string) => lines.indexOf(token);
    expect(tokenizer.encode("Kettle").ids).toEqual([id("[CLS]"), id("kettle"), id("[SEP]")]);
    expect(tokenizer.encode("zx").ids).toEqual([id("[CLS]"), id("z"), id("##x"), id("[SEP]")]);
  });
});

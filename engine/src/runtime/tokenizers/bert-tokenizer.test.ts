import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bertTokenizerFromVocabulary, loadBertTokenizer } from "./bert-tokenizer.ts";

// A tiny uncased WordPiece vocabulary; line number = id. Expected ids are worked out by hand
// from BertTokenizer: BasicTokenizer (lowercase, accents stripped, punctuation split, CJK
// characters isolated), then greedy longest-match-first WordPiece with "##" continuations.
const VOCAB =
  [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "a",
    "cafe",
    "dog",
    "##s",
    "un",
    "##want",
    "##ed",
    ",",
    "!",
    "runn",
    "##ing",
    "中",
    "x",
    "##x",
    "'",
    "s",
  ].join("\n") + "\n";
const CLS = 2;
const SEP = 3;
const UNK = 1;

const tokenizer = bertTokenizerFromVocabulary({ vocab: VOCAB });

describe("BERT WordPiece tokenizer", () => {
  it("lowercases, strips accents, splits punctuation and continues words with ##", () => {
    expect(tokenizer.encode("Café Dogs, unwanted!").ids).toEqual([CLS, 6, 7, 8, 12, 9, 10, 11, 13, SEP]);
    expect(tokenizer.encode("dog's").ids).toEqual([CLS, 7, 19, 20, SEP]);
  });

  it("isolates CJK characters", () => {
    expect(tokenizer.encode("running中x").ids).toEqual([CLS, 14, 15, 16, 17, SEP]);
  });

  it("makes a whole word [UNK] when a piece is missing or it is over 100 characters", () => {
    expect(tokenizer.encode("dogz a").ids).toEqual([CLS, UNK, 5, SEP]);
    const hundred = tokenizer.encode("x".repeat(100)).ids;
    expect(hundred).toHaveLength(102);
    expect(hundred.slice(0, 3)).toEqual([CLS, 17, 18]);
    expect(tokenizer.encode("x".repeat(101)).ids).toEqual([CLS, UNK, SEP]);
  });

  it("pads a batch to its longest text, and truncates keeping [SEP]", () => {
    const batch = tokenizer.encodeBatch(["dog", "a cafe dogs"]);
    expect(batch[0]).toEqual({ ids: [CLS, 7, SEP, 0, 0, 0], attentionMask: [1, 1, 1, 0, 0, 0] });
    expect(batch[1]).toEqual({ ids: [CLS, 5, 6, 7, 8, SEP], attentionMask: [1, 1, 1, 1, 1, 1] });
    expect(tokenizer.encode("a dog a dog", { maxLength: 4 }).ids).toEqual([CLS, 5, 7, SEP]);
    expect(tokenizer.padId).toBe(0);
  });

  it("keeps case and accents for a cased vocabulary (do_lower_case false)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "infix-bert-"));
    await writeFile(join(dir, "vocab.txt"), VOCAB);
    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ do_lower_case: false }));
    const cased = await loadBertTokenizer(dir);
    expect(cased.encode("Dog dog").ids).toEqual([CLS, UNK, 7, SEP]);
    await rm(dir, { recursive: true });
  });

  it("uses a folder's tokenizer.json when there is one", async () => {
    // A hand-written tokenizer.json in the Hugging Face format, with ids unlike vocab.txt's.
    const tokens = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "hello", "##s"];
    const json = {
      added_tokens: ["[UNK]", "[CLS]", "[SEP]", "[PAD]"].map((content) => ({
        id: tokens.indexOf(content),
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: {
        type: "BertNormalizer",
        clean_text: true,
        handle_chinese_chars: true,
        strip_accents: null,
        lowercase: true,
      },
      pre_tokenizer: { type: "BertPreTokenizer" },
      post_processor: { type: "BertProcessing", sep: ["[SEP]", 2], cls: ["[CLS]", 1] },
      decoder: { type: "WordPiece", prefix: "##", cleanup: true },
      model: {
        type: "WordPiece",
        unk_token: "[UNK]",
        continuing_subword_prefix: "##",
        max_input_chars_per_word: 100,
        vocab: Object.fromEntries(tokens.map((t, i) => [t, i])),
      },
    };
    const dir = await mkdtemp(join(tmpdir(), "infix-bert-json-"));
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify(json));
    await writeFile(join(dir, "vocab.txt"), VOCAB); // ignored: tokenizer.json wins
    const fromJson = await loadBertTokenizer(dir);
    expect(fromJson.padId).toBe(3);
    expect(fromJson.encode("HELLOS", { maxLength: 6, padToMaxLength: true }).ids).toEqual([1, 4, 5, 2, 3, 3]);
    await rm(dir, { recursive: true });
  });
});

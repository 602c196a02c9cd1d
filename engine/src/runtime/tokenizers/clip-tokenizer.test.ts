import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clipTokenizerFromVocabulary, loadClipTokenizer } from "./clip-tokenizer.ts";
import { TokenizerLoadError } from "./tokenizer-files.ts";

// A tiny CLIP vocabulary. Expected ids below are worked out by hand with openai/CLIP's
// simple_tokenizer.py algorithm: lowercase, whitespace collapsed, split by CLIP's pattern,
// each piece's last symbol gets "</w>", merges applied lowest rank first, unknown → <|endoftext|>.
const TOKENS = [
  "a",
  "c",
  "t",
  "h",
  "o",
  "p",
  "s",
  "'",
  "a</w>",
  "t</w>",
  "s</w>",
  "o</w>",
  "ca",
  "cat</w>",
  "ph",
  "pho",
  "phot",
  "photo</w>",
  "1</w>",
  "2</w>",
  "!</w>",
  "!!</w>",
  ",</w>",
  "'s</w>",
  "!",
  "<|startoftext|>",
  "<|endoftext|>",
];
const vocab = Object.fromEntries(TOKENS.map((token, id) => [token, id]));
const MERGES = "#version: 0.2\nc a\nca t</w>\np h\nph o\npho t\nphot o</w>\n! !</w>\n' s</w>\n";
const SOT = 25;
const EOT = 26;

const tokenizer = clipTokenizerFromVocabulary({ vocab, merges: MERGES });

describe("CLIP BPE tokenizer", () => {
  it("lowercases, collapses whitespace, merges by rank and maps unknown symbols to <|endoftext|>", () => {
    // "of" → o, f</w>: no merge, and f</w> is not in the vocabulary.
    expect(tokenizer.encode("A  Photo\n of\tCAT").ids).toEqual([SOT, 8, 17, 4, EOT, 13, EOT]);
  });

  it("splits apostrophe suffixes, single digits and punctuation runs", () => {
    // 's → ("'", "s</w>") → merged to "'s</w>"; 12 → 1, 2; "!!" is one piece merged to "!!</w>".
    expect(tokenizer.encode("cat's 12!!").ids).toEqual([SOT, 13, 23, 18, 19, 21, EOT]);
    expect(tokenizer.encode("a, cat!").ids).toEqual([SOT, 8, 22, 13, 20, EOT]);
  });

  it("applies </w> only to the word's last symbol", () => {
    // "cats": c a t s</w> → ca t s</w>; "ca t</w>" cannot apply because t is not word-final.
    expect(tokenizer.encode("cats").ids).toEqual([SOT, 12, 2, 10, EOT]);
  });

  it("drops format characters and spaces CJK ideographs apart first, like the slow CLIPTokenizer", () => {
    // A soft hyphen dropped joins "a" and "cat" into one word: a, cat</w>. Kept, it would be a piece of its own.
    expect(tokenizer.encode("a\u00adcat").ids).toEqual([SOT, 0, 13, EOT]);
    expect(tokenizer.encode("a\u00adcat").ids).toEqual(tokenizer.encode("acat").ids);
    // Ideographs are letters to CLIP's split pattern: without the spacing "cat犬s" would be one word.
    expect(tokenizer.encode("cat\u72acs").ids).toEqual(tokenizer.encode("cat \u72ac s").ids);
  });

  it("truncates keeping the end token, and pads with the pad token", () => {
    expect(tokenizer.encode("a photo a cat", { maxLength: 4 }).ids).toEqual([SOT, 8, 17, EOT]);
    const padded = tokenizer.encode("a cat", { maxLength: 8, padToMaxLength: true });
    expect(padded.ids).toEqual([SOT, 8, 13, EOT, EOT, EOT, EOT, EOT]);
    expect(padded.attentionMask).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(tokenizer.padId).toBe(EOT);
  });
});

describe("loadClipTokenizer", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "infix-clip-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads vocab.json and merges.txt, and the pad token from special_tokens_map.json", async () => {
    await writeFile(join(dir, "vocab.json"), JSON.stringify(vocab));
    await writeFile(join(dir, "merges.txt"), MERGES);
    await writeFile(join(dir, "special_tokens_map.json"), JSON.stringify({ pad_token: { content: "!" } }));
    const loaded = await loadClipTokenizer(dir);
    expect(loaded.padId).toBe(24);
    expect(loaded.encode("a photo", { maxLength: 5, padToMaxLength: true }).ids).toEqual([SOT, 8, 17, EOT, 24]);
  });

  it("says which files are missing", async () => {
    const empty = await mkdtemp(join(tmpdir(), "infix-clip-empty-"));
    await expect(loadClipTokenizer(empty)).rejects.toThrow(TokenizerLoadError);
    await expect(loadClipTokenizer(empty)).rejects.toThrow(/vocab\.json and merges\.txt/);
    await rm(empty, { recursive: true });
  });
});

import { TINY_WORDS } from "./word-list.ts";

/**
 * The tiny pack's tokenizer files, in the standard formats Hugging Face loaders read:
 * CLIP byte-level BPE (`vocab.json` + `merges.txt`) and BERT WordPiece (`vocab.txt`).
 */

export const CLIP_START_TOKEN = "<|startoftext|>";
export const CLIP_END_TOKEN = "<|endoftext|>";

/**
 * GPT-2/CLIP's reversible byte → printable-unicode table (openai/CLIP simple_tokenizer.py
 * `bytes_to_unicode`): printable Latin-1 bytes map to themselves, the other 68 bytes to
 * code points 256 onwards, in byte order. Returns the 256 symbols in CLIP's vocabulary order.
 */
export function byteUnicodeSymbols(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const bytes = [...printable];
  const codePoints = [...printable];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) {
      bytes.push(b);
      codePoints.push(256 + extra++);
    }
  }
  return codePoints.map((c) => String.fromCodePoint(c));
}

/**
 * Learns BPE merges from `words` (Sennrich et al. 2016, §3.1): each word is its letters
 * with `</w>` on the last one; repeatedly merge the most frequent adjacent pair (ties: the
 * lexicographically smallest, for determinism) until every word is a single symbol.
 * The words here are lowercase ASCII, whose byte-unicode symbols are the letters themselves.
 */
export function learnBpeMerges(words: readonly string[]): [string, string][] {
  const sequences = [...new Set(words)].map((word) => {
    const letters = [...word];
    letters[letters.length - 1] += "</w>";
    return letters;
  });
  const merges: [string, string][] = [];
  for (;;) {
    const counts = new Map<string, number>();
    for (const seq of sequences) {
      for (let i = 0; i + 1 < seq.length; i++) {
        const key = `${seq[i]} ${seq[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    if (counts.size === 0) return merges;
    let best = "";
    let bestCount = 0;
    for (const [key, count] of counts) {
      if (count > bestCount || (count === bestCount && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    const [left, right] = best.split(" ");
    merges.push([left, right]);
    for (const seq of sequences) {
      for (let i = 0; i + 1 < seq.length; i++) {
        if (seq[i] === left && seq[i + 1] === right) seq.splice(i, 2, left + right);
      }
    }
  }
}

export interface ClipTokenizerFiles {
  /** token → id, CLIP's order: bytes, bytes + `</w>`, merge results, then the two specials. */
  readonly vocab: Record<string, number>;
  /** merges.txt text, with its `#version` header line. */
  readonly merges: string;
  readonly vocabSize: number;
}

/** Builds the tiny CLIP tokenizer files from the built-in word list. */
export function buildClipTokenizerFiles(words: readonly string[] = TINY_WORDS): ClipTokenizerFiles {
  const symbols = byteUnicodeSymbols();
  const tokens = [...symbols, ...symbols.map((s) => `${s}</w>`)];
  const merges = learnBpeMerges(words);
  const seen = new Set(tokens);
  for (const [left, right] of merges) {
    const merged = left + right;
    if (!seen.has(merged)) {
      seen.add(merged);
      tokens.push(merged);
    }
  }
  tokens.push(CLIP_START_TOKEN, CLIP_END_TOKEN);
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => (vocab[token] = id));
  const mergesText = ["#version: 0.2", ...merges.map(([a, b]) => `${a} ${b}`)].join("\n") + "\n";
  return { vocab, merges: mergesText, vocabSize: tokens.length };
}

export interface BertTokenizerFiles {
  /** vocab.txt text: one token per line, line number = id. */
  readonly vocabText: string;
  readonly vocabSize: number;
}

/**
 * Builds the tiny BERT (uncased) WordPiece vocabulary: [PAD]=0, [UNK], [CLS], [SEP], [MASK],
 * then single characters, their `##` continuation pieces, and the whole words, so any
 * lowercase ASCII text has a WordPiece split and the listed words are one token each.
 */
export function buildBertTokenizerFiles(words: readonly string[] = TINY_WORDS): BertTokenizerFiles {
  const characters: string[] = [];
  for (let c = 0x21; c <= 0x7e; c++) {
    const ch = String.fromCharCode(c);
    if (ch >= "A" && ch <= "Z") continue; // uncased: the normaliser lowercases first
    characters.push(ch);
  }
  const alphanumeric = characters.filter((c) => /[a-z0-9]/.test(c));
  const tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...characters, ...alphanumeric.map((c) => `##${c}`)];
  const seen = new Set(tokens);
  for (const word of words) {
    if (!seen.has(word)) {
      seen.add(word);
      tokens.push(word);
    }
  }
  return { vocabText: tokens.join("\n") + "\n", vocabSize: tokens.length };
}

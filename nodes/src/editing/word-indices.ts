/**
 * Which token positions of a prompt hold a word, for the local blend's word indicator and
 * for reweighting. Two lookups: LAVIS's (`ptp_utils.get_word_inds`, ../shared/EDITING.md §6.4)
 * and ours, which also finds words of several parts ("teddy bear").
 */
import type { TextTokenizer } from "../pack/types.ts";

/** Tokens (without BOS/EOS) of each space-separated word of `text`, in order. */
function tokenCounts(tokenizer: TextTokenizer, words: readonly string[]): number[] {
  // CLIP's pre-tokenizer splits at whitespace and BPE never merges across words, so the
  // prompt's tokens are the concatenation of its words' tokens (BOS and EOS aside).
  return words.map((word) => (word === "" ? 0 : tokenizer.encode(word).ids.length - 2));
}

/** Token positions (BOS = 0) of the word run `first … first+count−1` of `words`. */
function positionsOf(counts: readonly number[], first: number, count: number): number[] {
  let position = 1;
  for (let i = 0; i < first; i++) position += counts[i];
  const out: number[] = [];
  for (let i = first; i < first + count; i++) {
    for (let t = 0; t < counts[i]; t++) out.push(position++);
  }
  return out;
}

/**
 * LAVIS `get_word_inds(text, word)`: the text is split on single spaces and the word must equal
 * one split element exactly, so a word with a space matches nothing. Every element equal to it
 * contributes all its BPE pieces. (LAVIS counts decoded characters per token to walk the
 * words; for the lowercased, single-spaced text BlipCaptionProcessor leaves, that is the same
 * as counting each word's tokens.)
 */
export function lavisWordIndices(tokenizer: TextTokenizer, text: string, word: string): number[] {
  const split = text.split(" ");
  const counts = tokenCounts(tokenizer, split);
  const out: number[] = [];
  split.forEach((element, i) => {
    if (element === word) out.push(...positionsOf(counts, i, 1));
  });
  return out;
}

/**
 * Token positions of every occurrence of `phrase` (one or more words) in `text`, words compared
 * after collapsing whitespace and lowercasing, as CLIP's tokenizer sees them.
 */
export function phraseIndices(tokenizer: TextTokenizer, text: string, phrase: string): number[] {
  const words = text.toLowerCase().trim().split(/\s+/).filter(Boolean);
  const wanted = phrase.toLowerCase().trim().split(/\s+/).filter(Boolean);
  if (wanted.length === 0) return [];
  const counts = tokenCounts(tokenizer, words);
  const out: number[] = [];
  for (let i = 0; i + wanted.length <= words.length; i++) {
    if (wanted.every((w, j) => words[i + j] === w)) out.push(...positionsOf(counts, i, wanted.length));
  }
  return out;
}

/**
 * LAVIS's `BlipCaptionProcessor` on a subject word: lowercased, `.!"()*#:;~` turned into
 * spaces, runs of whitespace collapsed, trimmed.
 */
export function blipCaption(text: string): string {
  return text
    .toLowerCase()
    .replace(/[.!"()*#:;~]/g, " ")
    .replace(/\s{2,}/g, " ")
    .replace(/\n$/, "")
    .trim();
}

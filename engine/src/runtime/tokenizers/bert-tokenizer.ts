import { Tokenizer } from "@huggingface/tokenizers";
import { HfTextTokenizer, specialTokenText } from "./hf-text-tokenizer.ts";
import { readOptionalJson, readOptionalText, readTokenizerConfig, TokenizerLoadError } from "./tokenizer-files.ts";
import type { TextTokenizer } from "./types.ts";

/**
 * BERT's WordPiece tokenizer (Devlin et al. 2019; transformers' BertTokenizer), run by
 * @huggingface/tokenizers from a tokenizer.json — the pack's own, or one built here from
 * vocab.txt as BertTokenizerFast does: BertNormalizer (control characters dropped,
 * whitespace to spaces, spaces around CJK ideographs, lowercase and accents stripped when
 * uncased), BertPreTokenizer (whitespace and punctuation split), greedy longest-match
 * WordPiece with `##` continuations and [UNK] for words over 100 characters, then
 * `[CLS] … [SEP]`.
 */

export interface BertVocabulary {
  /** vocab.txt's text: one token per line, the line number is the id. */
  vocab: string;
  /** Uncased models lowercase and strip accents; default true. */
  lowercase?: boolean;
}

/**
 * Builds the BERT tokenizer from vocab.txt contents.
 *
 * @example
 * bertTokenizerFromVocabulary({ vocab }).encodeBatch(["dog", "a red car"]); // padded to the longest
 */
export function bertTokenizerFromVocabulary(vocabulary: BertVocabulary): TextTokenizer {
  return wrap(
    new Tokenizer(bertTokenizerJson(parseVocab(vocabulary.vocab), vocabulary.lowercase ?? true), {}),
    "[PAD]",
    "(in memory)",
  );
}

/**
 * Loads the BERT tokenizer of a folder: `tokenizer.json`, or `vocab.txt` (with
 * `tokenizer_config.json`'s `do_lower_case` and `pad_token` when present).
 */
export async function loadBertTokenizer(dir: string): Promise<TextTokenizer> {
  const config = await readTokenizerConfig(dir);
  const padToken = specialTokenText(config.pad_token) ?? "[PAD]";
  const tokenizerJson = await readOptionalJson(dir, "tokenizer.json");
  if (tokenizerJson) return wrap(new Tokenizer(tokenizerJson, config), padToken, dir);
  const vocab = await readOptionalText(dir, "vocab.txt");
  if (vocab === undefined) throw new TokenizerLoadError(dir, "a BERT tokenizer needs tokenizer.json or vocab.txt");
  const lowercase = typeof config.do_lower_case === "boolean" ? config.do_lower_case : true;
  return wrap(new Tokenizer(bertTokenizerJson(parseVocab(vocab), lowercase), config), padToken, dir);
}

function wrap(tokenizer: Tokenizer, padToken: string, dir: string): TextTokenizer {
  const padId = tokenizer.token_to_id(padToken);
  if (padId === undefined) throw new TokenizerLoadError(dir, `the vocabulary has no pad token '${padToken}'`);
  return new HfTextTokenizer(tokenizer, padId);
}

function parseVocab(text: string): Map<string, number> {
  const vocab = new Map<string, number>();
  // BertTokenizer's load_vocab: one token per line, trailing newline stripped, index = id.
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, index) => {
    const token = line.replace(/\r$/, "");
    if (!vocab.has(token)) vocab.set(token, index);
  });
  return vocab;
}

const BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

function bertTokenizerJson(vocab: Map<string, number>, lowercase: boolean): Record<string, unknown> {
  const id = (token: string): number => {
    const value = vocab.get(token);
    if (value === undefined) throw new TokenizerLoadError("(vocab.txt)", `the vocabulary lacks ${token}`);
    return value;
  };
  return {
    added_tokens: BERT_SPECIALS.filter((token) => vocab.has(token)).map((token) => ({
      id: id(token),
      content: token,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    // strip_accents null follows `lowercase`, as BertTokenizer's strip_accents=None does.
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: { type: "BertProcessing", sep: ["[SEP]", id("[SEP]")], cls: ["[CLS]", id("[CLS]")] },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab),
    },
  };
}

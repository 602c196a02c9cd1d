import { Tokenizer } from "@huggingface/tokenizers";
import { cleanClipText } from "./clip-text-cleanup.ts";
import { HfTextTokenizer, specialTokenText } from "./hf-text-tokenizer.ts";
import { readOptionalJson, readOptionalText, readTokenizerConfig, TokenizerLoadError } from "./tokenizer-files.ts";
import type { TextTokenizer } from "./types.ts";

/**
 * CLIP's byte-level BPE tokenizer (Radford et al. 2021; openai/CLIP simple_tokenizer.py,
 * transformers' CLIPTokenizer), run by @huggingface/tokenizers from a tokenizer.json — the
 * pack's own, or one built here from vocab.json + merges.txt with the structure
 * transformers' CLIPTokenizerFast writes: NFC, whitespace runs to one space, lowercase;
 * CLIP's split pattern; bytes mapped to unicode; BPE whose word-final symbol carries `</w>`;
 * `<|startoftext|>` … `<|endoftext|>` around the text.
 *
 * Before that, every text gets the slow CLIPTokenizer's BasicTokenizer cleanup (control and
 * format characters dropped, CJK ideographs spaced apart: clip-text-cleanup.ts), so ids match
 * the slow tokenizer without ftfy, which diffusers' pipelines use. With ftfy that one also
 * repairs mojibake and unescapes HTML entities, which we do not.
 */

export const CLIP_START_TOKEN = "<|startoftext|>";
export const CLIP_END_TOKEN = "<|endoftext|>";
/** openai/CLIP's pre-tokenizer pattern (simple_tokenizer.py), as CLIPTokenizer uses it. */
const CLIP_SPLIT_PATTERN = String.raw`<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`;
/** CLIPTokenizer reads at most this many merges: 49152 tokens − 256 bytes − 2 specials. */
const CLIP_MAX_MERGES = 49152 - 256 - 2;

export interface ClipVocabulary {
  /** vocab.json: token → id. */
  vocab: Readonly<Record<string, number>>;
  /** merges.txt's text (its `#version` header line is skipped). */
  merges: string;
  /** The padding token's text; `<|endoftext|>` (Stable Diffusion's CLIP) when absent. */
  padToken?: string;
}

/**
 * Builds the CLIP tokenizer from vocab.json and merges.txt contents.
 *
 * @example
 * const tokenizer = clipTokenizerFromVocabulary({ vocab, merges });
 * tokenizer.encode("a photo of a cat", { maxLength: 77, padToMaxLength: true }).ids;
 */
export function clipTokenizerFromVocabulary(vocabulary: ClipVocabulary): TextTokenizer {
  const json = clipTokenizerJson(vocabulary.vocab, parseMerges(vocabulary.merges));
  return wrap(new Tokenizer(json, {}), vocabulary.padToken ?? CLIP_END_TOKEN, "vocab.json");
}

/**
 * Loads the CLIP tokenizer of a folder: `tokenizer.json`, or `vocab.json` + `merges.txt`;
 * the pad token from `tokenizer_config.json` / `special_tokens_map.json` when they name one.
 */
export async function loadClipTokenizer(dir: string): Promise<TextTokenizer> {
  const config = await readTokenizerConfig(dir);
  const padToken = specialTokenText(config.pad_token) ?? CLIP_END_TOKEN;
  const tokenizerJson = await readOptionalJson(dir, "tokenizer.json");
  if (tokenizerJson) return wrap(new Tokenizer(tokenizerJson, config), padToken, "tokenizer.json", dir);
  const vocabJson = await readOptionalJson(dir, "vocab.json");
  const merges = await readOptionalText(dir, "merges.txt");
  if (!vocabJson || merges === undefined) {
    throw new TokenizerLoadError(dir, "a CLIP tokenizer needs tokenizer.json, or vocab.json and merges.txt");
  }
  for (const [token, id] of Object.entries(vocabJson)) {
    if (typeof id !== "number") throw new TokenizerLoadError(dir, `vocab.json maps '${token}' to a non-number`);
  }
  return wrap(
    new Tokenizer(clipTokenizerJson(vocabJson as Record<string, number>, parseMerges(merges)), config),
    padToken,
    "vocab.json",
    dir,
  );
}

function wrap(tokenizer: Tokenizer, padToken: string, source: string, dir = "(in memory)"): TextTokenizer {
  const padId = tokenizer.token_to_id(padToken);
  if (padId === undefined) throw new TokenizerLoadError(dir, `${source} has no id for the pad token '${padToken}'`);
  return new HfTextTokenizer(tokenizer, padId, cleanClipText);
}

function parseMerges(text: string): string[] {
  const lines = text.split("\n").filter((line, index) => !(index === 0 && line.startsWith("#version")));
  return lines
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .slice(0, CLIP_MAX_MERGES);
}

/** The tokenizer.json structure CLIPTokenizerFast would save for this vocabulary. */
function clipTokenizerJson(vocab: Readonly<Record<string, number>>, merges: string[]): Record<string, unknown> {
  const startId = vocab[CLIP_START_TOKEN];
  const endId = vocab[CLIP_END_TOKEN];
  if (startId === undefined || endId === undefined) {
    throw new TokenizerLoadError(
      "(vocab.json)",
      `the vocabulary lacks ${startId === undefined ? CLIP_START_TOKEN : CLIP_END_TOKEN}`,
    );
  }
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  return {
    added_tokens: [special(startId, CLIP_START_TOKEN), special(endId, CLIP_END_TOKEN)],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFC" },
        { type: "Replace", pattern: { Regex: String.raw`\s+` }, content: " " },
        { type: "Lowercase" },
      ],
    },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        // invert: the pattern's matches are the pieces; what lies between (whitespace) is dropped.
        { type: "Split", pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: "Removed", invert: true },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: "RobertaProcessing",
      sep: [CLIP_END_TOKEN, endId],
      cls: [CLIP_START_TOKEN, startId],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: CLIP_END_TOKEN,
      continuing_subword_prefix: "",
      end_of_word_suffix: "</w>",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

import { Tokenizer } from "@huggingface/tokenizers";
import type { EncodeOptions, TextTokenizer, TokenizedText } from "./types.ts";

/**
 * Adapts a `@huggingface/tokenizers` Tokenizer (which adds special tokens but neither
 * truncates nor pads) to `TextTokenizer`, truncating and padding like transformers'
 * `PreTrainedTokenizerBase.__call__` with `truncation=True`.
 */
export class HfTextTokenizer implements TextTokenizer {
  /** How many special tokens the post-processor puts after the text (kept on truncation). */
  private readonly trailingSpecials: number;

  /**
   * @param prepareText runs on each text before the tokenizer (e.g. the slow CLIPTokenizer's
   *   cleanup that a fast tokenizer.json lacks); identity when absent.
   */
  constructor(
    private readonly tokenizer: Tokenizer,
    readonly padId: number,
    private readonly prepareText: (text: string) => string = (text) => text,
  ) {
    // An empty text encodes to just the special tokens: [start, end] for CLIP and BERT.
    // Half of them (rounded down) lead and the rest trail, which covers both layouts.
    const specials = tokenizer.encode("").ids.length;
    this.trailingSpecials = specials - Math.floor(specials / 2);
  }

  encode(text: string, options: EncodeOptions = {}): TokenizedText {
    let ids = this.tokenizer.encode(this.prepareText(text)).ids;
    const { maxLength, padToMaxLength } = options;
    if (maxLength !== undefined && ids.length > maxLength) {
      // Keep the first tokens and the trailing special tokens, as truncating the text
      // before adding special tokens does (transformers' "longest_first" on one sequence).
      const keepTail = Math.min(this.trailingSpecials, maxLength);
      ids = [...ids.slice(0, maxLength - keepTail), ...ids.slice(ids.length - keepTail)];
    }
    const attentionMask = ids.map(() => 1);
    if (padToMaxLength && maxLength !== undefined) return padTo({ ids, attentionMask }, maxLength, this.padId);
    return { ids, attentionMask };
  }

  encodeBatch(texts: readonly string[], options: EncodeOptions = {}): TokenizedText[] {
    const encoded = texts.map((text) => this.encode(text, options));
    const target =
      options.padToMaxLength && options.maxLength !== undefined
        ? options.maxLength
        : Math.max(0, ...encoded.map((e) => e.ids.length));
    return encoded.map((e) => padTo(e, target, this.padId));
  }
}

function padTo(encoded: TokenizedText, length: number, padId: number): TokenizedText {
  const missing = length - encoded.ids.length;
  if (missing <= 0) return encoded;
  return {
    ids: [...encoded.ids, ...new Array<number>(missing).fill(padId)],
    attentionMask: [...encoded.attentionMask, ...new Array<number>(missing).fill(0)],
  };
}

/** A special token's text from a tokenizer_config.json / special_tokens_map.json value. */
export function specialTokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as { content?: unknown }).content === "string")
    return (value as { content: string }).content;
  return undefined;
}

/**
 * Generic text-tokenizer types. Packs name their tokenizers; the engine only knows how to
 * load the common formats (CLIP byte-level BPE, BERT WordPiece) and this interface.
 */

/** Result of a tokenizer: ids and attention mask, both of the same length. */
export interface TokenizedText {
  ids: number[];
  attentionMask: number[];
}

export interface EncodeOptions {
  /** Truncate to this many tokens, special tokens included (the end token is kept). */
  maxLength?: number;
  /** Pad to `maxLength` with the pad token (mask 0). */
  padToMaxLength?: boolean;
}

export interface TextTokenizer {
  /**
   * Tokenizes like Hugging Face's tokenizer `__call__`: special tokens added, truncated to
   * `maxLength` when given, padded to `maxLength` with the pad token when `padToMaxLength`.
   */
  encode(text: string, options?: EncodeOptions): TokenizedText;
  /**
   * Tokenizes several texts and pads them to the longest (`padding="longest"`), or to
   * `maxLength` when `padToMaxLength`; truncation as in `encode`.
   */
  encodeBatch(texts: readonly string[], options?: EncodeOptions): TokenizedText[];
  readonly padId: number;
}

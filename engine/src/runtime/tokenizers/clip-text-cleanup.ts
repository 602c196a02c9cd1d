/**
 * The text cleanup transformers' slow CLIPTokenizer does before BPE when ftfy is absent (what
 * diffusers' pipelines run): its BasicTokenizer's `_clean_text` and `_tokenize_chinese_chars`
 * (google-research/bert tokenization.py). CLIPTokenizerFast's tokenizer.json lacks both, so
 * we apply them ahead of the @huggingface/tokenizers pipeline; its NFC, whitespace collapsing
 * and lowercasing then match the rest of BasicTokenizer + `whitespace_clean(...).lower()`.
 */

/** Unicode "Other" (Cc, Cf, Cs, Co, Cn): BasicTokenizer's `_is_control`, minus tab, LF and CR. */
const OTHER_CATEGORY = /^\p{C}$/u;
/** Space separators (Zs): with tab, LF and CR, BasicTokenizer's `_is_whitespace`. */
const SPACE_SEPARATOR = /^\p{Zs}$/u;

/** The CJK ideograph blocks of BasicTokenizer's `_is_chinese_char` (Hangul, kana are not in them). */
const CJK_IDEOGRAPH_RANGES: readonly (readonly [number, number])[] = [
  [0x4e00, 0x9fff], // CJK Unified Ideographs
  [0x3400, 0x4dbf], // Extension A
  [0x20000, 0x2a6df], // Extension B
  [0x2a700, 0x2b73f], // Extension C
  [0x2b740, 0x2b81f], // Extension D
  [0x2b820, 0x2ceaf], // Extension E
  [0xf900, 0xfaff], // Compatibility Ideographs
  [0x2f800, 0x2fa1f], // Compatibility Ideographs Supplement
];

/** True for a code point BasicTokenizer treats as a CJK ideograph (a word of its own). */
export function isCjkIdeograph(codePoint: number): boolean {
  return CJK_IDEOGRAPH_RANGES.some(([first, last]) => codePoint >= first && codePoint <= last);
}

function isTabOrLineBreak(char: string): boolean {
  return char === "\t" || char === "\n" || char === "\r";
}

/**
 * `text` as BasicTokenizer hands it on: NUL, U+FFFD and control/format characters (category
 * C*, except tab, LF, CR) dropped; tab, LF, CR and space separators (Zs) turned into spaces;
 * a space either side of each CJK ideograph.
 *
 * @example cleanClipText("犬と猫\u00ad!") === " 犬 と 猫 !"
 */
export function cleanClipText(text: string): string {
  let out = "";
  // for..of walks code points, so astral ideographs and lone surrogates (Cs) come whole.
  for (const char of text) {
    const codePoint = char.codePointAt(0) as number;
    if (codePoint === 0 || codePoint === 0xfffd) continue;
    if (isTabOrLineBreak(char) || SPACE_SEPARATOR.test(char)) out += " ";
    else if (OTHER_CATEGORY.test(char)) continue;
    else if (isCjkIdeograph(codePoint)) out += ` ${char} `;
    else out += char;
  }
  return out;
}

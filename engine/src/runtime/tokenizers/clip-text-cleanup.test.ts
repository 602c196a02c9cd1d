import { describe, expect, it } from "vitest";
import { cleanClipText, isCjkIdeograph } from "./clip-text-cleanup.ts";

// Expected strings worked out by hand from BasicTokenizer's rules (transformers
// tokenization_bert.py `_clean_text`, `_is_control`, `_is_whitespace`, `_is_chinese_char`).
describe("cleanClipText", () => {
  it("drops control and format characters: BEL, vertical tab, soft hyphen, zero-width joiner, BOM", () => {
    expect(cleanClipText("a\u0007bell")).toBe("abell");
    expect(cleanClipText("tab\u000bvt")).toBe("tabvt");
    expect(cleanClipText("a dog\u00ad house")).toBe("a dog house");
    expect(cleanClipText("\u{1F469}\u200d\u{1F680}")).toBe("\u{1F469}\u{1F680}");
    expect(cleanClipText("\ufeffdog")).toBe("dog");
  });

  it("drops NUL, U+FFFD, a lone surrogate and private-use characters", () => {
    expect(cleanClipText("d\u0000o\ufffdg")).toBe("dog");
    expect(cleanClipText("d\ud800og\ue000")).toBe("dog");
  });

  it("turns tab, line feed, carriage return and space separators into one space each", () => {
    expect(cleanClipText("a\tb\nc\rd\u00a0e\u3000f")).toBe("a b c d e f");
    // Line separator (Zl) is neither control nor Zs for BasicTokenizer: it stays.
    expect(cleanClipText("a\u2028b")).toBe("a\u2028b");
  });

  it("puts a space either side of each CJK ideograph, astral and compatibility ones too, not kana or Hangul", () => {
    expect(cleanClipText("犬と猫")).toBe(" 犬 と 猫 ");
    expect(cleanClipText("a\u{20000}b\uf900c")).toBe("a \u{20000} b \uf900 c");
    expect(cleanClipText("ひらがな한국어")).toBe("ひらがな한국어");
  });

  it("leaves ordinary text, accents and emoji alone", () => {
    const text = "A Photo of a café, 3 dogs \u{1F436}!";
    expect(cleanClipText(text)).toBe(text);
  });
});

describe("isCjkIdeograph", () => {
  it("holds at both ends of each block and not just outside them", () => {
    for (const [first, last] of [
      [0x4e00, 0x9fff],
      [0x3400, 0x4dbf],
      [0x20000, 0x2a6df],
      [0x2a700, 0x2b73f],
      [0x2b740, 0x2b81f],
      [0x2b820, 0x2ceaf],
      [0xf900, 0xfaff],
      [0x2f800, 0x2fa1f],
    ]) {
      expect([isCjkIdeograph(first), isCjkIdeograph(last)]).toEqual([true, true]);
    }
    // Just outside: kana end, before Extension A, after Compatibility, Extension F's start, Kangxi radicals.
    for (const codePoint of [0x33ff, 0x4dc0, 0xfb00, 0x2ceb0, 0x2f00]) expect(isCjkIdeograph(codePoint)).toBe(false);
  });
});

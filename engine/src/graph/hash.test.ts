import { describe, expect, it } from "vitest";
import { canonicalJson, fnv1a64, hashValue } from "./hash.ts";

/** Independent FNV-1a 64 with BigInt over TextEncoder bytes, straight from the definition. */
function referenceFnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}

describe("fnv1a64", () => {
  it("matches the published FNV-1a 64 test vectors", () => {
    expect(fnv1a64("")).toBe("cbf29ce484222325");
    expect(fnv1a64("a")).toBe("af63dc4c8601ec8c");
    expect(fnv1a64("foobar")).toBe("85944171f73967e8");
  });

  it("agrees with a BigInt reference on ASCII, multi-byte and astral text", () => {
    const samples = [
      "hello world",
      "é",
      "日本語のテキスト",
      "emoji 🎨🖌️",
      "\u0000\u007f\u0080\u07ff\u0800\uffff",
      "lone \ud800 x",
      '{"a":1}',
    ];
    for (const text of samples) expect(fnv1a64(text)).toBe(referenceFnv1a64(text));
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every level and drops undefined fields", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, "x"], c: undefined, b: null } })).toBe(
      '{"a":{"b":null,"d":[1,"x"]},"b":1}',
    );
  });

  it("gives the same text for objects built in different key orders", () => {
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
});

describe("hashValue", () => {
  it("is a fixed value for a fixed input (stable across processes and releases)", () => {
    // Pinned: if this changes, every cache key in every saved cache changes.
    expect(hashValue({ type: "Add", inputs: { a: 1, b: 2 } })).toBe(
      referenceFnv1a64('{"inputs":{"a":1,"b":2},"type":"Add"}'),
    );
  });

  it("changes when any value changes", () => {
    expect(hashValue({ a: 1 })).not.toBe(hashValue({ a: 2 }));
    expect(hashValue({ a: "1" })).not.toBe(hashValue({ a: 1 }));
  });
});

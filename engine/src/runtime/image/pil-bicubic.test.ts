import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { centerCropShortestSide, resizeBicubicPil } from "./pil-bicubic.ts";
import type { RgbImage } from "./rgb-image.ts";

interface Expected {
  width: number;
  height: number;
  sha256: string;
  rgb_base64?: string;
  pixels?: Record<string, number[]>;
}
interface Case {
  kind: "resize" | "center_crop";
  pattern: "stripes" | "gradient" | "noise";
  src: [number, number];
  size: [number, number];
  expected: Expected;
}

const fixture = JSON.parse(readFileSync(new URL("./pil-bicubic.fixture.json", import.meta.url), "utf8")) as {
  cases: Case[];
};

/** The same drawing recipes as tools/pil_bicubic_vectors.py. */
function draw(width: number, height: number, pattern: Case["pattern"]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let v: number;
        if (pattern === "stripes") v = (Math.floor(x / (1 + c)) + Math.floor(y / 2)) % 2 ? 255 : 0;
        else if (pattern === "gradient") v = (Math.floor((x * 255) / Math.max(width - 1, 1)) + y * 3 + c * 40) % 256;
        else v = (x * 73 + y * 151 + c * 29 + ((x * y) % 23) * 17) % 256;
        data[(y * width + x) * 3 + c] = v;
      }
    }
  }
  return { width, height, data };
}

function expectPillowOutput(actual: RgbImage, expected: Expected): void {
  expect([actual.width, actual.height]).toEqual([expected.width, expected.height]);
  if (expected.rgb_base64) {
    const bytes = Buffer.from(expected.rgb_base64, "base64");
    let differing = 0;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== actual.data[i]) differing++;
    expect(differing).toBe(0);
  }
  for (const [key, rgb] of Object.entries(expected.pixels ?? {})) {
    const [x, y] = key.split(",").map(Number);
    const o = (y * actual.width + x) * 3;
    expect(Array.from(actual.data.subarray(o, o + 3))).toEqual(rgb);
  }
  expect(createHash("sha256").update(actual.data).digest("hex")).toBe(expected.sha256);
}

describe("resizeBicubicPil equals Pillow's Image.resize(size, BICUBIC) byte for byte", () => {
  for (const c of fixture.cases.filter((k) => k.kind === "resize")) {
    it(`${c.pattern} ${c.src.join("×")} → ${c.size.join("×")}`, () => {
      expectPillowOutput(resizeBicubicPil(draw(c.src[0], c.src[1], c.pattern), c.size[0], c.size[1]), c.expected);
    });
  }

  it("returns an identical copy when the size does not change", () => {
    const src = draw(5, 4, "noise");
    const out = resizeBicubicPil(src, 5, 4);
    expect(out.data).toEqual(src.data);
    expect(out.data).not.toBe(src.data);
  });

  it("keeps a constant image constant (weights sum to exactly 1 in fixed point, up to rounding)", () => {
    const src = { width: 13, height: 9, data: new Uint8Array(13 * 9 * 3).fill(200) };
    expect(new Set(resizeBicubicPil(src, 7, 20).data)).toEqual(new Set([200]));
  });

  it("rejects a zero target size with an image error", () => {
    expect(() => resizeBicubicPil(draw(4, 4, "noise"), 0, 3)).toThrow(/positive whole size/);
  });
});

describe("centerCropShortestSide equals torchvision Resize(S, BICUBIC) + CenterCrop(S) on a PIL image", () => {
  for (const c of fixture.cases.filter((k) => k.kind === "center_crop")) {
    it(`${c.pattern} ${c.src.join("×")} → ${c.size[0]}²`, () => {
      expectPillowOutput(centerCropShortestSide(draw(c.src[0], c.src[1], c.pattern), c.size[0]), c.expected);
    });
  }
});

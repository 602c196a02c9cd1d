import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { sniffImageType } from "./image-type.ts";

const picture = sharp({ create: { width: 2, height: 2, channels: 3, background: "#0f0" } });

describe("sniffImageType", () => {
  it("recognises PNG, JPEG and WebP made by sharp", async () => {
    expect(sniffImageType(await picture.clone().png().toBuffer())).toBe("png");
    expect(sniffImageType(await picture.clone().jpeg().toBuffer())).toBe("jpeg");
    expect(sniffImageType(await picture.clone().webp().toBuffer())).toBe("webp");
  });
  it("refuses GIF, SVG text and short inputs", async () => {
    expect(sniffImageType(await picture.clone().gif().toBuffer())).toBeNull();
    expect(sniffImageType(new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBeNull();
    expect(sniffImageType(new Uint8Array([0x89, 0x50]))).toBeNull();
  });
});

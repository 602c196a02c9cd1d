import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { headerOnlyPng } from "../../testing/header-only-png.ts";
import { decodeImage } from "./decode.ts";
import { encodePng } from "./encode.ts";
import { ImageError, type RgbImage } from "./rgb-image.ts";

/** A 4×3 image with a distinct colour at every pixel: R = 20x, G = 40y, B = 7(x+y). */
function drawnImage(): RgbImage {
  const width = 4;
  const height = 3;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([20 * x, 40 * y, 7 * (x + y)], (y * width + x) * 3);
  }
  return { width, height, data };
}

describe("decodeImage / encodePng", () => {
  it("round-trips RGB pixels through PNG exactly", async () => {
    const image = drawnImage();
    const { image: back, alpha } = await decodeImage(await encodePng(image));
    expect(back.width).toBe(4);
    expect(back.height).toBe(3);
    expect(Array.from(back.data)).toEqual(Array.from(image.data));
    expect(alpha).toBeUndefined();
  });

  it("returns alpha as a [1,H,W] mask in [0,1] and writes it back", async () => {
    const image = drawnImage();
    const alphaValues = Float32Array.from({ length: 12 }, (_, i) => [0, 51, 255][i % 3] / 255);
    const png = await encodePng(image, { alpha: { dims: [1, 3, 4], data: alphaValues } });
    const decoded = await decodeImage(png);
    expect(decoded.alpha?.dims).toEqual([1, 3, 4]);
    expect(Array.from(decoded.alpha!.data)).toEqual(Array.from(alphaValues));
    expect(decoded.alpha!.data[1]).toBeCloseTo(0.2, 7);
    expect(Array.from(decoded.image.data)).toEqual(Array.from(image.data));
  });

  it("reads JPEG and WebP files from a path, and grey images as RGB", async () => {
    const dir = await mkdtemp(join(tmpdir(), "infix-image-"));
    const flat = sharp({ create: { width: 8, height: 6, channels: 3, background: { r: 200, g: 100, b: 50 } } });
    await writeFile(join(dir, "a.jpg"), await flat.clone().jpeg({ quality: 100 }).toBuffer());
    await writeFile(join(dir, "a.webp"), await flat.clone().webp({ lossless: true }).toBuffer());
    const grey = await sharp(Buffer.alloc(8 * 6, 90), { raw: { width: 8, height: 6, channels: 1 } })
      .png()
      .toBuffer();
    const jpeg = await decodeImage(join(dir, "a.jpg"));
    const webp = await decodeImage(join(dir, "a.webp"));
    const greyDecoded = await decodeImage(grey);
    await rm(dir, { recursive: true });
    expect([jpeg.image.width, jpeg.image.height]).toEqual([8, 6]);
    // JPEG's chroma subsampling and rounding move a flat colour by a step or two at most.
    for (const [value, expected] of [
      [jpeg.image.data[0], 200],
      [jpeg.image.data[1], 100],
      [jpeg.image.data[2], 50],
    ]) {
      expect(Math.abs(value - expected)).toBeLessThanOrEqual(2);
    }
    expect(Array.from(webp.image.data.subarray(0, 3))).toEqual([200, 100, 50]);
    expect(greyDecoded.image.data.length).toBe(8 * 6 * 3);
    expect(Array.from(greyDecoded.image.data.subarray(0, 6))).toEqual([90, 90, 90, 90, 90, 90]);
  });

  it("rejects bytes that are not an image", async () => {
    const error = await decodeImage(new TextEncoder().encode("definitely not a png")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).code).toBe("undecodable");
    expect((error as Error).message).toMatch(/^the 20-byte upload is not an image/);
  });

  it("names the input by the caller's label in its errors", async () => {
    const error = await decodeImage(new TextEncoder().encode("text"), { label: '"a.png" in the input folder' }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/^"a.png" in the input folder is not an image that can be read/);
  });

  it("rejects images over the pixel cap before decoding them", async () => {
    const png = await encodePng({ width: 100, height: 50, data: new Uint8Array(100 * 50 * 3) });
    const error = await decodeImage(png, { maxPixels: 4999 }).catch((e: unknown) => e);
    expect((error as ImageError).code).toBe("too-large");
    expect((error as Error).message).toMatch(/100×50/);
    await expect(decodeImage(png, { maxPixels: 5000 })).resolves.toBeDefined();
  });

  it("refuses a decompression bomb by its header under the default 4096² budget", async () => {
    const error = await decodeImage(headerOnlyPng(8192, 8192)).catch((e: unknown) => e);
    expect((error as ImageError).code).toBe("too-large");
    expect((error as Error).message).toMatch(/8192×8192 pixels, over the limit of 16777216/);
  });

  it("refuses to encode data of the wrong length", async () => {
    await expect(encodePng({ width: 2, height: 2, data: new Uint8Array(11) })).rejects.toThrow(/needs 12 bytes/);
  });
});

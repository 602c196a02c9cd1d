import { describe, expect, it } from "vitest";
import { imagesToTensor, tensorToImages } from "./image-tensors.ts";
import type { RgbImage } from "./rgb-image.ts";

// A 2×1 image: pixel 0 = (0, 128, 255), pixel 1 = (51, 1, 254).
const image: RgbImage = { width: 2, height: 1, data: Uint8Array.of(0, 128, 255, 51, 1, 254) };
const f = Math.fround;

describe("imagesToTensor", () => {
  it("lays out NCHW planes scaled to [0,1]", () => {
    const tensor = imagesToTensor([image, image], { kind: "unit" });
    expect(tensor.dims).toEqual([2, 3, 1, 2]);
    // channel planes: R = [0, 51], G = [128, 1], B = [255, 254], each / 255.
    expect(Array.from(tensor.data.subarray(0, 6))).toEqual([0, 0.2, 128 / 255, 1 / 255, 1, 254 / 255].map(f));
    expect(Array.from(tensor.data.subarray(6, 12))).toEqual(Array.from(tensor.data.subarray(0, 6)));
  });

  it("maps to [-1,1] for the VAE", () => {
    const tensor = imagesToTensor([image], { kind: "signed" });
    expect(tensor.data[0]).toBe(-1);
    expect(tensor.data[4]).toBe(1);
    expect(tensor.data[2]).toBeCloseTo(2 * (128 / 255) - 1, 6); // 0.003921...
    expect(tensor.data[1]).toBeCloseTo(-0.6, 6); // 51/255 = 0.2
  });

  it("normalises with the CLIP mean and std", () => {
    const mean = [0.48145466, 0.4578275, 0.40821073] as const;
    const std = [0.26862954, 0.26130258, 0.27577711] as const;
    const tensor = imagesToTensor([image], { kind: "meanStd", mean, std });
    // (0 − 0.48145466) / 0.26862954 = −1.7922625…; (1 − 0.40821073) / 0.27577711 = 2.1458939…
    expect(tensor.data[0]).toBeCloseTo(-1.79226253, 5);
    expect(tensor.data[4]).toBeCloseTo(2.14589389, 5);
    // G of pixel 0: (128/255 − 0.4578275) / 0.26130258 = 0.16886…
    expect(tensor.data[2]).toBeCloseTo((128 / 255 - 0.4578275) / 0.26130258, 5);
  });

  it("refuses images of different sizes in one batch", () => {
    expect(() => imagesToTensor([image, { width: 1, height: 2, data: new Uint8Array(6) }], { kind: "unit" })).toThrow(
      /share a size/,
    );
  });
});

describe("tensorToImages", () => {
  it("clamps, scales and rounds half to even", () => {
    // unit values: −0.2 → 0; 1.3 → 255; 0.5 → 127.5 → 128 (even); 2.5/255 → 2.5 → 2 (even); 0.2 → 51.
    const tensor = { dims: [1, 3, 1, 2], data: Float32Array.of(-0.2, 1.3, 0.5, 2.5 / 255, 0.2, 1) };
    const [out] = tensorToImages(tensor, "unit");
    expect([out.width, out.height]).toEqual([2, 1]);
    expect(Array.from(out.data)).toEqual([0, 128, 51, 255, 2, 255]);
  });

  it("inverts the signed mapping of imagesToTensor exactly", () => {
    const all: RgbImage = { width: 256, height: 1, data: new Uint8Array(768).map((_, i) => Math.floor(i / 3)) };
    const [back] = tensorToImages(imagesToTensor([all], { kind: "signed" }), "signed");
    expect(Array.from(back.data)).toEqual(Array.from(all.data));
    const [backUnit] = tensorToImages(imagesToTensor([all], { kind: "unit" }), "unit");
    expect(Array.from(backUnit.data)).toEqual(Array.from(all.data));
  });
});

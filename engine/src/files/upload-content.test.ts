import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { encodeNpy } from "../runtime/npy/index.ts";
import { floatTensor } from "../runtime/tensor.ts";
import { checkUploadContent } from "./upload-content.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const latents = encodeNpy(
  floatTensor(
    [1, 4, 2, 2],
    Float32Array.from({ length: 16 }, (_, i) => i / 4),
  ),
);

/** A version-1.0 .npy with the given header dict and data bytes, laid out as numpy.lib.format writes it. */
function npyWithHeader(dict: string, data: Uint8Array): Uint8Array {
  const unpadded = 10 + dict.length + 1;
  const header = dict + " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const bytes = new Uint8Array(10 + header.length + data.length);
  bytes.set([0x93, ...utf8("NUMPY"), 1, 0, header.length & 0xff, header.length >> 8]);
  bytes.set(utf8(header), 10);
  bytes.set(data, 10 + header.length);
  return bytes;
}

describe("checkUploadContent", () => {
  it("accepts a decodable picture and names it by its content's extension", async () => {
    const jpeg = await sharp({ create: { width: 2, height: 2, channels: 3, background: "#f00" } })
      .jpeg()
      .toBuffer();
    expect(await checkUploadContent(jpeg, "photo.png")).toEqual({ ok: true, kind: "jpeg", fileName: "photo.jpg" });
  });

  it("accepts a .npy array the engine's decoder reads, whatever the name said", async () => {
    expect(await checkUploadContent(latents, "noise.npy")).toEqual({ ok: true, kind: "npy", fileName: "noise.npy" });
    expect(await checkUploadContent(latents, "noise.bin")).toEqual({ ok: true, kind: "npy", fileName: "noise.npy" });
  });

  it("refuses .npy bytes with a broken header, a short body or an integer dtype, saying why", async () => {
    const garbled = npyWithHeader("{'descr': '<f4', 'shape': (2,", new Uint8Array(8));
    const short = latents.subarray(0, latents.length - 4);
    const ints = npyWithHeader("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8));
    for (const bytes of [garbled, short, ints]) {
      const check = await checkUploadContent(bytes, "x.npy");
      expect(check).toMatchObject({
        ok: false,
        message: expect.stringMatching(/^not a readable \.npy array: x\.npy: /),
      });
    }
    expect(await checkUploadContent(ints, "x.npy")).toMatchObject({ message: expect.stringContaining("'<i4'") });
  });

  it("accepts a .subject.json holding a JSON object, keeping the double extension", async () => {
    const subject = utf8(JSON.stringify({ format: "infix-subject", version: 1 }));
    expect(await checkUploadContent(subject, "my dog.subject.json")).toEqual({
      ok: true,
      kind: "subject-json",
      fileName: "my dog.subject.json",
    });
    expect(await checkUploadContent(subject, "Dog.SUBJECT.JSON")).toMatchObject({
      ok: true,
      fileName: "Dog.subject.json",
    });
  });

  it("refuses a .subject.json that is not a UTF-8 JSON object", async () => {
    const cases: [Uint8Array, RegExp][] = [
      [utf8("{ not json"), /does not parse/],
      [utf8("[1, 2]"), /holds an array/],
      [utf8('"text"'), /holds a string/],
      [utf8("null"), /holds null/],
      [new Uint8Array([0x7b, 0xff, 0x7d]), /not UTF-8/],
    ];
    for (const [bytes, reason] of cases) {
      expect(await checkUploadContent(bytes, "s.subject.json")).toMatchObject({
        ok: false,
        message: expect.stringMatching(reason),
      });
    }
  });

  it("refuses plain .json, SVG, HTML and unknown bytes, naming what is accepted", async () => {
    for (const [bytes, name] of [
      [utf8("{}"), "workflow.json"],
      [utf8("<svg onload=alert(1)>"), "x.svg"],
      [utf8("<!doctype html><script>alert(1)</script>"), "x.subject.html"],
      [new Uint8Array([0x7f, 0x45, 0x4c, 0x46]), "x.npy"],
    ] as const) {
      expect(await checkUploadContent(bytes, name)).toEqual({
        ok: false,
        message: "only PNG, JPEG and WebP images, NumPy .npy arrays and .subject.json files can be uploaded",
      });
    }
  });
});

import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { encodeNpy } from "../runtime/npy/index.ts";
import { floatTensor } from "../runtime/tensor.ts";
import { noteUploadKind } from "../testing/note-upload.ts";
import type { UploadKind } from "../nodes/definition.ts";
import { acceptedUploads, checkUploadContent, DEFAULT_MAX_DECLARED_KIND_BYTES } from "./upload-content.ts";

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

const kinds = [noteUploadKind];

describe("checkUploadContent", () => {
  it("accepts a decodable picture and names it by its content's extension", async () => {
    const jpeg = await sharp({ create: { width: 2, height: 2, channels: 3, background: "#f00" } })
      .jpeg()
      .toBuffer();
    expect(await checkUploadContent(jpeg, "photo.png", kinds)).toEqual({
      ok: true,
      kind: "jpeg",
      fileName: "photo.jpg",
      suffix: ".jpg",
    });
  });

  it("accepts a .npy array the engine's decoder reads, whatever the name said", async () => {
    const npy = { ok: true, kind: "npy", fileName: "noise.npy", suffix: ".npy" };
    expect(await checkUploadContent(latents, "noise.npy", kinds)).toEqual(npy);
    expect(await checkUploadContent(latents, "noise.bin", kinds)).toEqual(npy);
  });

  it("refuses .npy bytes with a broken header, a short body or an integer dtype, saying why", async () => {
    const garbled = npyWithHeader("{'descr': '<f4', 'shape': (2,", new Uint8Array(8));
    const short = latents.subarray(0, latents.length - 4);
    const ints = npyWithHeader("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8));
    for (const bytes of [garbled, short, ints]) {
      const check = await checkUploadContent(bytes, "x.npy", kinds);
      expect(check).toMatchObject({
        ok: false,
        message: expect.stringMatching(/^not a readable \.npy array: x\.npy: /),
      });
    }
    expect(await checkUploadContent(ints, "x.npy", kinds)).toMatchObject({ message: expect.stringContaining("'<i4'") });
  });

  it("accepts a declared kind whose check passes, keeping its multi-part suffix in the declared case", async () => {
    const note = utf8("buy milk\n\tand bread\r\n");
    expect(await checkUploadContent(note, "my list.note.txt", kinds)).toEqual({
      ok: true,
      kind: "note",
      fileName: "my list.note.txt",
      suffix: ".note.txt",
    });
    expect(await checkUploadContent(note, "List.NOTE.TXT", kinds)).toMatchObject({
      ok: true,
      fileName: "List.note.txt",
    });
  });

  it("refuses a declared kind with the kind's own reason", async () => {
    const cases: [Uint8Array, string][] = [
      [new Uint8Array([0x68, 0xff, 0x69]), "it is not UTF-8 text"],
      [utf8("  \n"), "it holds no text"],
      [utf8("a\u0000b"), "it holds the control character U+0000"],
    ];
    for (const [bytes, reason] of cases) {
      expect(await checkUploadContent(bytes, "n.note.txt", kinds)).toEqual({
        ok: false,
        message: `not a usable .note.txt file: ${reason}`,
      });
    }
  });

  it("refuses a declared kind over its byte cap with 413 before its (synchronous) check reads it", async () => {
    let checked = 0;
    const counting: UploadKind = {
      name: "subject",
      suffix: ".subject.json",
      description: "subjects saved by Save Subject",
      check: () => {
        checked += 1;
        return undefined;
      },
    };
    const big = new Uint8Array(DEFAULT_MAX_DECLARED_KIND_BYTES + 1).fill(0x20);
    expect(await checkUploadContent(big, "s.subject.json", [counting])).toEqual({
      ok: false,
      status: 413,
      message: `the .subject.json file is ${big.length} bytes, over the limit of ${DEFAULT_MAX_DECLARED_KIND_BYTES} bytes for subjects saved by Save Subject`,
    });
    expect(checked).toBe(0);
    const small = await checkUploadContent(utf8("{}"), "s.subject.json", [counting], { maxDeclaredKindBytes: 2 });
    expect(small).toMatchObject({ ok: true, kind: "subject" });
    expect(checked).toBe(1);
    expect(
      await checkUploadContent(utf8("{ }"), "s.subject.json", [counting], { maxDeclaredKindBytes: 2 }),
    ).toMatchObject({ ok: false, status: 413 });
  });

  it("picks the longest declared suffix that ends the name", async () => {
    const anyText: UploadKind = { name: "text", suffix: ".txt", description: "text", check: () => undefined };
    const both = [anyText, noteUploadKind];
    expect(await checkUploadContent(utf8("\u0001"), "a.note.txt", both)).toMatchObject({ ok: false });
    expect(await checkUploadContent(utf8("\u0001"), "a.txt", both)).toMatchObject({ ok: true, kind: "text" });
  });

  it("refuses a name that is only a declared suffix, and a declared kind the server was not given", async () => {
    expect(await checkUploadContent(utf8("hi"), ".note.txt", kinds)).toMatchObject({ ok: false });
    expect(await checkUploadContent(utf8("hi"), "a.note.txt", [])).toEqual({
      ok: false,
      message: "only PNG, JPEG and WebP images and NumPy .npy arrays can be uploaded",
    });
  });

  it("refuses plain .json, SVG, HTML and unknown bytes, naming what is accepted", async () => {
    for (const [bytes, name] of [
      [utf8("{}"), "workflow.json"],
      [utf8("<svg onload=alert(1)>"), "x.svg"],
      [utf8("<!doctype html><script>alert(1)</script>"), "x.note.html"],
      [new Uint8Array([0x7f, 0x45, 0x4c, 0x46]), "x.npy"],
    ] as const) {
      expect(await checkUploadContent(bytes, name, kinds)).toEqual({
        ok: false,
        message: "only PNG, JPEG and WebP images, NumPy .npy arrays and text notes (.note.txt) can be uploaded",
      });
    }
  });
});

describe("acceptedUploads", () => {
  it("lists the built-in kinds, then each declared description with its suffix", () => {
    const other: UploadKind = { name: "mesh", suffix: ".obj", description: "meshes", check: () => undefined };
    expect(acceptedUploads([noteUploadKind, other])).toBe(
      "PNG, JPEG and WebP images, NumPy .npy arrays, text notes (.note.txt) and meshes (.obj)",
    );
  });
});

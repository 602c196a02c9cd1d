import { describe, expect, it } from "vitest";
import { floatTensor } from "@infix/engine";
import type { SubjectEmbedding } from "../sockets.ts";
import { checkSubjectShape, decodeSubjectFile, encodeSubjectFile } from "./subject-file.ts";

const subject: SubjectEmbedding = {
  type: "SUBJECT",
  embedding: floatTensor([2, 3], Float32Array.from([0.5, -1.25, 3e-8, 1e20, -0, 7])),
  packName: "tiny",
  packHash: "sha256:abc",
  category: "dog",
  sourceHashes: ["sha256:1", "sha256:2"],
};

describe("subject file", () => {
  it("round-trips values bit-exactly with its metadata", () => {
    const back = decodeSubjectFile(encodeSubjectFile(subject));
    if (typeof back === "string") throw new Error(back);
    expect(back.embedding.dims).toEqual([2, 3]);
    expect(Array.from(back.embedding.data)).toEqual(Array.from(subject.embedding.data));
    expect(back).toMatchObject({
      packName: "tiny",
      packHash: "sha256:abc",
      category: "dog",
      sourceHashes: ["sha256:1", "sha256:2"],
    });
  });

  it("stores little-endian float32 as base64", () => {
    const file = JSON.parse(encodeSubjectFile(subject)) as { data: string };
    const bytes = Buffer.from(file.data, "base64");
    expect(bytes.readFloatLE(4)).toBe(-1.25);
  });

  it("explains what is wrong with a damaged file", () => {
    expect(decodeSubjectFile("{")).toMatch(/not JSON/);
    expect(decodeSubjectFile(JSON.stringify({ format: "other" }))).toMatch(/not an infix-subject v1 file: format/);
    const file = JSON.parse(encodeSubjectFile(subject)) as { data: string };
    const bytes = Buffer.from(file.data, "base64");
    bytes[0] ^= 1;
    expect(decodeSubjectFile(JSON.stringify({ ...file, data: bytes.toString("base64") }))).toMatch(/checksum/);
    expect(decodeSubjectFile(JSON.stringify({ ...file, dims: [3, 3] }))).toMatch(
      /holds 6 values but dims \[3,3\] need 9/,
    );
  });

  it("checks the shape against the pack's Q and D", () => {
    expect(checkSubjectShape([16, 768], 16, 768)).toBeNull();
    expect(checkSubjectShape([2, 16, 768], 16, 768)).toBeNull();
    expect(checkSubjectShape([16, 32], 16, 768)).toMatch(/shape \[16,32\] but this pack needs \[16,768\]/);
  });
});

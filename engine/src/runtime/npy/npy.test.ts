import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { floatTensor } from "../tensor.ts";
import { decodeNpy, encodeNpy, NpyFormatError, readNpyFile, writeNpyFile } from "./npy.ts";
import { formatNpyHeader, parseNpyHeader } from "./npy-header.ts";

interface NpyCase {
  name: string;
  npy_base64: string;
  written_by_save?: boolean;
  shape?: number[];
  values?: number[];
  error?: string;
}
const fixture = JSON.parse(readFileSync(new URL("./npy-vectors.fixture.json", import.meta.url), "utf8")) as {
  cases: NpyCase[];
};
const bytesOf = (c: NpyCase) => new Uint8Array(Buffer.from(c.npy_base64, "base64"));

/** The first 128 bytes the spec prescribes for a float32 array of `shape` written by NumPy 1.23+. */
function handWrittenPrefix(shapeText: string, growthDigits: number): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }` + " ".repeat(21 - growthDigits);
  // magic (6) + version (2) + uint16 length (2) + header + spaces + "\n" = 128, the next multiple of 64.
  const header = dict + " ".repeat(128 - 10 - dict.length - 1) + "\n";
  return new Uint8Array([
    0x93,
    ...Buffer.from("NUMPY"),
    1,
    0,
    header.length & 0xff,
    header.length >> 8,
    ...Buffer.from(header, "latin1"),
  ]);
}

describe("encodeNpy", () => {
  it("writes the spec's layout by hand: magic, version 1.0, uint16 header length, padded dict, little-endian floats", () => {
    const bytes = encodeNpy(floatTensor([2], Float32Array.from([1, -2])));
    const prefix = handWrittenPrefix("(2,)", 1);
    expect(bytes.length).toBe(128 + 8);
    expect(Array.from(bytes.subarray(0, 128))).toEqual(Array.from(prefix));
    // 1.0f = 0x3f800000, -2.0f = 0xc0000000, little-endian.
    expect(Array.from(bytes.subarray(128))).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
    expect(bytes[8] | (bytes[9] << 8)).toBe(118);
  });

  it("starts the data of a latent tensor on a 64-byte boundary", () => {
    const bytes = encodeNpy(floatTensor([1, 4, 8, 8]));
    expect(Array.from(bytes.subarray(0, 128))).toEqual(Array.from(handWrittenPrefix("(1, 4, 8, 8)", 1)));
    expect(bytes.length).toBe(128 + 256 * 4);
  });

  for (const c of fixture.cases.filter((c) => c.written_by_save)) {
    it(`reproduces numpy.save byte for byte: ${c.name}`, () => {
      const ours = encodeNpy(floatTensor(c.shape ?? [], Float32Array.from(c.values ?? [])));
      expect(Buffer.from(ours).equals(Buffer.from(bytesOf(c)))).toBe(true);
    });
  }

  it("refuses data that does not fit the shape", () => {
    expect(() => encodeNpy({ dims: [2, 2], data: new Float32Array(3) })).toThrow(/3 values but shape \[2,2\] needs 4/);
  });
});

describe("decodeNpy", () => {
  for (const c of fixture.cases.filter((c) => c.values)) {
    it(`reads what numpy wrote: ${c.name}`, () => {
      const array = decodeNpy(bytesOf(c));
      expect(array.dims).toEqual(c.shape);
      expect(Array.from(array.data)).toEqual(c.values);
    });
  }

  for (const c of fixture.cases.filter((c) => c.error)) {
    it(`refuses numpy's ${c.name} file with code ${c.error}`, () => {
      const error = catchNpyError(() => decodeNpy(bytesOf(c), "input/bad.npy"));
      expect(error.code).toBe(c.error);
      expect(error.source).toBe("input/bad.npy");
      expect(error.message).toMatch(/^input\/bad\.npy: /);
    });
  }

  it("names the dtype it expected and the one it found", () => {
    const big = fixture.cases.find((c) => c.name === "big-endian float32");
    const error = catchNpyError(() => decodeNpy(bytesOf(big as NpyCase), "x.npy"));
    expect(error.expected).toMatch(/'<f4'/);
    expect(error.found).toBe("'>f4'");
    expect(error.message).toMatch(/big-endian/);
  });

  it("notes a conversion from float64 and float16, not for float32", () => {
    const [f4, f8, f2] = ["float32 1-d (3,)", "float64 rounded to float32", "float16 widened to float32"].map((name) =>
      decodeNpy(bytesOf(fixture.cases.find((c) => c.name === name) as NpyCase), "in.npy"),
    );
    expect(f4.conversionNote).toBeUndefined();
    expect(f8).toMatchObject({ fileDtype: "<f8", conversionNote: expect.stringMatching(/in\.npy: converted '<f8'/) });
    expect(f2.fileDtype).toBe("<f2");
  });

  it("refuses a file that is not .npy, a truncated one and one with extra bytes", () => {
    expect(catchNpyError(() => decodeNpy(Buffer.from("PK\x03\x04 a zip file"), "a.npz")).code).toBe("not_npy");
    const good = encodeNpy(floatTensor([2, 2]));
    expect(catchNpyError(() => decodeNpy(good.subarray(0, good.length - 1))).found).toBe("15");
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    expect(catchNpyError(() => decodeNpy(longer)).code).toBe("wrong_size");
    expect(catchNpyError(() => decodeNpy(good.subarray(0, 60))).code).toBe("bad_header");
    // Cut inside the version / header-length fields: a truncated .npy, not "not a .npy file".
    expect(catchNpyError(() => decodeNpy(good.subarray(0, 8)))).toMatchObject({ code: "bad_header", found: "8 bytes" });
    expect(catchNpyError(() => decodeNpy(good.subarray(0, 3))).code).toBe("not_npy");
  });

  it("reads a Python 2 era header with long integers in the shape", () => {
    expect(parseNpyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 4L), }  \n")).toEqual({
      descr: "<f4",
      fortranOrder: false,
      shape: [3, 4],
    });
  });

  it("says what is wrong with a malformed header", () => {
    expect(parseNpyHeader("{'descr': '<f4', 'shape': (2,), }")).toMatch(/fortran_order/);
    expect(parseNpyHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }")).toMatch(/list dtype/);
    expect(parseNpyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }")).toMatch(
      /non-negative integers/,
    );
  });
});

describe("npy header text", () => {
  it("leaves room for the growing axis as numpy does (21 digits less the first axis's)", () => {
    expect(formatNpyHeader({ descr: "<f4", fortranOrder: false, shape: [1000, 1] })).toBe(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 1), }" + " ".repeat(17),
    );
    expect(formatNpyHeader({ descr: "<f4", fortranOrder: false, shape: [] })).toBe(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
    );
  });
});

describe("readNpyFile / writeNpyFile", () => {
  it("round-trips a tensor through a file, bit for bit", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "infix-npy-")), "latents.npy");
    const data = Float32Array.from({ length: 2 * 4 * 3 * 5 }, (_, i) => Math.fround(Math.sin(i) * 1e3) / 7);
    await writeNpyFile(path, floatTensor([2, 4, 3, 5], data));
    const back = await readNpyFile(path);
    expect(back.dims).toEqual([2, 4, 3, 5]);
    expect(back.data).toEqual(data);
    expect(back.fileDtype).toBe("<f4");
  });

  it("names the path when the file is not .npy", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "infix-npy-")), "notes.npy");
    await import("node:fs/promises").then((fs) => fs.writeFile(path, "hello"));
    await expect(readNpyFile(path)).rejects.toThrow(`${path}: this is not a .npy file`);
  });
});

function catchNpyError(action: () => unknown): NpyFormatError {
  try {
    action();
  } catch (error) {
    if (error instanceof NpyFormatError) return error;
    throw error;
  }
  throw new Error("expected an NpyFormatError");
}

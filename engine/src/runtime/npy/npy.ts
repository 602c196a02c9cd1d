import { readFile, writeFile } from "node:fs/promises";
import { float16BitsToFloat32 } from "../sessions/float16.ts";
import { elementCount, floatTensor, shapeToString } from "../tensor.ts";
import type { FloatTensor } from "../tensor.ts";
import { formatNpyHeader, parseNpyHeader } from "./npy-header.ts";

/**
 * NumPy `.npy` files (NEP 1 and numpy.lib.format): the magic `\x93NUMPY`, a major/minor
 * version byte pair, the header length (uint16 little-endian in 1.0, uint32 in 2.0/3.0),
 * the header dict padded with spaces and a newline so the data starts on a 64-byte
 * boundary, then the raw C-order data. We write float32 little-endian, byte-identical to
 * `numpy.save`; we read `<f4`, and `<f8` / `<f2` converted to float32.
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy.lib.format.ARRAY_ALIGN: the data of every array starts at a multiple of 64 bytes. */
const ARRAY_ALIGN = 64;
const FLOAT32_DESCR = "<f4";
/** Dtypes we read, with their element size; the others are refused. */
const READABLE_DTYPES: Record<string, { size: number; read: (view: DataView, offset: number) => number }> = {
  "<f4": { size: 4, read: (view, offset) => view.getFloat32(offset, true) },
  "<f8": { size: 8, read: (view, offset) => view.getFloat64(offset, true) },
  "<f2": { size: 2, read: (view, offset) => float16BitsToFloat32(view.getUint16(offset, true)) },
};

export type NpyErrorCode =
  "not_npy" | "unsupported_version" | "bad_header" | "unsupported_dtype" | "fortran_order" | "wrong_size";

/** A `.npy` file we cannot read: says which file, what was expected and what was found. */
export class NpyFormatError extends Error {
  override readonly name = "NpyFormatError";
  constructor(
    readonly code: NpyErrorCode,
    /** The file's path or another name for the bytes (`(in memory)`). */
    readonly source: string,
    readonly expected: string,
    readonly found: string,
    reason: string,
  ) {
    super(`${source}: ${reason} (expected ${expected}, found ${found})`);
  }
}

/** A decoded array: always float32 data, with the dtype the file held. */
export interface NpyArray extends FloatTensor {
  /** The file's dtype before conversion: `<f4`, `<f8` or `<f2`. */
  readonly fileDtype: string;
  /** Set when values were converted to float32 (precision lost for `<f8`): one sentence for a log. */
  readonly conversionNote?: string;
}

/**
 * Encodes a float32 tensor as a `.npy` file (version 1.0, or 2.0 when the header would not
 * fit 1.0's 16-bit length), byte-identical to `numpy.save` of the same float32 array.
 * @example await writeFile("latents.npy", encodeNpy(floatTensor([1, 4, 8, 8], data)));
 */
export function encodeNpy(tensor: FloatTensor): Uint8Array {
  const count = elementCount(tensor.dims);
  if (tensor.data.length !== count)
    throw new Error(
      `tensor data has ${tensor.data.length} values but shape ${shapeToString(tensor.dims)} needs ${count}`,
    );
  const header = formatNpyHeader({ descr: FLOAT32_DESCR, fortranOrder: false, shape: tensor.dims });
  const headerBytes = new TextEncoder().encode(header);
  // numpy's _wrap_header: version 1.0 unless its 16-bit header length would overflow; a
  // whole ARRAY_ALIGN of spaces when the header happens to end aligned.
  const layout = (lengthFieldSize: number) => {
    const used = MAGIC.length + 2 + lengthFieldSize + headerBytes.length + 1;
    const padding = ARRAY_ALIGN - (used % ARRAY_ALIGN);
    return { lengthFieldSize, padding, dataOffset: used + padding, headerLength: headerBytes.length + padding + 1 };
  };
  const version1 = layout(2);
  const major = version1.headerLength <= 0xffff ? 1 : 2;
  const { lengthFieldSize, dataOffset, headerLength } = major === 1 ? version1 : layout(4);
  const bytes = new Uint8Array(dataOffset + count * 4);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  bytes[6] = major;
  bytes[7] = 0;
  if (major === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  const headerStart = MAGIC.length + 2 + lengthFieldSize;
  bytes.set(headerBytes, headerStart);
  bytes.fill(0x20, headerStart + headerBytes.length, dataOffset - 1);
  bytes[dataOffset - 1] = 0x0a;
  for (let i = 0; i < count; i++) view.setFloat32(dataOffset + i * 4, tensor.data[i], true);
  return bytes;
}

/**
 * Decodes a `.npy` file's bytes into float32. Throws NpyFormatError naming `source` for
 * anything but a C-order little-endian float16/32/64 array of exactly the stated size.
 * @example const latents = decodeNpy(await readFile(path), path); // latents.dims, latents.data
 */
export function decodeNpy(bytes: Uint8Array, source = "(in memory)"): NpyArray {
  const fail = (code: NpyErrorCode, expected: string, found: string, reason: string): never => {
    throw new NpyFormatError(code, source, expected, found, reason);
  };
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    fail("not_npy", "a NumPy .npy file (starting with \\x93NUMPY)", describeStart(bytes), "this is not a .npy file");
  }
  // The magic alone, cut short before the version and header length: truncated, not foreign.
  if (bytes.length < 10)
    fail("bad_header", "a complete header", `${bytes.length} bytes`, "the file ends inside its header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3)
    fail(
      "unsupported_version",
      ".npy format version 1.0, 2.0 or 3.0",
      `version ${major}.${bytes[7]}`,
      "unknown .npy format version",
    );
  const lengthFieldSize = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthFieldSize;
  if (bytes.length < headerStart)
    fail("bad_header", "a complete header", `${bytes.length} bytes`, "the file ends inside its header");
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = headerStart + headerLength;
  if (bytes.length < dataOffset)
    fail(
      "bad_header",
      `a header of ${headerLength} bytes`,
      `${bytes.length - headerStart} bytes`,
      "the file ends inside its header",
    );
  // Version 3.0 allows UTF-8 in the header; 1.0/2.0 are latin-1, which for NumPy's own headers is ASCII.
  const headerText = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(headerStart, dataOffset));
  const header = parseNpyHeader(headerText);
  if (typeof header === "string")
    return fail("bad_header", "a NumPy header dict", JSON.stringify(headerText.trim().slice(0, 80)), header);

  const dtype = READABLE_DTYPES[header.descr];
  if (!dtype) {
    const bigEndian = header.descr.startsWith(">");
    fail(
      "unsupported_dtype",
      "dtype '<f4' (little-endian float32; '<f8' and '<f2' are converted)",
      `'${header.descr}'`,
      bigEndian
        ? "big-endian data is not read; save with arr.astype('<f4')"
        : "only float arrays are read; save with arr.astype('<f4')",
    );
  }
  if (header.fortranOrder) {
    fail(
      "fortran_order",
      "fortran_order False (C order)",
      "fortran_order True",
      "Fortran-ordered arrays are not read; save np.ascontiguousarray(arr)",
    );
  }
  const count = elementCount(header.shape);
  const dataBytes = bytes.length - dataOffset;
  if (dataBytes !== count * dtype.size) {
    fail(
      "wrong_size",
      `${count * dtype.size} data bytes for shape ${shapeToString(header.shape)} of '${header.descr}'`,
      `${dataBytes}`,
      "the data does not match the header's shape",
    );
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = dtype.read(view, dataOffset + i * dtype.size);
  const tensor = floatTensor(header.shape, data);
  const conversionNote =
    header.descr === FLOAT32_DESCR
      ? undefined
      : `${source}: converted '${header.descr}' values to float32${header.descr === "<f8" ? " (rounded to nearest)" : " (exact)"}.`;
  return { ...tensor, fileDtype: header.descr, ...(conversionNote ? { conversionNote } : {}) };
}

function describeStart(bytes: Uint8Array): string {
  return bytes.length === 0
    ? "an empty file"
    : `bytes ${Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(" ")}`;
}

/** Reads a `.npy` file into float32 (see decodeNpy); errors name the path. */
export async function readNpyFile(path: string): Promise<NpyArray> {
  return decodeNpy(await readFile(path), path);
}

/** Writes a float32 tensor to a `.npy` file (see encodeNpy). */
export async function writeNpyFile(path: string, tensor: FloatTensor): Promise<void> {
  await writeFile(path, encodeNpy(tensor));
}
